"""Votes written straight into the store, for tests of what reads them (the vote button has its own)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select

from papertide.store.db.schema import users, votes
from papertide.store.papers.store import PaperStore


def add_voter(store: PaperStore, email: str, age: timedelta = timedelta(days=30)) -> int:
    """An account created ``age`` ago; its store key."""
    with store.engine.begin() as conn:
        conn.execute(insert(users).values(email=email, created_at=store.now() - age))
        return conn.execute(select(users.c.pk).where(users.c.email == email)).scalar_one()


def vote(store: PaperStore, user_pk: int, paper_id: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(insert(votes).values(user_pk=user_pk, paper_pk=store.get(paper_id).pk, created_at=store.now()))
