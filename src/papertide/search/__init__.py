"""Search: embedding, indexing and ranking of papers."""
