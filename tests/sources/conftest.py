"""Fixtures for the source tests: the replay server, a fake clock and an HttpClient using both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from papertide.ingest.sources.http import HttpClient
from tests.sources.replay import FakeTime, RecordedServer


@pytest.fixture
def server() -> Iterator[RecordedServer]:
    recorded = RecordedServer()
    yield recorded
    recorded.close()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def http(fake_time: FakeTime) -> Iterator[HttpClient]:
    client = HttpClient(
        contact="tests@example.org", timeout=2.0, retries=2, sleep=fake_time.sleep, clock=fake_time.clock
    )
    yield client
    client.close()
