"""Ranked-retrieval metrics identical to trec_eval."""
