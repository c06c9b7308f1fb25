"""The JSON API's response models: the stable, documented shape of every answer.

Pages render from the same models, so a field shown on a page is a field the API returns.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, PrivateAttr

from papertide.code_links import code_links, found_in_words, is_web_address
from papertide.licences import licence_name
from papertide.model import (
    MAX_ABSTRACT_LENGTH,
    MAX_AI_SUMMARY_LENGTH,
    MAX_COMMENTS_LENGTH,
    MAX_KEYWORDS,
    MAX_OTHER_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_VERSIONS,
    arxiv_links,
)
from papertide.search.engine import SearchResponse, SearchResult
from papertide.store.papers.store import StoredPaper
from papertide.text import normalize
from papertide.trending import TrendingItem
from papertide.web.kit.shown import Clipper

UPVOTES_SIGNAL = "hf_upvotes"
STARS_SIGNAL = "github_stars"
HUGGING_FACE = "hf-daily"  # the source whose GitHub repository the stars signal counts


class Links(BaseModel):
    """Where to read the paper elsewhere."""

    abs: str | None = Field(description="Abstract page (arXiv for arXiv papers).")
    pdf: str | None = Field(description="Full text as PDF.")
    code: str | None = Field(description="Source code repository, when one is known.")


class PaperSummary(BaseModel):
    """A paper as listed: enough for a result card."""

    id: str = Field(description="arXiv id without version (`2410.17243`, `hep-th/9901001`) or a namespaced id.")
    version: int = Field(description="Latest version stored.")
    title: str = Field(description="Display title; TeX math is kept between `$` signs.")
    authors: list[str] = Field(description="Author names in order, TeX accents resolved.")
    categories: list[str] = Field(description="arXiv categories, primary first.")
    submitted: datetime | None = Field(description="When version 1 was submitted (UTC).")
    updated: datetime | None = Field(description="When the latest version was submitted (UTC).")
    abstract: str = Field(description="Display abstract; TeX math is kept between `$` signs.")
    upvotes: int | None = Field(description="Hugging Face upvotes at the latest observation; null if unknown.")
    votes: int = Field(description="Upvotes by papertide's own accounts (see `POST /api/v1/papers/{id}/vote`).")
    links: Links
    authors_total: int = Field(description="How many authors the paper has; `authors` may list fewer (`truncated`).")
    truncated: bool = Field(
        description="True when this answer shows less than is stored: a field over the ingest limits (README "
        "'Ingest limits'), kept from before they existed, is cut to its limit."
    )
    # The store's key, for the pages only (never serialised): what a reader's votes and saves point at.
    _store_key: int = PrivateAttr(default=0)

    @property
    def store_key(self) -> int:
        return self._store_key


class PaperVersion(BaseModel):
    version: int
    created: datetime | None


class SignalValue(BaseModel):
    value: float
    observed_at: datetime


class CodeLink(BaseModel):
    """A code, model or data repository of the paper's, or its project page."""

    url: str
    kind: str = Field(description="`code` (a repository of code, models or data) or `project` (a project page).")
    site: str = Field(
        description="`GitHub`, `GitLab`, `Hugging Face` or `Project page` (`Code` for another host a source gave)."
    )
    found_in: str = Field(description="`source` (a link the source gave), `abstract` or `comments`.")
    source: str | None = Field(description="For `found_in` `source`: the source that gave it (`hf-daily`, ...).")
    label: str = Field(description='Where it came from, in words: "from Hugging Face", "from the abstract", ...')
    stars: int | None = Field(description="GitHub stars of the repository, as Hugging Face last counted them.")


class PaperDetail(PaperSummary):
    """A paper with everything the store knows about it."""

    doi: str | None
    journal_ref: str | None
    comments: str | None
    source: str = Field(description="The source that last wrote this paper (`oai`, `kaggle`, `hf_daily`, ...).")
    versions: list[PaperVersion]
    signals: dict[str, SignalValue] = Field(description="Latest observation of each popularity signal, by name.")
    code_links: list[CodeLink] = Field(
        description="The source's code and project links, then the GitHub, GitLab and Hugging Face URLs and the "
        "project pages (`github.io` sites, addresses after \"project page\") the abstract and arXiv comments name."
    )
    license: str | None = Field(description="The licence's address, as arXiv gives it.")
    license_name: str | None = Field(description='The licence\'s short name ("CC BY 4.0"), else its address.')
    ai_summary: str | None = Field(description="Hugging Face's machine-written summary of the paper.")
    ai_keywords: list[str] = Field(description="Hugging Face's machine-chosen keywords.")


class PaperList(BaseModel):
    """One page of a newest-first listing."""

    papers: list[PaperSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class SearchHit(BaseModel):
    paper: PaperSummary
    score: float = Field(description="Relevance; comparable only within one response.")
    title_html: str = Field(description="Escaped title with `<mark>` around matched words.")
    snippet_html: str = Field(description="Escaped abstract excerpt with `<mark>` around matched words.")


class SearchResults(BaseModel):
    """One page of search results."""

    query: str
    related: bool = Field(description="Whether `query` is pasted text read as prose (`related`) rather than `q`.")
    mode: str = Field(description="The mode that ran: semantic and hybrid fall back to lexical, with a warning.")
    sort: str
    total: int = Field(description="Number of matching papers there are to page through (at least; see `total_exact`).")
    total_exact: bool = Field(
        description="False when `total` is a lower bound: a keyword ranking that skipped the papers holding only its "
        "commonest words, which could not reach it, did not count them all."
    )
    offset: int
    limit: int
    took_ms: float
    warnings: list[str] = Field(
        description="Parts of the query that were read differently than typed, such as a phrase no paper holds "
        "searched as words."
    )
    paper_id: str | None = Field(description="Set when the query was a pasted arXiv id or URL.")
    results: list[SearchHit]


class SimilarPapers(BaseModel):
    paper_id: str
    results: list[SearchHit]


class Stats(BaseModel):
    """What the store holds."""

    papers: int
    by_source: dict[str, int]
    top_categories: dict[str, int] = Field(description="The most common categories and their paper counts.")
    first_submitted: datetime | None
    last_submitted: datetime | None
    signal_observations: int


class TrendingReason(BaseModel):
    """The attention behind a trending paper, in its window."""

    upvotes: int = Field(description="Upvotes cast here in the window.")
    upvotes_counted: float = Field(
        description="What those upvotes count in the score: votes from accounts younger than a day, and bursts "
        "of them on one paper, count less."
    )
    hf_upvotes: int = Field(description="Hugging Face upvotes gained in the window.")
    github_stars: int = Field(description="GitHub stars gained in the window.")
    text: str = Field(description='The same in words, e.g. "+23 upvotes and +120 GitHub stars this week".')


class TrendingPaper(BaseModel):
    paper: PaperSummary
    score: float = Field(
        description="The trending score: weighted attention in the window times the paper's age factor "
        "(documented in the README); comparable within one window."
    )
    reason: TrendingReason


class TrendingList(BaseModel):
    """The papers trending in a window, best first."""

    window: str = Field(description="`day`, `week` or `month`: the span before now whose attention counts.")
    as_of: datetime | None = Field(description="When the attention was last computed; null before the first time.")
    papers: list[TrendingPaper]


class Account(BaseModel):
    """The account a request is signed in as (by its API token or session)."""

    email: str
    created_at: datetime
    api_tokens: int = Field(description="How many personal API tokens the account has.")


class Problem(BaseModel):
    """An error, as RFC 9457 ``application/problem+json``."""

    type: str = Field(description="URI reference naming the kind of problem; documented at `/docs#errors`.")
    title: str
    status: int
    detail: str
    instance: str = Field(description="The path that was requested.")
    errors: list[dict] | None = Field(default=None, description="Each invalid parameter, for validation errors.")


def paper_links(stored: StoredPaper) -> Links:
    """The source's links, falling back to arXiv's for arXiv ids (they have no namespace prefix)."""
    paper = stored.paper
    abs_url, pdf_url = paper.url_abs, paper.url_pdf
    if ":" not in paper.id and not (abs_url and pdf_url):
        arxiv_abs, arxiv_pdf = arxiv_links(paper.id)
        abs_url, pdf_url = abs_url or arxiv_abs, pdf_url or arxiv_pdf
    code = paper.url_code if paper.url_code and is_web_address(paper.url_code) else None
    return Links(abs=abs_url, pdf=pdf_url, code=code)


def _summary_fields(stored: StoredPaper, clip: Clipper) -> dict:
    paper = stored.paper
    upvotes = stored.signals.get(UPVOTES_SIGNAL)
    return {
        "id": paper.id,
        "version": paper.version,
        "title": clip.text(stored.title, MAX_TITLE_LENGTH),
        "authors": clip.authors(stored.authors),
        "authors_total": len(stored.authors),
        "categories": paper.categories,
        "submitted": paper.submitted,
        "updated": paper.updated,
        "abstract": clip.text(stored.abstract, MAX_ABSTRACT_LENGTH),
        "upvotes": round(upvotes.value) if upvotes else None,
        "votes": stored.votes,
        "links": paper_links(stored),
    }


def paper_summary(stored: StoredPaper) -> PaperSummary:
    clip = Clipper()
    summary = PaperSummary(**_summary_fields(stored, clip), truncated=clip.truncated)  # arguments run in order
    summary._store_key = stored.pk
    return summary


def paper_detail(stored: StoredPaper) -> PaperDetail:
    paper, clip = stored.paper, Clipper()
    detail = PaperDetail(
        **_summary_fields(stored, clip),
        doi=clip.text(paper.doi, MAX_OTHER_TEXT_LENGTH),
        journal_ref=clip.text(paper.journal_ref, MAX_OTHER_TEXT_LENGTH),
        comments=clip.text(paper.comments, MAX_COMMENTS_LENGTH),
        source=paper.source,
        versions=[PaperVersion(version=v.number, created=v.created) for v in paper.versions[-MAX_VERSIONS:]],
        signals={name: SignalValue(value=s.value, observed_at=s.observed_at) for name, s in stored.signals.items()},
        code_links=_code_links(stored),
        license=(licence := clip.text(paper.license, MAX_OTHER_TEXT_LENGTH)),
        license_name=licence_name(licence),
        ai_summary=clip.text(paper.ai_summary, MAX_AI_SUMMARY_LENGTH),
        ai_keywords=paper.ai_keywords[:MAX_KEYWORDS],
        truncated=clip.truncated or len(paper.versions) > MAX_VERSIONS,  # after every clip above
    )
    detail._store_key = stored.pk
    return detail


def _code_links(stored: StoredPaper) -> list[CodeLink]:
    paper = stored.paper
    found = code_links(paper.url_code, stored.abstract, normalize(paper.comments), paper.url_project)
    stars = stored.signals.get(STARS_SIGNAL) if paper.links_source == HUGGING_FACE else None
    return [
        CodeLink(
            url=link.url,
            kind=link.kind,
            site=link.site,
            found_in=link.found_in,
            source=paper.links_source if link.found_in == "source" else None,
            label=found_in_words(link, paper.links_source),
            stars=round(stars.value) if stars and link.url == paper.url_code and link.site == "GitHub" else None,
        )
        for link in found
    ]


def search_hit(result: SearchResult) -> SearchHit:
    return SearchHit(
        paper=paper_summary(result.paper),
        score=result.score,
        title_html=result.title_html,
        snippet_html=result.snippet_html,
    )


def search_results(
    text: str, sort: str, limit: int, offset: int, response: SearchResponse, *, related: bool = False
) -> SearchResults:
    return SearchResults(
        query=text,
        related=related,
        mode=response.mode,
        sort=sort,
        total=response.total,
        total_exact=response.total_exact,
        offset=offset,
        limit=limit,
        took_ms=round(response.took_ms, 2),
        warnings=list(response.warnings),
        paper_id=response.paper_id,
        results=[search_hit(result) for result in response.results],
    )


def trending_paper(item: TrendingItem) -> TrendingPaper:
    activity = item.activity
    reason = TrendingReason(
        upvotes=activity.upvotes,
        upvotes_counted=round(activity.counted, 3),
        hf_upvotes=round(activity.hf_upvotes),
        github_stars=round(activity.github_stars),
        text=item.reason,
    )
    return TrendingPaper(paper=paper_summary(item.paper), score=round(item.score, 4), reason=reason)
