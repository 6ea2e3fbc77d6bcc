"""Judge-based RAG scorers: faithfulness, context relevance/precision/recall, answer relevance and correctness."""
