"""Copying a SQLite installation into PostgreSQL: everything arrives, verified, and a broken copy resumes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, insert, select

from papertide.errors import InvalidInput
from papertide.store import open_store
from papertide.store.accounts.store import AccountStore
from papertide.store.db.engine import create_store_engine
from papertide.store.db.schema import (
    EMBEDDING_DIM,
    collection_items,
    collections,
    digest_outbox,
    paper_vectors,
    papers,
    subscriptions,
    votes,
)
from papertide.store.db.transfer import copy_database
from tests.postgres import PostgresForTests
from tests.web.corpus import load_papers


@pytest.fixture
def sqlite_installation(tmp_path: Path):
    """A SQLite store with papers, signals, accounts, a session, votes and a collection."""
    store = open_store(f"sqlite:///{tmp_path / 'papertide.db'}")
    load_papers(store)
    accounts = AccountStore(store.engine)
    alice, _ = accounts.get_or_create_user("alice@example.org")
    bob, _ = accounts.get_or_create_user("bob@example.org")
    accounts.add_session(alice.pk, "a" * 64, accounts.now(), "agent")
    with store.engine.begin() as conn:
        pks = conn.execute(select(papers.c.pk).order_by(papers.c.pk).limit(3)).scalars().all()
        now = accounts.now()
        conn.execute(
            insert(votes), [{"user_pk": u.pk, "paper_pk": pk, "created_at": now} for u in (alice, bob) for pk in pks]
        )
        collection = conn.execute(
            insert(collections).values(
                user_pk=alice.pk,
                public_id="pub1",
                name="Saved",
                is_default=True,
                is_public=False,
                created_at=now,
                updated_at=now,
            )
        ).inserted_primary_key[0]
        conn.execute(
            insert(collection_items),
            [{"collection_pk": collection, "paper_pk": pks[0], "added_at": now, "note": "é ∑"}],
        )
        subscription = conn.execute(
            insert(subscriptions).values(
                email="alice@example.org", user_pk=alice.pk, status="active", preferences={}, nonce="n",
                created_at=now, updated_at=now,
            )
        ).inserted_primary_key[0]  # fmt: skip
        conn.execute(
            insert(digest_outbox).values(
                key="k1", subscription_pk=subscription, period="2026-01-01", address="alice@example.org",
                state="sent", message=b"Subject: x\r\n\r\n\xff\x00 bytes", paper_pks=pks, attempts=1, uncertain=0,
                next_attempt_at=now, created_at=now, updated_at=now,
            )
        )  # fmt: skip
        conn.execute(
            insert(paper_vectors).values(
                paper_pk=pks[0], model="minilm@2", paper_seq=1, text_digest=-5, embedded_at=now,
                vector=np.linspace(-1, 1, EMBEDDING_DIM, dtype=np.float32),
            )
        )  # fmt: skip
    return store


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (papers, votes)}


def test_everything_arrives_and_verifies(sqlite_installation, postgres: PostgresForTests) -> None:
    target = create_store_engine(postgres.fresh_database())
    reports = copy_database(sqlite_installation.engine, target, chunk=7)
    assert reports and all(report.matches for report in reports), [r for r in reports if not r.matches]
    copied_tables = {r.table: r.target_rows for r in reports}
    assert {"papers", "paper_signals", "users", "sessions", "votes", "collection_items"} <= copied_tables.keys()
    assert copied_tables["digest_outbox"] == copied_tables["paper_vectors"] == 1  # bytes and vectors verify too
    assert _counts(target) == _counts(sqlite_installation.engine)
    # the target carries on where the copy ended: new keys follow the copied ones
    accounts = AccountStore(target)
    carol, created = accounts.get_or_create_user("carol@example.org")
    assert created and carol.pk == 3
    copied = open_store(str(target.url.render_as_string(hide_password=False)))
    assert copied.get(sqlite_installation.get_many([1])[0].paper_id).title == sqlite_installation.get_many([1])[0].title


def test_an_interrupted_copy_resumes(sqlite_installation, postgres: PostgresForTests) -> None:
    target = create_store_engine(postgres.fresh_database())

    class Interrupted(Exception):
        pass

    def stop_in_papers(table: str, done: int, total: int) -> None:
        if table == "papers" and 0 < done < total:
            raise Interrupted

    with pytest.raises(Interrupted):
        copy_database(sqlite_installation.engine, target, chunk=5, progress=stop_in_papers)
    with target.connect() as conn:
        partial = conn.execute(select(func.count()).select_from(papers)).scalar_one()
    assert partial == 5  # one chunk, committed with its resume point
    reports = copy_database(sqlite_installation.engine, target, chunk=5)
    assert all(report.matches for report in reports)


def test_a_target_holding_data_is_refused(sqlite_installation, postgres: PostgresForTests) -> None:
    url = postgres.fresh_database()
    load_papers(open_store(url))
    with pytest.raises(InvalidInput, match="already holds data"):
        copy_database(sqlite_installation.engine, create_store_engine(url))


def test_copying_onto_itself_is_refused(sqlite_installation) -> None:
    with pytest.raises(InvalidInput, match="already in use"):
        copy_database(sqlite_installation.engine, sqlite_installation.engine)
