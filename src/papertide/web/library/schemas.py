"""The JSON API's models for the library: votes, collections, imports and recommendations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from papertide.library.collections import MAX_NAME_CHARS, CollectionPage, Order, SavedPaper
from papertide.library.for_you import Recommendation
from papertide.library.imports import ImportReport
from papertide.library.votes import VoteState
from papertide.store.library.collections import Collection
from papertide.web.kit.schemas import PaperSummary, paper_summary


class VoteResult(BaseModel):
    """A paper's papertide upvotes after a vote, and whether the caller's own vote is among them."""

    paper_id: str
    voted: bool = Field(description="Whether the caller now upvotes the paper.")
    votes: int = Field(description="Upvotes by papertide accounts, the caller's included.")


def vote_result(state: VoteState) -> VoteResult:
    return VoteResult(paper_id=state.paper_id, voted=state.voted, votes=state.votes)


class CollectionSummary(BaseModel):
    """A collection as listed."""

    id: str = Field(description="The collection's stable public id: its page is `/c/{id}` once public.")
    name: str
    default: bool = Field(description='Whether this is the reader\'s "Saved" collection, where saves go by default.')
    public: bool = Field(description="Whether anyone with the link may read it; private ones are the owner's only.")
    papers: int = Field(description="How many papers it holds.")
    created: datetime
    updated: datetime = Field(description="When it or its papers last changed.")
    url: str | None = Field(description="Its public page, when public.")


class SavedPaperOut(BaseModel):
    paper: PaperSummary
    saved: datetime = Field(description="When the paper was saved into the collection.")
    note: str = Field(description="The owner's note on the paper (shown to readers of a public collection).")


class CollectionDetail(CollectionSummary):
    """A collection with one page of its papers, in the order saved."""

    order: Order
    items: list[SavedPaperOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class CollectionList(BaseModel):
    collections: list[CollectionSummary]


# Documented, not enforced here: clean_name folds white space, drops control characters and says what is
# wrong with a name that has nothing else. A name the pattern admits keeps at least one character.
_NAME = {"pattern": r"[^\s\x00-\x1f\x7f-\x9f]"}


class CollectionCreate(BaseModel):
    name: str = Field(
        min_length=1,
        max_length=MAX_NAME_CHARS,
        json_schema_extra=_NAME,
        description="Unique among the reader's collections.",
    )
    public: bool = Field(False, strict=True)


class CollectionUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME_CHARS, json_schema_extra=_NAME)
    public: bool | None = Field(None, strict=True)


class SaveRequest(BaseModel):
    note: str | None = Field(default=None, description="Replaces the note when given; omitted keeps it.")


class SavedState(BaseModel):
    """Whether a paper is in a collection after a save or a removal."""

    collection: CollectionSummary
    paper_id: str
    saved: bool


def collection_summary(collection: Collection, base_url: str) -> CollectionSummary:
    return CollectionSummary(
        id=collection.public_id,
        name=collection.name,
        default=collection.is_default,
        public=collection.is_public,
        papers=collection.size,
        created=collection.created_at,
        updated=collection.updated_at,
        url=f"{base_url.rstrip('/')}/c/{collection.public_id}" if collection.is_public else None,
    )


def saved_paper(saved: SavedPaper) -> SavedPaperOut:
    return SavedPaperOut(paper=paper_summary(saved.paper), saved=saved.added_at, note=saved.note)


def collection_detail(page: CollectionPage, base_url: str) -> CollectionDetail:
    return CollectionDetail(
        **collection_summary(page.collection, base_url).model_dump(),
        order=page.order,
        items=[saved_paper(saved) for saved in page.papers],
        next_cursor=page.next_cursor,
    )


class UnmatchedEntry(BaseModel):
    line: int = Field(description="Where the entry starts in the file.")
    key: str = Field(description="Its citation key (BibTeX) or ID (RIS), if any.")
    title: str
    reason: str = Field(description="Why no paper of the library was found for it.")


class MatchedEntry(BaseModel):
    line: int = Field(description="Where the entry starts in the file.")
    key: str = Field(description="Its citation key (BibTeX) or ID (RIS), if any.")
    title: str = Field(description="The entry's title, as the file gives it.")
    matched_by: Literal["arxiv_id", "doi", "title"] = Field(
        description="What found the paper: the entry's arXiv id, else its DOI, else its exact normalised title."
    )
    paper_id: str = Field(description="The paper it became (`/paper/{paper_id}`).")
    paper_title: str


class ImportResult(BaseModel):
    """What an import found and added."""

    collection: CollectionSummary = Field(description="The collection the papers went into, as it is now.")
    format: str = Field(description="`BibTeX` or `RIS`.")
    entries: int = Field(description="Entries in the file.")
    matched: int = Field(description="Entries that named a paper this library holds.")
    added: int = Field(description="Papers new to the collection (one named twice, or saved before, counts once).")
    unmatched: list[UnmatchedEntry]
    found: list[MatchedEntry] = Field(description="Each matched entry and the paper it became, in the file's order.")


class Because(BaseModel):
    """The liked paper a recommendation is nearest to."""

    id: str
    title: str
    saved: bool = Field(description="True: the caller saved it; false: they upvoted it.")


class ForYouItem(BaseModel):
    paper: PaperSummary
    score: float = Field(description="Cosine similarity to the caller's profile; comparable within one response.")
    reason: str = Field(description='Why it is recommended, e.g. "Similar to “X”, which you saved".')
    because: Because


class ForYouResults(BaseModel):
    """New papers near what the caller saved and upvoted, best first."""

    window: str
    since: date | None = Field(description="Only papers submitted from this day; null for all time.")
    fallback_from: str | None = Field(
        None, description="The default window, when nothing in it was near the caller's papers and `window` is wider."
    )
    based_on: int = Field(description="How many papers the caller saved or upvoted; 0 means nothing to go on yet.")
    results: list[ForYouItem]


def import_result(report: ImportReport, base_url: str) -> ImportResult:
    return ImportResult(
        collection=collection_summary(report.collection, base_url),
        format=report.format,
        entries=report.entries,
        matched=report.matched,
        added=report.added,
        unmatched=[UnmatchedEntry(line=u.line, key=u.key, title=u.title, reason=u.reason) for u in report.unmatched],
        found=[
            MatchedEntry(
                line=f.reference.line,
                key=f.reference.key,
                title=f.reference.title,
                matched_by=f.reference.by,
                paper_id=f.paper_id,
                paper_title=f.title,
            )
            for f in report.found
        ],
    )


def for_you_item(recommendation: Recommendation) -> ForYouItem:
    because = recommendation.because
    return ForYouItem(
        paper=paper_summary(recommendation.result.paper),
        score=recommendation.result.score,
        reason=recommendation.reason,
        because=Because(id=because.paper_id, title=because.title, saved=recommendation.saved),
    )


# Saves may name the reader's default collection so, before it exists (the first save creates it).
DEFAULT_ALIAS = "default"
