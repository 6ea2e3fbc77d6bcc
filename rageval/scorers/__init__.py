"""Scorers by family: text, retrieval, RAG (judge-based) and classic; registered in `rageval.core.registry`."""
