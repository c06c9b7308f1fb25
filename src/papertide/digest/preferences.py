"""What a subscriber chose: how often and when, which categories, how many papers, which sections, a pause.

:meth:`Preferences.parse` is the one door for input from forms and the API: every field is
checked and bounded, and the first bad one raises :class:`~papertide.errors.InvalidInput` whose
message starts with the field's name, before anything is stored. Category patterns arrive
already split and spelled by the caller (:func:`~papertide.category_filter.category_patterns`) and are checked
here with the search engine's own :class:`~papertide.search.query.Filters`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from papertide.errors import InvalidInput, QueryError
from papertide.search.query import Filters

MAX_PAPERS = 50
DEFAULT_PAPERS = 10
MAX_PATTERNS = 32
MAX_ZONE_CHARS = 64
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class Frequency(StrEnum):
    WEEKDAYS = "weekdays"  # Monday to Friday, as Hugging Face sends its daily papers
    DAILY = "daily"
    WEEKLY = "weekly"


class Section(StrEnum):
    ALERTS = "alerts"
    FOR_YOU = "for_you"
    TRENDING = "trending"


ALL_SECTIONS = frozenset(Section)


@dataclass(frozen=True, slots=True)
class Preferences:
    """A subscriber's choices; the defaults are a weekday digest at 08:00 UTC of ten papers."""

    frequency: Frequency = Frequency.WEEKDAYS
    weekday: int = 0  # Monday=0; the day of a weekly digest
    hour: int = 8  # local delivery hour, 0-23
    timezone: str = "UTC"  # an IANA zone name
    categories: tuple[str, ...] = ()  # empty: every category
    exclude: tuple[str, ...] = ()
    max_papers: int = DEFAULT_PAPERS
    sections: frozenset[Section] = field(default=ALL_SECTIONS)
    paused_until: date | None = None  # no digest on a local day before this one

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def filters(self) -> Filters:
        return Filters(self.categories, self.exclude)

    def to_dict(self) -> dict:
        """The stored (JSON) form."""
        return {
            "frequency": self.frequency.value,
            "weekday": self.weekday,
            "hour": self.hour,
            "timezone": self.timezone,
            "categories": list(self.categories),
            "exclude": list(self.exclude),
            "max_papers": self.max_papers,
            "sections": sorted(section.value for section in self.sections),
            "paused_until": self.paused_until.isoformat() if self.paused_until else None,
        }

    @classmethod
    def from_dict(cls, stored: Mapping[str, object]) -> Preferences:
        """Preferences as stored; validated again, so a hand-edited row cannot smuggle in a bad value."""
        return cls.parse(stored, base=cls())

    @classmethod
    def parse(cls, data: Mapping[str, object], base: Preferences | None = None) -> Preferences:
        """``base`` (default: the defaults) changed by the fields in ``data``; the first bad field raises."""
        unknown = sorted(set(data) - set(_PARSE))
        if unknown:
            raise InvalidInput(f"{unknown[0]}: no such preference (known: {', '.join(_PARSE)})")
        changes = {name: parse(data[name]) for name, parse in _PARSE.items() if name in data}
        return replace(base or cls(), **changes)


def _whole(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput(f"{name}: must be a whole number from {low} to {high}")
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput(f"{name}: {str(value)[:40]!r} is not a whole number from {low} to {high}") from None
    if not low <= number <= high:
        raise InvalidInput(f"{name}: must be from {low} to {high}, got {number}")
    return number


def _frequency(value: object) -> Frequency:
    try:
        return Frequency(value)
    except ValueError:
        choices = ", ".join(f.value for f in Frequency)
        raise InvalidInput(f"frequency: {str(value)[:40]!r} is not one of {choices}") from None


def _weekday(value: object) -> int:
    if isinstance(value, str) and value.capitalize() in WEEKDAYS:
        return WEEKDAYS.index(value.capitalize())
    return _whole(value, "weekday", 0, 6)


def _timezone(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("timezone: give an IANA time zone name such as Europe/Berlin or America/New_York")
    name = value.strip()
    if len(name) > MAX_ZONE_CHARS:
        raise InvalidInput(f"timezone: at most {MAX_ZONE_CHARS} characters, got {len(name)}")
    # ZoneInfo also opens paths ("../../etc/x"): only names the tz database lists are zones.
    if name not in _zone_names():
        raise InvalidInput(f"timezone: {name!r} is not an IANA time zone name (such as Europe/Berlin)")
    return name


@cache
def _zone_names() -> frozenset[str]:
    """The tz database's zone names (listing them reads every zone file: once per process)."""
    return frozenset(available_timezones())


def _patterns(name: str):
    def parse(value: object) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value] if value else []
        if not isinstance(value, Iterable) or not all(isinstance(item, str) for item in value):
            raise InvalidInput(f"{name}: must be a list of category ids such as cs.LG or cs.*")
        patterns = tuple(dict.fromkeys(item.strip() for item in value if item.strip()))
        if len(patterns) > MAX_PATTERNS:
            raise InvalidInput(f"{name}: at most {MAX_PATTERNS} categories, got {len(patterns)}")
        try:
            Filters(patterns)
        except QueryError as exc:
            raise InvalidInput(f"{name}: {exc.message}") from None
        return patterns

    return parse


def _sections(value: object) -> frozenset[Section]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable):
        raise InvalidInput(f"sections: must be a list of {', '.join(s.value for s in Section)}")
    chosen = set()
    for item in value:
        try:
            chosen.add(Section(item))
        except ValueError:
            choices = ", ".join(s.value for s in Section)
            raise InvalidInput(f"sections: {str(item)[:40]!r} is not one of {choices}") from None
    if not chosen:
        raise InvalidInput("sections: keep at least one section (to stop the digest, pause it or unsubscribe)")
    return frozenset(chosen)


def _paused_until(value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise InvalidInput("paused_until: must be a date YYYY-MM-DD, or empty for no pause")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"paused_until: {value[:40]!r} is not a date YYYY-MM-DD") from None


_PARSE = {
    "frequency": _frequency,
    "weekday": _weekday,
    "hour": lambda value: _whole(value, "hour", 0, 23),
    "timezone": _timezone,
    "categories": _patterns("categories"),
    "exclude": _patterns("exclude"),
    "max_papers": lambda value: _whole(value, "max_papers", 1, MAX_PAPERS),
    "sections": _sections,
    "paused_until": _paused_until,
}


def describe_schedule(preferences: Preferences) -> str:
    """When digests come, as a phrase: "every weekday at 08:00 (Europe/Berlin)"."""
    days = {
        Frequency.WEEKDAYS: "every weekday",
        Frequency.DAILY: "every day",
        Frequency.WEEKLY: f"every {WEEKDAYS[preferences.weekday]}",
    }[preferences.frequency]
    return f"{days} at {preferences.hour:02d}:00 ({preferences.timezone})"
