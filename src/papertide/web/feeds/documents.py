"""Atom and RSS 2.0 documents listing papers (feedgen), and the validators that stand for them.

A :class:`Feed` is everything a feed says, gathered before any XML is built. Its :meth:`Feed.etag`
and :meth:`Feed.last_modified` come from the listed papers' ids, change sequences and dates, so a
reader asking "has it changed?" is answered without rendering. Rendering is deterministic: the
same feed gives the same bytes, which is what a strong ETag promises.

Titles and abstracts are the display forms, TeX math kept as text between ``$`` signs (feed
readers cannot typeset it). Atom carries them as ``type="text"``; RSS readers treat
``<description>`` as HTML, so there the text is HTML-escaped first (``a < b`` stays text, never
becomes a tag), on top of the XML escaping both formats get.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from feedgen.feed import FeedGenerator

from papertide import __version__
from papertide.store.papers.store import StoredPaper
from papertide.taxonomy import describe

# A feed of nothing has never changed: any paper that joins it was modified after this.
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)
# Characters XML 1.0 cannot carry at all, even escaped (lxml refuses them); dropped from text.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class FeedFormat(StrEnum):
    ATOM = "atom"
    RSS = "rss"

    @property
    def media_type(self) -> str:
        return "application/atom+xml" if self is FeedFormat.ATOM else "application/rss+xml"


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One paper in a feed."""

    paper: StoredPaper
    url: str  # absolute URL of the paper's page: the entry's link and its stable id
    at: datetime  # when the paper entered this list: its submission for listings, when saved for a collection
    note: str = ""  # a line shown before the abstract, e.g. why the paper trends


@dataclass(frozen=True, slots=True)
class Feed:
    title: str
    description: str
    page_url: str  # absolute URL of the page that shows the same list
    self_url: str  # absolute, canonical URL of this feed in this format
    entries: tuple[FeedEntry, ...]
    changed_at: datetime | None = None  # a change to the list beyond its papers (a collection renamed, an item gone)

    def last_modified(self) -> datetime:
        """The newest change to anything listed, to the second (HTTP dates have no finer unit)."""
        moments = [moment for entry in self.entries for moment in (entry.paper.modified_at, entry.at)]
        if self.changed_at is not None:
            moments.append(self.changed_at)
        return max(moments, default=_NEVER).astimezone(UTC).replace(microsecond=0)

    def etag(self) -> str:
        """A strong entity tag: it changes whenever any byte of :func:`render`'s output would."""
        digest = hashlib.blake2b(digest_size=16)
        parts = [__version__, self.title, self.description, self.page_url, self.self_url, _iso(self.changed_at)]
        for entry in self.entries:
            parts += [entry.paper.paper_id, str(entry.paper.change_seq), entry.url, _iso(entry.at), entry.note]
        digest.update("\x1f".join(parts).encode())
        return f'"{digest.hexdigest()}"'


def render(feed: Feed, fmt: FeedFormat) -> bytes:
    """The feed as an Atom or RSS 2.0 document (UTF-8)."""
    generator = FeedGenerator()
    generator.load_extension("dc", atom=False, rss=True)  # RSS names authors with dc:creator
    generator.id(feed.self_url)
    generator.title(xml_text(feed.title))
    generator.description(xml_text(feed.description))
    generator.author(name="papertide")  # Atom wants an author on the feed when an entry has none
    generator.link(href=feed.self_url, rel="self", type=fmt.media_type)
    generator.link(href=feed.page_url, rel="alternate", type="text/html")  # the last link is RSS's <link>
    generator.updated(feed.last_modified())
    generator.language("en")
    generator.generator("papertide", version=__version__)
    for entry in feed.entries:
        _add_entry(generator, entry, fmt)
    return generator.atom_str() if fmt is FeedFormat.ATOM else generator.rss_str()


def _add_entry(generator: FeedGenerator, entry: FeedEntry, fmt: FeedFormat) -> None:
    stored = entry.paper
    item = generator.add_entry(order="append")
    item.id(entry.url)
    item.guid(entry.url, permalink=True)
    item.title(xml_text(stored.title))
    item.link(href=entry.url, rel="alternate", type="text/html")
    authors = [xml_text(name) for name in stored.authors]
    if authors:
        item.author([{"name": name} for name in authors])
        item.dc.dc_creator(authors)
    paragraphs = [text for text in (xml_text(entry.note), xml_text(stored.abstract)) if text]
    if fmt is FeedFormat.ATOM:
        item.summary("\n\n".join(paragraphs), type="text")
    else:
        item.description("".join(f"<p>{html.escape(text, quote=False)}</p>" for text in paragraphs))
    item.published(entry.at)
    updated = stored.paper.updated
    item.updated(max(entry.at, updated) if updated else entry.at)
    for category in stored.paper.categories:
        label = {"label": describe(category)} if fmt is FeedFormat.ATOM else {}
        item.category(term=category, **label)


def xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot carry (lxml refuses them)."""
    return _NOT_XML.sub("", value)


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""
