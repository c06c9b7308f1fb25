"""Finding a paper by the id a user or client typed: versioned, prefixed or pasted as a URL."""

from __future__ import annotations

from papertide.errors import NotFound
from papertide.model import parse_arxiv_id
from papertide.store.papers.store import PaperStore, StoredPaper


def canonical_id(text: str) -> str:
    """The stored form of an id: ``arXiv:2410.17243v2`` -> ``2410.17243``; other ids unchanged."""
    try:
        return parse_arxiv_id(text)[0]
    except ValueError:
        return text.strip()


def find_paper(store: PaperStore, paper_id: str) -> StoredPaper:
    """The paper with this (canonical) id; :class:`NotFound` names it otherwise."""
    stored = store.get(paper_id) if paper_id else None
    if stored is None:
        raise NotFound(f"there is no paper {paper_id!r} in this library")
    return stored
