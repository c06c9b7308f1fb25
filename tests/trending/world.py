"""A small library with accounts, votes and signal histories on a clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, insert, select

from papertide.config import load_settings
from papertide.model import Paper, Signal
from papertide.store import PaperStore
from papertide.store.db.engine import create_store_engine, migrate
from papertide.store.db.schema import users, votes
from papertide.store.trending import TrendingStore
from papertide.trending import ScoreParams, Trending

START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PARAMS = ScoreParams.from_settings(load_settings(data_dir=Path("/nonexistent")))


class Clock:
    """Now, as the test says."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class World:
    store: PaperStore
    clock: Clock
    papers: dict[str, Paper] = field(default_factory=dict)

    @classmethod
    def create(cls, database_url: str, clock: Clock | None = None) -> World:
        engine = create_store_engine(database_url)
        migrate(engine)
        clock = clock or Clock()
        return cls(PaperStore(engine, clock=clock), clock)

    def trending(self, params: ScoreParams = PARAMS, clock: Clock | None = None) -> Trending:
        """A trending service, as one process would have it."""
        clock = clock or self.clock
        store = TrendingStore(self.store.engine, clock)
        return Trending(self.store, store, params, refresh_after=timedelta(seconds=30))

    def paper(self, paper_id: str, categories: tuple[str, ...] = ("cs.LG",), age: timedelta | None = None) -> int:
        """Store a paper submitted ``age`` before now (default: a year); returns its store key."""
        submitted = self.clock() - (age if age is not None else timedelta(days=365))
        paper = Paper(paper_id, f"Paper {paper_id}", "An abstract.", categories=list(categories),
                      submitted=submitted, source="test")  # fmt: skip
        self.papers[paper_id] = paper
        self.store.write_batch([paper])
        return self.pk(paper_id)

    def pk(self, paper_id: str) -> int:
        return self.store.get(paper_id).pk

    def recategorise(self, paper_id: str, categories: tuple[str, ...]) -> None:
        self.papers[paper_id] = replace(self.papers[paper_id], categories=list(categories), version=2)
        self.store.write_batch([self.papers[paper_id]])

    def observe(self, paper_id: str, name: str, value: float, at: datetime | None = None) -> None:
        """A source saw ``value`` of a signal (through the store, as an ingest writes it)."""
        signal = Signal(name, value, at or self.clock())
        self.store.write_batch([replace(self.papers[paper_id], signals=[signal])])

    def user(self, email: str, age: timedelta = timedelta(days=30)) -> int:
        with self.store.engine.begin() as conn:
            conn.execute(insert(users).values(email=email, created_at=self.clock() - age))
            return conn.execute(select(users.c.pk).where(users.c.email == email)).scalar_one()

    def users(self, count: int, age: timedelta = timedelta(days=30), prefix: str = "u") -> list[int]:
        return [self.user(f"{prefix}{n}@example.org", age) for n in range(count)]

    def vote(self, user_pk: int, paper_id: str, at: datetime | None = None) -> None:
        with self.store.engine.begin() as conn:
            values = {"user_pk": user_pk, "paper_pk": self.pk(paper_id), "created_at": at or self.clock()}
            conn.execute(insert(votes).values(values))

    def unvote(self, user_pk: int, paper_id: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(delete(votes).where(votes.c.user_pk == user_pk, votes.c.paper_pk == self.pk(paper_id)))

    def delete_user(self, user_pk: int) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(delete(users).where(users.c.pk == user_pk))
