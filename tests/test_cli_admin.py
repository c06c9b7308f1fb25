"""``papertide admin``: roles granted, revoked and listed from the command line, each change logged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papertide.cli import app
from papertide.store import open_store
from papertide.store.accounts.store import AccountStore
from papertide.store.discussion.moderation import ModerationStore


def run(database_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--database-url", database_url, "admin", *args])
    message = result.stdout + (str(result.exception.message) if hasattr(result.exception, "message") else "")
    return result.exit_code, message


@pytest.fixture
def database(database_url: str, tmp_path: Path) -> str:
    AccountStore(open_store(database_url).engine).get_or_create_user("Mod@Example.org")
    return database_url


def test_grant_list_and_revoke(database: str) -> None:
    assert run(database, "grant", "moderator", "mod@example.org") == (0, "mod@example.org is now a moderator\n")
    code, printed = run(database, "grant", "moderator", "mod@example.org", "--json")
    assert code == 0 and json.loads(printed) == {
        "action": "grant",
        "role": "moderator",
        "email": "mod@example.org",
        "changed": False,
    }
    code, printed = run(database, "list", "--json")
    assert [(h["email"], h["role"]) for h in json.loads(printed)] == [("mod@example.org", "moderator")]
    assert "mod@example.org" in run(database, "list")[1]
    assert run(database, "revoke", "moderator", "mod@example.org") == (0, "mod@example.org is no longer a moderator\n")
    assert run(database, "revoke", "moderator", "mod@example.org")[1].startswith("nothing to do")
    log = ModerationStore(open_store(database).engine).log(10)
    assert [(e.action, e.actor, e.note) for e in log] == [
        ("revoke", "command line", "moderator"),
        ("grant", "command line", "moderator"),
    ]


def test_unknown_roles_and_accounts_are_refused(database: str) -> None:
    code, printed = run(database, "grant", "owner", "mod@example.org")
    assert code == 1 and "unknown role 'owner': the roles are moderator, admin" in printed
    code, printed = run(database, "grant", "moderator", "nobody@example.org")
    assert code == 1 and "no account for 'nobody@example.org'" in printed
    assert json.loads(run(database, "list", "--json")[1]) == []
