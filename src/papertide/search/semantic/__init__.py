"""The semantic index: embedders, vector files, exact and HNSW search."""
