"""Preferences: every field parsed and bounded; a bad one is refused by name and changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from papertide.digest.preferences import MAX_PAPERS, MAX_PATTERNS, Frequency, Preferences, Section
from papertide.errors import InvalidInput


def test_defaults_are_a_weekday_digest_of_ten_papers_at_eight_utc() -> None:
    defaults = Preferences()
    assert defaults.frequency is Frequency.WEEKDAYS
    assert (defaults.hour, defaults.timezone, defaults.max_papers) == (8, "UTC", 10)
    assert defaults.sections == frozenset(Section)
    assert defaults.paused_until is None


def test_form_values_are_parsed() -> None:
    parsed = Preferences.parse(
        {
            "frequency": "weekly",
            "weekday": "Friday",
            "hour": "18",
            "timezone": " America/New_York ",
            "categories": ["cs.LG", "math.*"],
            "exclude": "cs.CR",
            "max_papers": "25",
            "sections": ["trending", "alerts"],
            "paused_until": "2027-01-04",
        }
    )
    assert parsed.frequency is Frequency.WEEKLY and parsed.weekday == 4 and parsed.hour == 18
    assert parsed.timezone == "America/New_York"
    assert parsed.categories == ("cs.LG", "math.*") and parsed.exclude == ("cs.CR",)
    assert parsed.max_papers == 25
    assert parsed.sections == {Section.TRENDING, Section.ALERTS}
    assert parsed.paused_until == date(2027, 1, 4)


def test_stored_form_round_trips() -> None:
    chosen = Preferences.parse({"frequency": "daily", "timezone": "Asia/Kolkata", "categories": ["cs.CV"]})
    assert Preferences.from_dict(chosen.to_dict()) == chosen


def test_parse_changes_only_the_given_fields_of_the_base() -> None:
    base = Preferences.parse({"hour": 6, "timezone": "Europe/Paris"})
    changed = Preferences.parse({"max_papers": 5}, base=base)
    assert (changed.hour, changed.timezone, changed.max_papers) == (6, "Europe/Paris", 5)


def test_an_empty_pause_clears_it() -> None:
    paused = Preferences.parse({"paused_until": "2027-01-04"})
    assert Preferences.parse({"paused_until": ""}, base=paused).paused_until is None


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"frequency": "hourly"}, "frequency: 'hourly' is not one of weekdays, daily, weekly"),
        ({"weekday": "Caturday"}, "weekday: 'Caturday' is not a whole number from 0 to 6"),
        ({"weekday": 7}, "weekday: must be from 0 to 6, got 7"),
        ({"hour": "25"}, "hour: must be from 0 to 23, got 25"),
        ({"hour": "8.5"}, "hour: '8.5' is not a whole number from 0 to 23"),
        ({"hour": True}, "hour: must be a whole number from 0 to 23"),
        ({"hour": None}, "hour: must be a whole number from 0 to 23"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone: 'Mars/Olympus_Mons' is not an IANA time zone name"),
        ({"timezone": "../../../etc/passwd"}, "timezone: '../../../etc/passwd' is not an IANA time zone name"),
        ({"timezone": "Europe/" + "x" * 80}, "timezone: at most 64 characters, got 87"),
        ({"timezone": ""}, "timezone: give an IANA time zone name"),
        ({"timezone": 3}, "timezone: give an IANA time zone name"),
        ({"categories": ["cs.LG", "not a category!"]}, "categories: 'not a category!' is not a category pattern"),
        ({"categories": [f"cs.X{i}" for i in range(MAX_PATTERNS + 1)]}, "categories: at most 32 categories, got 33"),
        ({"exclude": [3]}, "exclude: must be a list of category ids"),
        ({"max_papers": 0}, "max_papers: must be from 1 to 50, got 0"),
        ({"max_papers": MAX_PAPERS + 1}, "max_papers: must be from 1 to 50, got 51"),
        ({"max_papers": "9" * 5000}, "max_papers: '9999999999"),
        ({"sections": ["trending", "gossip"]}, "sections: 'gossip' is not one of alerts, for_you, trending"),
        ({"sections": []}, "sections: keep at least one section"),
        ({"paused_until": "next week"}, "paused_until: 'next week' is not a date YYYY-MM-DD"),
        ({"paused_until": 20270104}, "paused_until: must be a date YYYY-MM-DD"),
        ({"colour": "blue"}, "colour: no such preference"),
    ],
)
def test_each_bad_field_is_refused_by_name(data: dict, named: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Preferences.parse(data)
    assert caught.value.message.startswith(named), caught.value.message


def test_a_refused_change_leaves_the_base_as_it_was() -> None:
    base = Preferences.parse({"hour": 6})
    with pytest.raises(InvalidInput):
        Preferences.parse({"hour": 7, "timezone": "Nowhere/Special"}, base=base)
    assert base.hour == 6
