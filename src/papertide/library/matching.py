"""Which stored paper a reference names: by arXiv id, else DOI, else exact normalised title.

A title shared by several papers, or a DOI given to two, matches none of them: the report says
so, and an arXiv id or DOI in the file would settle it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from papertide.library.references import Reference
from papertide.store.papers.keys import PaperKeyStore
from papertide.text import title_key


@dataclass(frozen=True, slots=True)
class Unmatched:
    """A reference no stored paper answers to, and why."""

    line: int
    key: str
    title: str
    reason: str


@dataclass(frozen=True, slots=True)
class Matched:
    """A reference and the stored paper it names; ``by`` says how it was found (:data:`MATCHED_BY`)."""

    line: int
    key: str
    title: str
    pk: int
    by: str


# How a reference finds its paper, in the order they are tried.
MATCHED_BY = ("arxiv_id", "doi", "title")


@dataclass(frozen=True, slots=True)
class Matches:
    matched: list[Matched]  # in the file's order
    unmatched: list[Unmatched]

    @property
    def pks(self) -> list[int]:
        """The paper each matched reference names, in the file's order."""
        return [match.pk for match in self.matched]


def match_references(references: Sequence[Reference], keys: PaperKeyStore) -> Matches:
    """Match every reference in a few indexed lookups (not one per reference)."""
    titles = {ref.line: title_key(ref.title) for ref in references}
    by_id = keys.by_paper_id(arxiv_id for ref in references for arxiv_id in ref.arxiv_ids)
    by_doi = keys.by_doi(doi for ref in references for doi in ref.dois)
    by_title = keys.by_title(titles.values())
    matched: list[Matched] = []
    unmatched: list[Unmatched] = []
    for ref in references:
        title_pks = by_title.get(titles[ref.line], [])
        candidates = (
            next((by_id[arxiv_id] for arxiv_id in ref.arxiv_ids if arxiv_id in by_id), None),
            next((by_doi[doi][0] for doi in ref.dois if len(by_doi.get(doi, [])) == 1), None),
            title_pks[0] if len(title_pks) == 1 else None,
        )
        found = next(((pk, by) for pk, by in zip(candidates, MATCHED_BY, strict=True) if pk is not None), None)
        if found is not None:
            matched.append(Matched(ref.line, ref.key, ref.label, *found))
        else:
            unmatched.append(Unmatched(ref.line, ref.key, ref.label, _reason(ref, titles[ref.line], len(title_pks))))
    return Matches(matched, unmatched)


def _reason(ref: Reference, key: str, same_title: int) -> str:
    if same_title > 1:
        return f"{same_title} papers in this library have this title; an arXiv id or DOI in the entry would tell which"
    looked_for = [f"arXiv {arxiv_id}" for arxiv_id in ref.arxiv_ids] + [f"DOI {doi}" for doi in ref.dois]
    if key:
        looked_for.append("the title")
    if not looked_for:
        return "the entry has no title, arXiv id or DOI to look for"
    return f"not in this library (looked for {_listed(looked_for)})"


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
