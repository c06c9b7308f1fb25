"""Alerts are validated with the search box's parser; signed manage links resist forgery and can be revoked."""

from __future__ import annotations

import pytest

from papertide.accounts.keys import Signer
from papertide.digest.alerts import MAX_AUTHOR_CHARS, alert_query, describe_alert, validate_alert
from papertide.digest.links import MANAGE, UNSUBSCRIBE, DigestLinks
from papertide.errors import Conflict, Forbidden, InvalidInput
from papertide.search.query import MAX_QUERY_CHARS, Field
from tests.digest.conftest import World


def test_a_followed_author_is_an_author_query() -> None:
    parsed = alert_query("author", "Grace Hopper")
    assert [(t.text, t.field, t.phrase) for t in parsed.terms] == [("Grace Hopper", Field.AUTHOR, True)]


@pytest.mark.parametrize(
    ("value", "label"),
    [
        ('"regression testing"', "Matches your saved search “regression testing”"),
        ("regression testing", "Matches your saved search “regression testing”"),
        ('"regression testing" -survey', 'Matches your saved search "regression testing" -survey'),
        ('"', 'Matches your saved search "'),
    ],
)
def test_a_saved_search_is_labelled_without_doubled_quotes(value: str, label: str) -> None:
    assert describe_alert("search", value) == label


def test_valid_alerts_are_trimmed() -> None:
    assert validate_alert("search", '  "diffusion model" cat:cs.CV -survey ') == '"diffusion model" cat:cs.CV -survey'
    assert validate_alert("search", "cat:cs.LG") == "cat:cs.LG"  # everything new in a category
    assert validate_alert("author", " Yann LeCun ") == "Yann LeCun"


@pytest.mark.parametrize(
    ("kind", "value", "named"),
    [
        ("search", "", "query: is empty"),
        ("search", "year:20x4", "query: 'year:20x4': expected a year"),
        ("search", "cat:not_a_category!", "query: 'cat:not_a_category!'"),
        ("search", "x" * (MAX_QUERY_CHARS + 1), f"query: at most {MAX_QUERY_CHARS} characters"),
        ("search", "diffusion\r\nBcc: victim@example.org", "query: contains a line break"),
        ("search", "-survey", "query: '-survey' has nothing to look for"),
        ("author", 'Ada "Countess" Lovelace', "author: 'Ada \"Countess\" Lovelace' is not a name"),
        ("author", "Ada\nLovelace", "author: contains a line break"),
        ("author", "x" * (MAX_AUTHOR_CHARS + 1), "author: at most 200 characters"),
        ("author", "---", "author: '---' is not a name"),
        ("venue", "NeurIPS", "kind: 'venue' is not one of search, author"),
    ],
)
def test_bad_alerts_are_refused_by_name(kind: str, value: str, named: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_alert(kind, value)
    assert caught.value.message.startswith(named), caught.value.message


def test_alerts_are_bounded_and_unique(world: World) -> None:
    subscription = world.subscriber()
    world.subscriptions.add_alert(subscription.pk, "search", "graphs", limit=2)
    with pytest.raises(Conflict, match="exists already"):
        world.subscriptions.add_alert(subscription.pk, "search", "graphs", limit=2)
    world.subscriptions.add_alert(subscription.pk, "author", "graphs", limit=2)  # another kind: another alert
    with pytest.raises(Conflict, match="at most 2 alerts"):
        world.subscriptions.add_alert(subscription.pk, "search", "proteins", limit=2)
    assert [a.value for a in world.subscriptions.alerts(subscription.pk)] == ["graphs", "graphs"]


def test_signed_links_verify_only_for_their_purpose_and_until_revoked(world: World) -> None:
    links = DigestLinks(world.settings, Signer(b"k" * 32))
    subscription = world.subscriber()
    manage = links.token(MANAGE, subscription)
    assert links.verify(MANAGE, manage, world.subscriptions).pk == subscription.pk
    assert links.manage_url(subscription) == f"https://papers.example.org/digest/manage/{manage}"
    with pytest.raises(Forbidden):
        links.verify(UNSUBSCRIBE, manage, world.subscriptions)  # another purpose
    other = world.subscriber("other@example.org")
    pk, _, signature = manage.partition(".")
    forgeries = (f"{other.pk}.{signature}", f"{pk}.{signature[:-2]}xx", f"{pk}.", "", "x.y", "٣.abc", "9" * 40 + ".s")
    for forged in forgeries:
        with pytest.raises(Forbidden):
            links.verify(MANAGE, forged, world.subscriptions)
    world.subscriptions.set_nonce(subscription.pk, "rotated")
    with pytest.raises(Forbidden):
        links.verify(MANAGE, manage, world.subscriptions)
    assert links.paper_url("hep-th/9901001") == "https://papers.example.org/paper/hep-th/9901001"


def test_recording_a_paper_twice_is_refused_and_records_nothing(world: World) -> None:
    from tests.digest.conftest import at, paper

    subscription = world.subscriber()
    world.arrive([paper(1, "One", submitted=at(1)), paper(2, "Two", submitted=at(1))], at=at(1, 1))
    one, two = (p.pk for p in world.store.get_many_by_id(["2612.00001", "2612.00002"]))
    world.subscriptions.record(subscription.pk, "2026-12-01", at(1, 8), [one])
    with pytest.raises(Conflict):
        world.subscriptions.record(subscription.pk, "2026-12-02", at(2, 8), [two, one])
    assert world.subscriptions.already_sent(subscription.pk, [one, two]) == {one}
    assert world.subscriptions.get(subscription.pk).last_cutoff == at(1, 8)  # the window did not move either
