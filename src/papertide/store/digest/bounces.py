"""Bounce scores per address, and the suspension of addresses that keep bouncing.

The rule (defaults in settings ``bounce_*``):

- A permanent refusal (SMTP 5xx) adds ``hard`` (1.0), a temporary one (4xx) ``soft`` (0.5).
- At most one bounce counts per address and UTC day: a bad day costs at most ``hard``. A hard
  bounce after a soft one on the same day adds the difference, so the day counts as hard.
- Scores decay exponentially: a score halves every ``half_life_days`` (7) days, computed when the
  score is next read or changed, ``score * 0.5 ** (days since scored_at / half_life_days)``. With
  the defaults, hard bounces on consecutive days score 1, 1.91, 2.73, 3.47: the fourth day
  suspends. Soft bounces every day (a full mailbox) suspend on the ninth day (3.13). An address
  that bounces hard once a week is never suspended: its score tends to 2.
- Reaching ``threshold`` (3.0) suspends the address: no more digests until its owner resumes
  them on the manage page (:meth:`BounceStore.resume`), which also clears the score. Decay never
  lifts a suspension by itself: a mailbox that was gone for four days may well be gone for good.

Concurrent workers recording bounces for one address do not lose updates: each change is a
conditional update on the values it was computed from, retried if another worker got there first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine, select, update

from papertide.errors import StoreError
from papertide.store.db.base import Clock, TableStore, system_clock, utc
from papertide.store.db.claims import claims_for
from papertide.store.db.schema import mail_bounces

if TYPE_CHECKING:
    from papertide.config import Settings

_b = mail_bounces.c
_ATTEMPTS = 20  # concurrent updates of one address before giving up (never reached in practice)


@dataclass(frozen=True, slots=True)
class BouncePolicy:
    hard: float = 1.0
    soft: float = 0.5
    half_life_days: float = 7.0
    threshold: float = 3.0

    @classmethod
    def from_settings(cls, settings: Settings) -> BouncePolicy:
        return cls(
            hard=settings.bounce_hard,
            soft=settings.bounce_soft,
            half_life_days=settings.bounce_half_life_days,
            threshold=settings.bounce_threshold,
        )

    def decayed(self, score: float, since: datetime, now: datetime) -> float:
        days = max(0.0, (now - since).total_seconds() / 86400)
        return score * 0.5 ** (days / self.half_life_days)


@dataclass(frozen=True, slots=True)
class Suspension:
    """Why an address gets no digests: shown on its manage page."""

    address: str
    since: datetime
    score: float
    reason: str | None


class BounceStore(TableStore):
    """Scores and suspensions; addresses are compared lower-cased."""

    def __init__(self, engine: Engine, clock: Clock = system_clock, policy: BouncePolicy | None = None) -> None:
        super().__init__(engine, clock)
        self.policy = policy or BouncePolicy()
        self._claims = claims_for(engine)

    def record(self, address: str, *, hard: bool, reason: str) -> float:
        """Count a bounce of ``address`` (see the module's rule); its score afterwards."""
        address = address.lower()
        now = self._clock()
        today = now.date().isoformat()
        weight = self.policy.hard if hard else self.policy.soft
        for _ in range(_ATTEMPTS):
            with self._writing() as conn:
                first = {
                    "address": address, "score": 0.0, "scored_at": now, "counted_on": "", "counted_weight": 0.0,
                    "bounces": 0,
                }  # fmt: skip
                self._claims.insert_missing(conn, mail_bounces, first)
                row = conn.execute(select(mail_bounces).where(_b.address == address)).one()
                added = max(0.0, weight - row.counted_weight) if row.counted_on == today else weight
                score = self.policy.decayed(row.score, utc(row.scored_at), now) + added
                values = {
                    "score": score,
                    "scored_at": now,
                    "counted_on": today,
                    "counted_weight": row.counted_weight + added if row.counted_on == today else weight,
                    "bounces": row.bounces + 1,
                    "last_reason": reason[:1000],
                }
                if row.suspended_at is None and score >= self.policy.threshold:
                    values["suspended_at"] = now
                changed = conn.execute(
                    update(mail_bounces).where(_b.address == address, _b.bounces == row.bounces).values(values)
                ).rowcount
            if changed:
                return score
        raise StoreError(f"could not record a bounce of {address}: too many concurrent updates")

    def score(self, address: str) -> float:
        """The address's score now (decayed); 0 when it never bounced."""
        with self._reading() as conn:
            row = conn.execute(select(_b.score, _b.scored_at).where(_b.address == address.lower())).one_or_none()
        return self.policy.decayed(row.score, utc(row.scored_at), self._clock()) if row else 0.0

    def suspension(self, address: str) -> Suspension | None:
        """Whether ``address`` is suspended, since when and why; None when mail to it goes out."""
        with self._reading() as conn:
            row = conn.execute(
                select(mail_bounces).where(_b.address == address.lower(), _b.suspended_at.is_not(None))
            ).one_or_none()
        if row is None:
            return None
        return Suspension(row.address, utc(row.suspended_at), row.score, row.last_reason)

    def suspended(self, addresses: list[str]) -> set[str]:
        """Which of ``addresses`` (lower-cased) are suspended."""
        wanted = sorted({a.lower() for a in addresses})
        if not wanted:
            return set()
        with self._reading() as conn:
            rows = conn.execute(select(_b.address).where(_b.address.in_(wanted), _b.suspended_at.is_not(None)))
            return set(rows.scalars())

    def suspensions(self, limit: int) -> list[Suspension]:
        """The latest ``limit`` suspended addresses, newest first (the admin page)."""
        query = select(mail_bounces).where(_b.suspended_at.is_not(None)).order_by(_b.suspended_at.desc())
        with self._reading() as conn:
            rows = conn.execute(query.limit(limit)).all()
        return [Suspension(row.address, utc(row.suspended_at), row.score, row.last_reason) for row in rows]

    def resume(self, address: str) -> bool:
        """Lift a suspension and clear the score (the owner says the address works); whether one was lifted."""
        with self._writing() as conn:
            return (
                conn.execute(
                    update(mail_bounces)
                    .where(_b.address == address.lower(), _b.suspended_at.is_not(None))
                    .values(suspended_at=None, score=0.0, scored_at=self._clock(), counted_weight=0.0)
                ).rowcount
                > 0
            )
