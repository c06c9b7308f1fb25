"""The lexical index: tantivy BM25, its document model, query compilation, analysis, MaxScore."""
