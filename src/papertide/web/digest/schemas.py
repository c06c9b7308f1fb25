"""The JSON API's models for digests: subscriptions, their preferences and alerts, a digest's contents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from papertide.digest.alerts import KINDS, MAX_AUTHOR_CHARS
from papertide.digest.compose import ComposedDigest
from papertide.digest.preferences import (
    MAX_PAPERS,
    MAX_PATTERNS,
    WEEKDAYS,
    Frequency,
    Preferences,
    Section,
    describe_schedule,
)
from papertide.search.query import MAX_QUERY_CHARS
from papertide.store.digest.subscriptions import Alert, Subscription
from papertide.web.kit.border import Email, IsoDay, patterned, whole_number
from papertide.web.kit.schemas import PaperSummary, paper_summary

_DAY_NAMES = tuple(day.lower() for day in WEEKDAYS) + WEEKDAYS


def _day_number(value: object) -> object:
    """A day's name as its number (Monday is 0), so one check and one message cover both forms."""
    return _DAY_NAMES.index(value) % 7 if value in _DAY_NAMES else value


_Weekday = Annotated[
    whole_number(0, 6),
    BeforeValidator(_day_number),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 0, "maximum": 6}, {"enum": list(_DAY_NAMES)}]}),
]
_Hour = whole_number(0, 23)
_PaperCount = whole_number(1, MAX_PAPERS)
_ZONES = frozenset(available_timezones())


def _zone(name: str) -> str:
    if name not in _ZONES:
        raise PydanticCustomError("zone", "must be an IANA time zone name such as Europe/Berlin")
    return name


# The schema lists the zones; the check says what is wrong without listing them all.
_Zone = Annotated[str, AfterValidator(_zone), WithJsonSchema({"type": "string", "enum": sorted(_ZONES)})]
# One category pattern as the search engine checks it (Filters), spelled out for the schema.
_Category = patterned(r"^[A-Za-z][A-Za-z-]*(?:\.[A-Za-z-]+\*?|\.\*|\*)?$", "a category such as cs.LG or cs.*")


def _without_defaults(schema: dict) -> None:
    """A field left out keeps its value; null is no value (paused_until aside), so no default is shown."""
    for field in schema.get("properties", {}).values():
        field.pop("default", None)


class DigestPreferences(BaseModel):
    """When the digest comes and what it brings; every field may be left out to keep (or default) it.

    Each field's type and range are in this schema; a request outside them is a 422 naming the
    field, and nothing changes.
    """

    model_config = ConfigDict(json_schema_extra=_without_defaults)

    frequency: Frequency = Field(None, description="`weekdays` (Monday to Friday, the default), `daily` or `weekly`.")
    weekday: _Weekday = Field(None, description="Day of a weekly digest: 0 (Monday) to 6, or its name.")
    hour: _Hour = Field(None, description="Local delivery hour, 0-23 (default 8).")
    timezone: _Zone = Field(None, description="IANA time zone, e.g. `Europe/Berlin` (default UTC).")
    categories: list[_Category] = Field(
        None, max_length=MAX_PATTERNS, description="Categories to include (`cs.LG`, `math.*`); empty: every category."
    )
    exclude: list[_Category] = Field(None, max_length=MAX_PATTERNS, description="Categories to leave out.")
    max_papers: _PaperCount = Field(None, description=f"Papers per digest, 1-{MAX_PAPERS} (default 10).")
    sections: list[Section] = Field(
        None,
        min_length=1,
        max_length=3,
        description="Sections on: any of `trending`, `for_you`, `alerts` (default all).",
    )
    paused_until: IsoDay | None = Field(None, description="No digest before this local day; null: no pause.")

    def changes(self) -> dict:
        """The fields the caller gave, as :meth:`Preferences.parse` takes them."""
        return self.model_dump(mode="json", exclude_unset=True)


class SubscribeRequest(BaseModel):
    email: Email | None = Field(
        None,
        description="The address to subscribe; a confirmation link is mailed to it. Left out with an API token: "
        "the account's own address, subscribed at once (without credentials: 401).",
    )
    preferences: DigestPreferences = Field(default_factory=DigestPreferences)


class SubscribeResult(BaseModel):
    status: str = Field(description="`confirmation_sent` (the link is in the mail) or `active`.")
    email: str


class AlertIn(BaseModel):
    kind: Literal[KINDS] = Field(  # type: ignore[valid-type]
        description=f"One of {', '.join(KINDS)}: a saved search, or an author followed by name."
    )
    value: str = Field(
        min_length=1,
        max_length=max(MAX_QUERY_CHARS, MAX_AUTHOR_CHARS),
        description="The search query (the search box's language) or the author's name.",
    )


class AlertOut(BaseModel):
    id: int
    kind: str
    value: str
    created: datetime


class SubscriptionOut(BaseModel):
    email: str
    status: str = Field(description="`pending` (not confirmed), `active` or `unsubscribed`.")
    schedule: str = Field(description='When it comes, in words: "every weekday at 08:00 (UTC)".')
    preferences: dict = Field(description="Every preference, as DigestPreferences names them.")
    alerts: list[AlertOut]
    manage_url: str = Field(description="The settings page, reachable without signing in (keep it private).")


class DigestItemOut(BaseModel):
    paper: PaperSummary
    reason: str = Field(description="Why the paper is in the digest.")


class DigestSectionOut(BaseModel):
    section: str
    title: str
    items: list[DigestItemOut]


class DigestPreview(BaseModel):
    """What the next delivery would bring, composed now from what has arrived so far; nothing is sent or recorded."""

    period: date = Field(description="The local day of the next delivery (the first after a pause).")
    subject: str | None = Field(description="The mail's subject; null when nothing would be sent.")
    not_sent: str | None = Field(None, description="Why nothing would be sent, when nothing would.")
    sections: list[DigestSectionOut]


def alert_out(alert: Alert) -> AlertOut:
    return AlertOut(id=alert.pk, kind=alert.kind, value=alert.value, created=alert.created_at)


def subscription_out(subscription: Subscription, alerts: list[Alert], manage_url: str) -> SubscriptionOut:
    preferences = Preferences.from_dict(subscription.preferences)
    return SubscriptionOut(
        email=subscription.email,
        status=subscription.status,
        schedule=describe_schedule(preferences),
        preferences=preferences.to_dict(),
        alerts=[alert_out(alert) for alert in alerts],
        manage_url=manage_url,
    )


def digest_sections(digest: ComposedDigest | None) -> list[DigestSectionOut]:
    if digest is None:
        return []
    return [
        DigestSectionOut(
            section=part.section.value,
            title=part.title,
            items=[DigestItemOut(paper=paper_summary(item.paper), reason=item.reason) for item in part.items],
        )
        for part in digest.sections
    ]
