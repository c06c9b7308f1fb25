"""Every paper's discussion as a feed: ``/feeds/paper/<id>/discussion.atom`` (or ``.rss``).

The newest shown comments first (deleted and hidden ones never appear), each an entry linking to
the comment on the paper's page, its text the sanitised HTML the page shows (stored with the comment, see
:func:`papertide.discussion.render.render_markdown`; the feed escapes it once more as XML, so no
comment can add markup to the document). Validators follow the comments listed and their edits.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from feedgen.feed import FeedGenerator

from papertide import __version__
from papertide.discussion.threads import author_name
from papertide.library.lookup import canonical_id, find_paper
from papertide.store.discussion.comments import Comment
from papertide.web.feeds.documents import FeedFormat, xml_text
from papertide.web.feeds.links import FeedLink, discussion_link
from papertide.web.feeds.pages import format_of
from papertide.web.kit.conditional import conditional_response
from papertide.web.kit.dependencies import ServicesDep

router = APIRouter(prefix="/feeds", include_in_schema=False)


@router.get("/paper/{paper_id:path}/discussion.{fmt}")
def discussion(request: Request, services: ServicesDep, paper_id: str, fmt: str) -> Response:
    fmt_ = format_of(fmt)
    paper = find_paper(services.store, canonical_id(paper_id))
    listed = services.stores.discussion_activity.latest(paper.pk, services.settings.feed_items)
    link, base = discussion_link(paper), services.site.current()
    moments = [moment for c in listed for moment in (c.created_at, c.edited_at) if moment is not None]
    changed = max(moments, default=paper.modified_at).astimezone(UTC).replace(microsecond=0)
    digest = hashlib.blake2b(digest_size=16)
    parts = [__version__, base, paper.title, fmt]
    parts += [f"{c.pk}:{c.edited_at.isoformat() if c.edited_at else ''}" for c in listed]
    digest.update("\x1f".join(parts).encode())
    return conditional_response(
        request,
        etag=f'"{digest.hexdigest()}"',
        last_modified=changed,
        max_age_s=services.settings.feed_max_age_s,
        media_type=f"{fmt_.media_type}; charset=utf-8",
        render=lambda: _render(link, base, listed, changed, fmt_),
    )


def _render(link: FeedLink, base: str, listed: list[Comment], changed: datetime, fmt: FeedFormat) -> bytes:
    generator = FeedGenerator()
    self_url, page_url = base + link.url(fmt), base + link.page_url
    generator.id(self_url)
    generator.title(xml_text(link.title))
    generator.description(xml_text(link.description))
    generator.author(name="papertide")
    generator.link(href=self_url, rel="self", type=fmt.media_type)
    generator.link(href=page_url, rel="alternate", type="text/html")
    generator.updated(changed)
    generator.language("en")
    generator.generator("papertide", version=__version__)
    for comment in listed:
        url = f"{page_url}#comment-{comment.pk}"
        author = author_name(comment.user_pk)
        item = generator.add_entry(order="append")
        item.id(url)
        item.guid(url, permalink=True)
        item.title(f"{'Reply' if comment.parent_pk else 'Comment'} by {author}")
        item.link(href=url, rel="alternate", type="text/html")
        item.author({"name": author})
        text = xml_text(comment.html)
        if fmt is FeedFormat.ATOM:
            item.content(text, type="html")
        else:
            item.description(text)
        item.published(comment.created_at)
        item.updated(comment.edited_at or comment.created_at)
    return generator.atom_str() if fmt is FeedFormat.ATOM else generator.rss_str()
