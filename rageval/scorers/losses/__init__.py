"""Losses as scorers: each `rageval.losses` function scored per example, reduced exactly as its mean."""
