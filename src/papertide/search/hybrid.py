"""Fusing the lexical and the semantic ranking into one.

Reciprocal rank fusion for now; the weights are to be tuned on SciFact by bench/quality.py.
"""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60


def fuse(lexical: Sequence[tuple[int, float]], semantic: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
    """One ranking of the papers in either list, best first, as ``(pk, fused score)``."""
    scores: dict[int, float] = {}
    for ranking in (lexical, semantic):
        for rank, (pk, _) in enumerate(ranking):
            scores[pk] = scores.get(pk, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(scores.items(), key=lambda item: -item[1])
