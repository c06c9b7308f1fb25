"""Mail to the followers of a discussion: what was said since they last heard, at most hourly.

Each tick of the worker's ``discussion-mail`` job (1) makes the authors of new comments follow their
discussions, (2) finds followers with comments by others they have not heard of and no mail in the
last hour (:data:`~papertide.store.discussion.follows.QUIET`), and (3) stores one rendered mail per
such follower and discussion in the notification outbox, which the worker sends like digests (same
claims, retries, bounce scoring and suspensions). A follower's own comments, deleted ones and
hidden ones are never mailed. Every mail carries RFC 8058 one-click unsubscribe: a signed link that
stops following that one discussion, without signing in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import jinja2

from papertide.accounts.keys import Signer
from papertide.config import Settings
from papertide.digest.links import DigestLinks
from papertide.discussion.threads import author_name
from papertide.errors import Forbidden
from papertide.mail import compose
from papertide.mail.dkim import DkimKey, sign, wire_bytes
from papertide.store.db.schema import MAX_KEY
from papertide.store.digest.bounces import BounceStore
from papertide.store.discussion.comments import Comment, CommentStore
from papertide.store.discussion.follows import (
    Due,
    FollowStore,
    NewNotification,
    NotificationOutbox,
    hour_window,
    notification_key,
)
from papertide.store.papers.store import PaperStore
from papertide.text import plain_math

UNFOLLOW = "discussion-unfollow"
SUSPENDED = "address suspended after repeated bounces"
_INVALID = "this link is not valid; use the link in your latest notification, or the Unfollow button on the paper"
_MAX_TOKEN_CHARS = 120
_MAX_PK_DIGITS = len(str(MAX_KEY))

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=jinja2.select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


class UnfollowLinks:
    """Signed links that stop one account following one discussion: ``<user>.<paper>.<signature>``."""

    def __init__(self, signer: Signer) -> None:
        self._signer = signer

    def token(self, user_pk: int, paper_pk: int) -> str:
        value = f"{user_pk}.{paper_pk}"
        return f"{value}.{self._signer.signature(UNFOLLOW, value)}"

    def verify(self, token: str) -> tuple[int, int]:
        """(user, paper) of a genuine token; :class:`Forbidden` for anything else, revealing nothing."""
        user_text, _, rest = (token or "")[:_MAX_TOKEN_CHARS].partition(".")
        paper_text, _, signature = rest.partition(".")
        for text in (user_text, paper_text):
            if not (text.isascii() and text.isdigit() and len(text) <= _MAX_PK_DIGITS and int(text) <= MAX_KEY):
                raise Forbidden(_INVALID)
        if not signature or not self._signer.verify(UNFOLLOW, f"{user_text}.{paper_text}", signature):
            raise Forbidden(_INVALID)
        return int(user_text), int(paper_text)


class NotificationMail:
    """The notification message: multipart text and HTML, List-Unsubscribe with one-click, DKIM when set."""

    def __init__(self, settings: Settings, signer: Signer, site_url: Callable[[], str] | None = None) -> None:
        self.settings = settings
        self.site = DigestLinks(settings, signer, site_url)  # the site's address and paper links
        self.links = UnfollowLinks(signer)
        self._dkim = DkimKey.from_settings(settings)

    def unfollow_url(self, user_pk: int, paper_pk: int) -> str:
        return f"{self.site.base_url}/unfollow/{self.links.token(user_pk, paper_pk)}"

    def message(self, due: Due, paper_id: str, title: str, said: list[Comment], window: str, now: datetime) -> bytes:
        count = len(said)
        title = plain_math(title)
        intro_before = f"{count} new comment{'s' if count != 1 else ''} in the discussion of "
        unfollow = self.unfollow_url(due.user_pk, due.paper_pk)
        context = {
            "subject": f"{count} new comment{'s' if count != 1 else ''}: {_short(title)}",
            "intro": f"{intro_before}“{title}”:",
            "intro_before": intro_before,
            "title": title,
            "paper_url": f"{self.site.paper_url(paper_id)}#discussion",
            "unfollow_url": unfollow,
            "comments": [
                {
                    "author": author_name(c.user_pk),
                    "when": f"{c.created_at:%d %b %Y, %H:%M} UTC",
                    "reply": c.parent_pk is not None,
                    "text": c.body,
                }
                for c in said
            ],
        }
        headers = {
            "List-Unsubscribe": f"<{unfollow}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"papertide discussion {due.paper_pk} <discussion.{self.site.host}>",
        }
        message = compose(
            self.settings,
            to=due.address,
            subject=context["subject"],
            text=_templates.get_template("notification.txt").render(context),
            html=_templates.get_template("notification.html").render(context),
            headers=headers,
            message_id=notification_key(due.user_pk, due.paper_pk, window),
            date=now,
        )
        return wire_bytes(sign(message, self._dkim) if self._dkim else message)


def _short(title: str, limit: int = 80) -> str:
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def enqueue_notifications(
    follows: FollowStore,
    outbox: NotificationOutbox,
    comments: CommentStore,
    papers: PaperStore,
    bounces: BounceStore,
    mail: NotificationMail,
    now: datetime,
    *,
    batch: int = 100,
) -> dict[str, int]:
    """Steps (1) to (3) of the module's docstring; a report of what was done."""
    report = {"comments_scanned": 0, "enqueued": 0, "suspended": 0, "already": 0}
    while scanned := follows.follow_commenters():
        report["comments_scanned"] += scanned
    window = hour_window(now)
    while due := follows.due(now, limit=batch):
        items = _notifications(due, comments, papers, bounces, mail, window, now)
        stored = outbox.enqueue_notifications(items)
        report["enqueued"] += sum(1 for item, new in zip(items, stored, strict=True) if new and item.message)
        report["suspended"] += sum(1 for item, new in zip(items, stored, strict=True) if new and not item.message)
        report["already"] += stored.count(False)
        if not any(stored):  # what is left is due again next hour, or changed under us: the next tick sees
            break
    return report


def _notifications(
    due: list[Due],
    comments: CommentStore,
    papers: PaperStore,
    bounces: BounceStore,
    mail: NotificationMail,
    window: str,
    now: datetime,
) -> list[NewNotification]:
    """The rendered mail of each follower in ``due`` (a skip for a suspended address)."""
    suspended = bounces.suspended([d.address for d in due])
    found = {p.pk: p for p in papers.get_many(sorted({d.paper_pk for d in due}))}
    items = []
    for follower in due:
        paper = found.get(follower.paper_pk)
        if follower.address.lower() in suspended:
            items.append(NewNotification(follower, window, None, SUSPENDED))
            continue
        said = [c for c in (comments.get(pk) for pk in follower.comment_pks) if c is not None and c.shown]
        if paper is not None and said:
            message = mail.message(follower, paper.paper_id, paper.title, said, window, now)
            items.append(NewNotification(follower, window, message))
    return items
