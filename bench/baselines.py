"""The plain baselines papertide is held against, computed in the same run on the same data.

- ``bm25s``: BM25 with bm25s over one field, title + text, English stop words removed and
  PyStemmer's English stemmer, k1 = 1.5, b = 0.75 (bm25s's default, Lucene's idf);
- ``minilm``: exact cosine search over the very vectors papertide stores for each paper (the
  shipped MiniLM int8 model), the query embedded as typed (cut at the model's token limit);
- ``rrf``: reciprocal rank fusion (k = 60) of the two top-100 lists.
"""

from __future__ import annotations

from collections.abc import Sequence

import bm25s
import numpy as np
import Stemmer

DEPTH = 100
RRF_K = 60


class Bm25Baseline:
    """bm25s over one text per document."""

    def __init__(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        self._ids = list(ids)
        self._stemmer = Stemmer.Stemmer("english")
        self._retriever = bm25s.BM25(k1=1.5, b=0.75)
        self._retriever.index(self._tokenize(texts), show_progress=False)

    def _tokenize(self, texts: Sequence[str]) -> bm25s.tokenization.Tokenized:
        return bm25s.tokenize(list(texts), stopwords="en", stemmer=self._stemmer, show_progress=False)

    def search(self, text: str, k: int = DEPTH) -> list[str]:
        tokens = bm25s.tokenize([text], stopwords="en", stemmer=self._stemmer, show_progress=False, return_ids=False)
        words = [word for word in tokens[0] if word in self._retriever.vocab_dict]
        if not words:
            return []
        found, scores = self._retriever.retrieve([words], k=min(k, len(self._ids)), show_progress=False)
        return [self._ids[int(doc)] for doc, score in zip(found[0], scores[0], strict=True) if score > 0]


class DenseBaseline:
    """Exact cosine search over fixed document vectors."""

    def __init__(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        self._ids = list(ids)
        self._vectors = vectors

    def search(self, query: np.ndarray, k: int = DEPTH) -> list[str]:
        scores = self._vectors @ query
        top = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
        return [self._ids[int(i)] for i in top[np.argsort(-scores[top], kind="stable")]]


def rrf(*rankings: Sequence[str], k: int = RRF_K, depth: int = DEPTH) -> list[str]:
    """Reciprocal rank fusion of the rankings' first ``depth`` entries."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, doc in enumerate(ranking[:depth]):
            fused[doc] = fused.get(doc, 0.0) + 1.0 / (k + rank + 1)
    return sorted(fused, key=lambda doc: -fused[doc])
