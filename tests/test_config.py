from __future__ import annotations

import os
from pathlib import Path

import pytest

from papertide.config import load_settings
from papertide.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("PAPERTIDE_DATABASE_URL", "PAPERTIDE_CONFIG", "PAPERTIDE_BATCH_SIZE", "PAPERTIDE_WEB_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PAPERTIDE_DATA_DIR", str(tmp_path))


def test_defaults_put_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'papertide.db'}"
    assert settings.index_dir == tmp_path / "index"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERTIDE_BATCH_SIZE", "500")
    monkeypatch.setenv("PAPERTIDE_DATABASE_URL", "sqlite:////tmp/x.db")
    settings = load_settings()
    assert settings.batch_size == 500
    assert settings.resolved_database_url == "sqlite:////tmp/x.db"


def test_toml_file_in_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "papertide.toml").write_text('contact_email = "me@example.org"\nbatch_size = 100\n')
    monkeypatch.setenv("PAPERTIDE_BATCH_SIZE", "300")  # the environment wins over the file
    settings = load_settings()
    assert settings.contact_email == "me@example.org"
    assert settings.batch_size == 300


def test_explicit_config_file_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERTIDE_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match=r"missing\.toml"):
        load_settings()


def test_web_threads_default_to_two_per_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert load_settings().web_threads == 6
    monkeypatch.setenv("PAPERTIDE_WEB_THREADS", "2")
    assert load_settings().web_threads == 2


@pytest.mark.parametrize(
    ("text", "field"),
    [("batch_size = 0", "batch_size"), ("web_threads = 0", "web_threads"), ("colour = 'red'", "colour")],
)
def test_invalid_settings_name_the_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, field: str
) -> None:
    path = tmp_path / "custom.toml"
    path.write_text(text + "\n")
    monkeypatch.setenv("PAPERTIDE_CONFIG", str(path))
    with pytest.raises(ConfigError, match=field):
        load_settings()
