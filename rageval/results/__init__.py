"""Results of an evaluation: the in-memory `Results` and its on-disk layout."""
