"""Kept search texts: named by their digest, read back whole, pruned once not sent for the retention period."""

from __future__ import annotations

from datetime import timedelta

from papertide.store import PaperStore
from papertide.store.search_texts import TEXT_ID_CHARS, SearchTextStore, text_id
from tests.clock import ControlledClock

KEEP = timedelta(days=90)


def test_a_text_is_kept_whole_under_its_digest(store: PaperStore) -> None:
    texts = SearchTextStore(store.engine, ControlledClock())
    pasted = "量子纠缠 Schrödinger's équation\r\n" * 600
    key = texts.save(pasted, keep=KEEP)
    assert key == text_id(pasted) and len(key) == TEXT_ID_CHARS
    assert texts.load(key) == pasted
    assert texts.save(pasted, keep=KEEP) == key  # the same text, the same row
    assert texts.save(pasted + ".", keep=KEEP) != key
    assert texts.load("unknown") is None


def test_texts_not_sent_again_within_the_retention_are_pruned(store: PaperStore) -> None:
    clock = ControlledClock()
    texts = SearchTextStore(store.engine, clock)
    old, renewed = texts.save("old text", keep=KEEP), texts.save("renewed text", keep=KEEP)
    clock.advance(days=60)
    texts.save("renewed text", keep=KEEP)  # sent again: kept 90 days from now
    clock.advance(days=31)
    new = texts.save("new text", keep=KEEP)
    assert texts.load(old) is None
    assert texts.load(renewed) == "renewed text"
    assert texts.load(new) == "new text"
