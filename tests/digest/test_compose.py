"""Composition: what a digest holds, why, and that nothing repeats or arrives on an empty day."""

from __future__ import annotations

from datetime import date, timedelta

from papertide.digest.compose import ComposedDigest
from papertide.digest.preferences import Preferences, Section
from papertide.digest.schedule import Period, period_on
from papertide.store.digest.subscriptions import Subscription
from tests.digest.conftest import World, at, paper


def period(subscription: Subscription, day: int) -> Period:
    found = period_on(Preferences.from_dict(subscription.preferences), date(2026, 12, day))
    assert found is not None
    return found


def titles(digest: ComposedDigest | None, section: Section | None = None) -> list[str]:
    assert digest is not None
    return [
        item.paper.title
        for part in digest.sections
        if section is None or part.section is section
        for item in part.items
    ]


def reasons(digest: ComposedDigest) -> dict[str, str]:
    return {item.paper.title: item.reason for part in digest.sections for item in part.items}


def monday_arrivals(world: World) -> None:
    world.arrive(
        [
            paper(1, "Learning Rates Revisited", submitted=at(29, month=11), upvotes=3),
            paper(2, "Popular Transformers", submitted=at(29, month=11), upvotes=40),
            paper(3, "Seeing Better", categories=("cs.CV",), submitted=at(29, month=11)),
            paper(4, "An Old Paper Backfilled", submitted=at(1, month=6)),
        ],
        at=at(30, 20, month=11),
    )


def test_trending_takes_the_new_papers_in_the_categories_most_upvoted_first(world: World) -> None:
    subscription = world.subscriber(categories=["cs.LG"])
    monday_arrivals(world)
    digest = world.composer.compose(subscription, period(subscription, 1))
    assert titles(digest) == ["Popular Transformers", "Learning Rates Revisited"]
    assert digest.since == at(30, 8, month=11)  # Monday's delivery: the window before Tuesday's
    assert reasons(digest)["Popular Transformers"] == "New in cs.LG · 40 upvotes on Hugging Face"
    assert [part.title for part in digest.sections] == ["Trending in your categories"]


def test_every_category_when_none_is_chosen_and_exclusions_hold(world: World) -> None:
    everything = world.subscriber("all@example.org")
    no_vision = world.subscriber("novision@example.org", exclude=["cs.CV"])
    monday_arrivals(world)
    assert "Seeing Better" in titles(world.composer.compose(everything, period(everything, 1)))
    assert "Seeing Better" not in titles(world.composer.compose(no_vision, period(no_vision, 1)))


def test_papers_of_the_previous_window_stay_out(world: World) -> None:
    subscription = world.subscriber()
    monday_arrivals(world)  # Monday 20:00: before Tuesday's cutoff, after Monday's
    world.arrive([paper(5, "Tuesday Morning Paper", submitted=at(1))], at=at(1, 9))
    assert "Tuesday Morning Paper" not in titles(world.composer.compose(subscription, period(subscription, 1)))
    assert titles(world.composer.compose(subscription, period(subscription, 2))) == ["Tuesday Morning Paper"]


def test_no_paper_arrived_no_digest(world: World) -> None:
    subscription = world.subscriber()
    monday_arrivals(world)
    assert world.composer.compose(subscription, period(subscription, 3)) is None  # nothing since Tuesday


def test_nothing_for_this_subscriber_no_digest(world: World) -> None:
    subscription = world.subscriber(categories=["math.GT"])
    monday_arrivals(world)
    assert world.composer.compose(subscription, period(subscription, 1)) is None


def test_a_paper_is_never_in_two_digests_to_the_same_subscriber(world: World) -> None:
    subscription = world.subscriber(categories=["cs.LG"])
    monday_arrivals(world)
    tuesday = period(subscription, 1)
    first = world.composer.compose(subscription, tuesday)
    world.subscriptions.record(subscription.pk, tuesday.key, tuesday.cutoff, first.paper_pks[:1])
    # Composed again (say the sender crashed after recording): the recorded paper stays out.
    again = world.composer.compose(world.subscriptions.get(subscription.pk), tuesday)
    assert titles(again) == ["Learning Rates Revisited"]


def test_the_window_starts_at_the_last_digest_and_covers_missed_days(world: World) -> None:
    subscription = world.subscriber()
    monday_arrivals(world)
    tuesday = period(subscription, 1)
    world.subscriptions.record(subscription.pk, tuesday.key, tuesday.cutoff, [])  # skipped, say
    world.arrive([paper(6, "Wednesday Paper", submitted=at(2))], at=at(2, 12))
    world.arrive([paper(7, "Thursday Paper", submitted=at(3))], at=at(3, 12))
    # Thursday's and Friday's digests were never sent: Friday's covers both days since Tuesday's cutoff.
    friday = world.composer.compose(world.subscriptions.get(subscription.pk), period(subscription, 4))
    assert friday.since == tuesday.cutoff
    assert set(titles(friday)) == {"Wednesday Paper", "Thursday Paper"}


def test_a_paper_committed_after_a_cutoff_but_stamped_before_it_comes_the_next_day(world: World) -> None:
    subscription = world.subscriber()
    monday_arrivals(world)
    tuesday = period(subscription, 1)
    first = world.composer.compose(subscription, tuesday)
    world.subscriptions.record(subscription.pk, tuesday.key, tuesday.cutoff, first.paper_pks)
    # Its write began a minute before Tuesday's cutoff and committed after Tuesday's digest read its window.
    world.arrive([paper(6, "Late Commit", submitted=at(1))], at=tuesday.cutoff - timedelta(minutes=1))
    wednesday = world.composer.compose(world.subscriptions.get(subscription.pk), period(subscription, 2))
    assert titles(wednesday) == ["Late Commit"]  # and none of Tuesday's papers again
    assert wednesday.since == tuesday.cutoff


def test_alerts_bring_matches_from_any_category_with_their_reason(world: World) -> None:
    subscription = world.subscriber(categories=["cs.LG"])
    world.subscriptions.add_alert(subscription.pk, "search", "diffusion", limit=20)
    world.subscriptions.add_alert(subscription.pk, "author", "Grace Hopper", limit=20)
    world.arrive(
        [
            paper(8, "Diffusion Models for Video", categories=("cs.CV",), submitted=at(30, month=11)),
            paper(9, "Compilers", categories=("cs.PL",), submitted=at(30, month=11), authors=("Grace Hopper",)),
            paper(10, "Diffusion in Learning", submitted=at(30, month=11), upvotes=9),
            paper(11, "Unrelated Learning", submitted=at(30, month=11)),
        ],
        at=at(30, 20, month=11),
    )
    digest = world.composer.compose(subscription, period(subscription, 1))
    assert set(titles(digest, Section.ALERTS)) == {"Diffusion Models for Video", "Compilers", "Diffusion in Learning"}
    # "Diffusion in Learning" is trending in cs.LG too, but a paper appears once: in the alerts.
    assert titles(digest, Section.TRENDING) == ["Unrelated Learning"]
    assert reasons(digest)["Compilers"] == "By Grace Hopper, whom you follow"
    assert reasons(digest)["Diffusion Models for Video"] == "Matches your saved search “diffusion”"
    assert [part.title for part in digest.sections] == ["Trending in your categories", "From your alerts"]


def test_sections_take_turns_within_the_number_of_papers(world: World) -> None:
    subscription = world.subscriber(categories=["cs.LG"], max_papers=4)
    world.subscriptions.add_alert(subscription.pk, "search", "graphs", limit=20)
    world.arrive(
        [paper(20 + n, f"Graphs {n}", categories=("cs.DM",), submitted=at(30, month=11)) for n in range(5)]
        + [paper(30 + n, f"Learning {n}", submitted=at(30, month=11)) for n in range(5)],
        at=at(30, 20, month=11),
    )
    digest = world.composer.compose(subscription, period(subscription, 1))
    assert digest.count == 4
    assert len(titles(digest, Section.ALERTS)) == 2 and len(titles(digest, Section.TRENDING)) == 2


def test_a_section_turned_off_brings_nothing(world: World) -> None:
    subscription = world.subscriber(sections=["alerts"])
    world.subscriptions.add_alert(subscription.pk, "search", "transformers", limit=20)
    monday_arrivals(world)
    assert titles(world.composer.compose(subscription, period(subscription, 1))) == ["Popular Transformers"]


def test_trending_papers_come_first_with_why_they_trend_and_only_once(world: World) -> None:
    subscription = world.subscriber(categories=["cs.LG"])
    world.arrive([paper(40, "Last Week's Hit", submitted=at(20, month=11), upvotes=5)], at=at(21, month=11))
    monday_arrivals(world)
    # Its Hugging Face upvotes grew by 30 in the day before Tuesday's delivery.
    world.arrive([paper(40, "Last Week's Hit", submitted=at(20, month=11), upvotes=35, observed=at(1, 6))], at=at(1, 6))
    world.clock.now = at(1, 8)
    world.trending.refresh()
    tuesday = period(subscription, 1)
    digest = world.composer.compose(subscription, tuesday)
    assert titles(digest)[0] == "Last Week's Hit"
    assert reasons(digest)["Last Week's Hit"] == "Trending in cs.LG: +30 Hugging Face upvotes today"
    assert "Popular Transformers" in titles(digest)  # the new arrivals follow
    world.subscriptions.record(subscription.pk, tuesday.key, tuesday.cutoff, digest.paper_pks)
    # Still trending on Wednesday, but sent already: Wednesday brings only what is new to this reader.
    world.arrive([paper(41, "Wednesday Paper", submitted=at(2))], at=at(2, 6))
    world.clock.now = at(2, 8)
    world.trending.refresh()
    wednesday = world.composer.compose(world.subscriptions.get(subscription.pk), period(subscription, 2))
    assert titles(wednesday) == ["Wednesday Paper"]


def test_an_alert_whose_own_dates_end_before_the_news_matches_nothing(world: World) -> None:
    subscription = world.subscriber(categories=["math.GT"])
    world.subscriptions.add_alert(subscription.pk, "search", "learning year:2020", limit=20)
    monday_arrivals(world)
    assert world.composer.compose(subscription, period(subscription, 1)) is None


def test_a_new_paper_that_trends_is_listed_once_with_why_it_trends(world: World) -> None:
    subscription = world.subscriber(categories=["cs.LG"])
    monday_arrivals(world)
    # "Popular Transformers" arrived on Monday (new) and gained 30 upvotes before Tuesday's delivery (trending).
    world.arrive(
        [paper(2, "Popular Transformers", submitted=at(29, month=11), upvotes=70, observed=at(1, 6))], at=at(1, 6)
    )
    world.clock.now = at(1, 8)
    world.trending.refresh()
    digest = world.composer.compose(subscription, period(subscription, 1))
    assert titles(digest) == ["Popular Transformers", "Learning Rates Revisited"]
    assert len(digest.paper_pks) == len(set(digest.paper_pks)) == digest.count == 2
    assert reasons(digest)["Popular Transformers"].startswith("Trending in cs.LG: +30 Hugging Face upvotes")


def test_an_empty_digest_says_why(world: World) -> None:
    lg = world.subscriber(categories=["cs.LG"])
    topology = world.subscriber("topology@example.org", categories=["math.GT"])
    monday_arrivals(world)  # three new papers and one submitted in June (a backfill)
    tuesday = period(lg, 1)
    assert world.composer.compose(topology, tuesday) is None
    assert world.composer.why_empty(topology, tuesday) == (
        "nothing new for them between 2026-11-30 08:00 and 2026-12-01 08:00 UTC: none of the 3 new papers is in "
        "their categories, sections or alerts, or each was in an earlier digest; 1 paper older than the maximum "
        "age (14 days, PAPERTIDE_DIGEST_MAX_AGE_DAYS) left out"
    )
    world.subscriptions.record(lg.pk, tuesday.key, tuesday.cutoff, world.composer.compose(lg, tuesday).paper_pks)
    lg = world.subscriptions.get(lg.pk)
    assert world.composer.compose(lg, period(lg, 2)) is None
    assert world.composer.why_empty(lg, period(lg, 2)) == (
        "nothing arrived since the last digest (between 2026-12-01 08:00 and 2026-12-02 08:00 UTC)"
    )
    backfills = [paper(8, "Another Backfill", submitted=at(2, month=5)), paper(9, "A Third", submitted=at(3, month=5))]
    world.arrive(backfills, at=at(2, 12))
    assert world.composer.compose(lg, period(lg, 3)) is None
    assert world.composer.why_empty(lg, period(lg, 3)) == (
        "nothing new since the last digest (between 2026-12-01 08:00 and 2026-12-03 08:00 UTC): only 2 papers "
        "older than the maximum age (14 days, PAPERTIDE_DIGEST_MAX_AGE_DAYS) arrived"
    )
