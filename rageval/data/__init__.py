"""Data adapters and canonical fields."""
