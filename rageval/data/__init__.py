"""Data adapters: datasets, DataFrames, lists of dicts and files become checked canonical columns."""
