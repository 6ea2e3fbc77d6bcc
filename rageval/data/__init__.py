"""Data adapters: datasets, DataFrames, lists of dicts and files become checked canonical columns;
domain files become rows (`from_coco` for COCO detection JSON, `from_trec` for TREC runs and qrels)."""
from rageval.data.coco import from_coco
from rageval.data.trec import from_trec

__all__ = ["from_coco", "from_trec"]
