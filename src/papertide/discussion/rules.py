"""What a comment must be, and how often an account may post one: length, links from new accounts,
suspensions, and rate limits (per account; stricter in an account's first day, when spam comes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from papertide.accounts.rate_limits import Limit, RateLimiter
from papertide.config import Settings
from papertide.discussion.render import has_link
from papertide.errors import Forbidden, InvalidInput, TooLarge
from papertide.store.accounts.store import User
from papertide.store.discussion.moderation import ModerationStore

MAX_REPORT_CHARS = 1000
MAX_NOTE_CHARS = 1000


@dataclass(frozen=True, slots=True)
class CommentRules:
    max_chars: int
    per_hour: int
    new_account_per_hour: int
    new_account_age: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> CommentRules:
        return cls(
            max_chars=settings.comment_max_chars,
            per_hour=settings.comment_limit_per_hour,
            new_account_per_hour=settings.comment_new_account_limit_per_hour,
            new_account_age=timedelta(hours=settings.comment_new_account_hours),
        )

    def is_new(self, user: User, now: datetime) -> bool:
        return now - user.created_at < self.new_account_age


def checked_text(text: str, *, what: str, limit: int) -> str:
    """``text`` without surrounding blank space; InvalidInput if nothing is left, TooLarge past ``limit``."""
    text = text.strip()
    if not text:
        raise InvalidInput(f"the {what} is empty: write something first")
    if len(text) > limit:
        raise TooLarge(f"the {what} is {len(text):,} characters long; the most is {limit:,}")
    return text


class Gate:
    """Checks a comment before it is stored, and counts it against the author's rate limits."""

    def __init__(self, rules: CommentRules, limiter: RateLimiter, moderation: ModerationStore) -> None:
        self.rules = rules
        self._limiter = limiter
        self._moderation = moderation

    def body(self, user: User, body: str) -> str:
        """The comment's Markdown, checked: not empty, not too long, no links from a new account."""
        body = checked_text(body, what="comment", limit=self.rules.max_chars)
        if self.rules.is_new(user, self._moderation.now()) and has_link(body):
            hours = int(self.rules.new_account_age.total_seconds() // 3600)
            raise InvalidInput(
                f"accounts younger than {hours} hours cannot post links; write the address without a link, or "
                "post it later"
            )
        return body

    def admit(self, user: User) -> None:
        """Refuse a suspended account (403) or one over its rate limit (429); else count the comment."""
        suspension = self._moderation.suspension(user.pk)
        if suspension is not None:
            raise Forbidden(f"your account may not comment: a moderator suspended it ({suspension.note})")
        if self.rules.is_new(user, self._moderation.now()):
            count, reason = self.rules.new_account_per_hour, "comments in an hour from an account younger than a day"
        else:
            count, reason = self.rules.per_hour, "comments in an hour, the most one account may post"
        self._limiter.hit(Limit(f"comment:user:{user.pk}", count, f"You have posted {count} {reason}"))
