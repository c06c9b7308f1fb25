"""How a digest reads: the mail (plain text and HTML from Jinja2 templates), its headers, its Message-ID.

The HTML has its CSS inline and loads nothing (no images, fonts or scripts), so it reads the same
in every client and offline. TeX math in titles and abstracts is written in Unicode
(:func:`papertide.text.plain_math`); every link is absolute, under the site's address (:class:`DigestLinks`). Headers
carry RFC 8058 one-click unsubscribe. User text reaches a header only through
:func:`papertide.mail.compose`, which refuses line breaks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import jinja2

from papertide.accounts.keys import Signer
from papertide.config import Settings
from papertide.digest.compose import ComposedDigest
from papertide.digest.links import DigestLinks
from papertide.digest.preferences import Preferences, describe_schedule
from papertide.mail import compose
from papertide.mail.dkim import DkimKey, sign
from papertide.store.digest.outbox import outbox_key
from papertide.store.digest.subscriptions import Subscription
from papertide.text import plain_math, short_authors, shown_authors, snippet

ABSTRACT_CHARS = 280
_SHOWN_CATEGORIES = 3

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=jinja2.select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


def _day(moment: datetime, preferences: Preferences) -> str:
    local = moment.astimezone(preferences.zone)
    return f"{local:%A} {local.day} {local:%B %Y}"


class DigestMail:
    """Digest and confirmation messages for one site (its settings and signing key)."""

    def __init__(self, settings: Settings, signer: Signer, site_url: Callable[[], str] | None = None) -> None:
        """``site_url``: where links point when a message is made (see :class:`DigestLinks`)."""
        self.settings = settings
        self.links = DigestLinks(settings, signer, site_url)
        self._dkim = DkimKey.from_settings(settings)

    def headers(self, subscription: Subscription) -> dict[str, str]:
        """List-Unsubscribe (the signed https link, and mailto when configured) with RFC 8058 one-click."""
        targets = [f"<{self.links.unsubscribe_url(subscription)}>"]
        if self.settings.digest_unsubscribe_mailto:
            targets.append(f"<mailto:{self.settings.digest_unsubscribe_mailto}?subject=unsubscribe>")
        return {
            "List-Unsubscribe": ", ".join(targets),
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"papertide digest <digest.{self.links.host}>",
        }

    def subject(self, digest: ComposedDigest) -> str:
        papers = f"{digest.count} new paper{'s' if digest.count != 1 else ''}"
        return f"{papers} for you · papertide, {_day(digest.period.cutoff, digest.preferences)}"

    def text(self, digest: ComposedDigest) -> str:
        return _templates.get_template("digest.txt").render(self._context(digest))

    def html(self, digest: ComposedDigest) -> str:
        return _templates.get_template("digest.html").render(self._context(digest))

    def message(self, digest: ComposedDigest, *, date: datetime | None = None) -> EmailMessage:
        """The digest as mail to its subscriber, DKIM-signed when a key is configured; ``date`` is the sender's "now".

        Send the bytes of :func:`papertide.mail.dkim.wire_bytes` as they are: they are what was signed.
        """
        context = self._context(digest)
        message = compose(
            self.settings,
            to=digest.subscription.email,
            subject=context["subject"],
            text=_templates.get_template("digest.txt").render(context),
            html=_templates.get_template("digest.html").render(context),
            headers=self.headers(digest.subscription),
            message_id=outbox_key(digest.subscription.pk, digest.period.key),
            date=date,
        )
        return sign(message, self._dkim) if self._dkim else message

    def confirmation(self, subscription: Subscription, token: str, *, date: datetime | None = None) -> EmailMessage:
        """The double opt-in mail: the only one sent to an address before it confirms."""
        link = self.links.confirm_url(token)
        return self._notice(subscription, "confirm", "Confirm your papertide digest", link, date)

    def already_subscribed(self, subscription: Subscription, *, date: datetime | None = None) -> EmailMessage:
        """The answer to subscribing an address that already is: its manage link, nothing changed."""
        link = self.links.manage_url(subscription)
        return self._notice(subscription, "manage_link", "Your papertide digest settings", link, date)

    def _notice(
        self, subscription: Subscription, template: str, subject: str, link: str, date: datetime | None
    ) -> EmailMessage:
        context = {
            "address": subscription.email,
            "schedule": describe_schedule(Preferences.from_dict(subscription.preferences)),
            "link": link,
            "days": self.settings.digest_confirm_days,
            "base_url": self.links.base_url,
        }
        return compose(
            self.settings,
            to=subscription.email,
            subject=subject,
            text=_templates.get_template(f"{template}.txt").render(context),
            html=_templates.get_template(f"{template}.html").render(context),
            date=date,
        )

    def _context(self, digest: ComposedDigest) -> dict:
        preferences = digest.preferences
        numbered = 0
        sections = []
        for section in digest.sections:
            items = []
            for item in section.items:
                numbered += 1
                paper = item.paper
                items.append(
                    {
                        "number": numbered,
                        "title": plain_math(paper.title),
                        "authors": short_authors(paper.authors),
                        "author_pages": [
                            {"name": name, "url": self.links.author_url(name)}
                            for name in shown_authors(paper.authors)[0]
                        ],
                        "more_authors": shown_authors(paper.authors)[1],
                        "categories": ", ".join(paper.paper.categories[:_SHOWN_CATEGORIES]),
                        "abstract": plain_math(snippet(paper.abstract, ABSTRACT_CHARS)),
                        "reason": plain_math(item.reason),
                        "url": self.links.paper_url(paper.paper_id),
                    }
                )
            sections.append({"title": section.title, "papers": items})
        count = digest.count
        since = digest.since.astimezone(preferences.zone)
        return {
            "subject": self.subject(digest),
            "heading": f"Your digest for {_day(digest.period.cutoff, preferences)}",
            "intro": f"{count} new paper{'s' if count != 1 else ''} since {_day(since, preferences)}, "
            f"{since:%H:%M} your time.",
            "sections": sections,
            "schedule": describe_schedule(preferences),
            "address": digest.subscription.email,
            "manage_url": self.links.manage_url(digest.subscription),
            "unsubscribe_url": self.links.unsubscribe_url(digest.subscription),
            "base_url": self.links.base_url,
        }
