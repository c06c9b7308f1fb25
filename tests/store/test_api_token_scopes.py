"""Migration 0010 gives API tokens a scope; tokens made before it keep the write access they had."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import MetaData, Table, insert

from papertide.store.accounts.store import AccountStore
from papertide.store.db.engine import _alembic_config, create_store_engine, migrate

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_tokens_made_before_scopes_keep_writing(database_url: str) -> None:
    engine = create_store_engine(database_url)
    config = _alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0008")  # the schema before scopes
        users = Table("users", MetaData(), autoload_with=conn)
        tokens = Table("api_tokens", MetaData(), autoload_with=conn)
        user_pk = conn.execute(insert(users).values(email="old@example.org", created_at=NOW)).inserted_primary_key[0]
        conn.execute(insert(tokens).values(user_pk=user_pk, name="cron", token_hash="0" * 64, created_at=NOW))
    migrate(engine)
    accounts = AccountStore(engine, lambda: NOW)
    [old] = accounts.api_tokens(user_pk)
    assert (old.name, old.scope, old.writes) == ("cron", "write", True)
    found = accounts.api_token_use("0" * 64)
    assert found is not None and found.token.writes and found.user.email == "old@example.org"
    accounts.add_api_token(user_pk, "new", "1" * 64, "read")
    assert [token.scope for token in accounts.api_tokens(user_pk)] == ["write", "read"]
    engine.dispose()
