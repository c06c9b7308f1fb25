"""A server process's app freezes what its startup built (see papertide.web.app._freeze_heap); other apps,
such as the many a test session builds, leave the garbage collector as it was."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from papertide.config import Settings
from papertide.web.app import create_app


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the session collects its garbage as before


def test_a_server_app_freezes_its_startup_heap_once_started(settings: Settings, unfrozen: None) -> None:
    app = create_app(settings, freeze_heap=True)
    assert gc.get_freeze_count() == 0  # building the app freezes nothing: its startup does
    with TestClient(app) as client:
        assert gc.get_freeze_count() > 0
        assert client.get("/").status_code == 200


def test_other_apps_leave_the_collector_alone(settings: Settings, unfrozen: None) -> None:
    with TestClient(create_app(settings)) as client:
        assert client.get("/").status_code == 200
    assert gc.get_freeze_count() == 0
