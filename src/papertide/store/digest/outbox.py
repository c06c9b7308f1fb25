"""The digest outbox: one row per digest and period, through pending -> sending -> sent | failed.

The life of a row (the rules live in :mod:`papertide.digest.send`; this module keeps them durable):

- ``enqueue`` stores the rendered message and its papers, or a ``skipped`` row when there was
  nothing to send, in the same transaction as whatever the caller adds (the sent-papers history).
  The (subscription, period) key is unique, so a second enqueue of the same digest changes nothing.
- ``claim`` hands a batch of due rows to one worker (``sending``, with a claim token and a lease);
  rows of a worker that died become due again when their lease runs out.
- ``handoff`` marks the start of the SMTP transaction (``handoff_at``, ``attempts + 1``) and
  renews the lease; ``sent``/``retry``/``failed`` conclude it and clear the mark
  (``sent_then_handoff`` concludes one message and marks the next in one commit). A row reclaimed
  while still marked was possibly delivered already: the claim counts it in ``uncertain``.

Every update after the claim names the claim token, so a worker whose lease ran out (and whose
row someone else has taken since) changes nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, and_, case, func, or_, select, update

from papertide.store.db.base import Clock, TableStore, system_clock, utc
from papertide.store.db.claims import claims_for
from papertide.store.db.schema import digest_outbox, subscriptions
from papertide.store.digest.subscriptions import ACTIVE

STATES = ("pending", "sending", "sent", "failed", "skipped")


def outbox_key(subscription_pk: int, period: str) -> str:
    """The digest's identity: the outbox key and the unique part of its Message-ID."""
    return f"digest.{subscription_pk}.{period}"


@dataclass(frozen=True, slots=True)
class NewDigest:
    """A composed digest to store; ``message`` None records a skip (``detail`` says why)."""

    subscription_pk: int
    period: str
    address: str
    message: bytes | None
    paper_pks: Sequence[int] = ()
    detail: str | None = None

    @property
    def key(self) -> str:
        return outbox_key(self.subscription_pk, self.period)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row held by one worker: send ``message`` to ``address``, then conclude with the token."""

    pk: int
    key: str
    address: str
    message: bytes
    attempts: int
    uncertain: int
    token: str


@dataclass(frozen=True, slots=True)
class OutboxRow:
    key: str
    subscription_pk: int
    period: str
    address: str
    state: str
    attempts: int
    uncertain: int
    paper_pks: list[int]
    next_attempt_at: datetime
    sent_at: datetime | None
    detail: str | None
    smtp_code: int | None
    has_message: bool


def _row(row) -> OutboxRow:
    return OutboxRow(
        key=row.key,
        subscription_pk=row.subscription_pk,
        period=row.period,
        address=row.address,
        state=row.state,
        attempts=row.attempts,
        uncertain=row.uncertain,
        paper_pks=list(row.paper_pks),
        next_attempt_at=utc(row.next_attempt_at),
        sent_at=utc(row.sent_at),
        detail=row.detail,
        smtp_code=row.smtp_code,
        has_message=row.message is not None,
    )


_CONCLUDED = {"handoff_at": None, "claimed_by": None, "claim_token": None, "lease_until": None}


class OutboxStore(TableStore):
    """The outbox table; every method is one short transaction.

    ``table`` is the digests'; discussion notifications keep their own table of the same shape (see
    :mod:`papertide.store.discussion.notifications`) and reuse every claiming and concluding step.
    """

    table = digest_outbox

    def __init__(self, engine: Engine, clock: Clock = system_clock) -> None:
        super().__init__(engine, clock)
        self._o = self.table.c
        self._claims = claims_for(engine)

    # -- enqueueing ----------------------------------------------------------------------------

    def enqueue(self, digest: NewDigest, also: Callable[[Connection], None] | None = None) -> bool:
        """Store ``digest`` and run ``also`` in the same transaction; False (and nothing done) if it exists."""
        return self.enqueue_many([(digest, also)])[0]

    def enqueue_many(self, digests: Sequence[tuple[NewDigest, Callable[[Connection], None] | None]]) -> list[bool]:
        """:meth:`enqueue` for several digests in one transaction (all stored, or none): for each, whether
        it was new. One commit per batch rather than per digest is most of what storing costs."""
        now = self._clock()
        stored = []
        with self._writing() as conn:
            for digest, also in digests:
                new = self._claims.insert_missing(conn, self.table, self._row(digest, now))
                if new and also is not None:
                    also(conn)
                stored.append(new)
        return stored

    @staticmethod
    def _row(digest: NewDigest, now: datetime) -> dict:
        return {
            "key": digest.key,
            "subscription_pk": digest.subscription_pk,
            "period": digest.period,
            "address": digest.address,
            "state": "pending" if digest.message is not None else "skipped",
            "message": digest.message,
            "paper_pks": list(digest.paper_pks),
            "attempts": 0,
            "uncertain": 0,
            "next_attempt_at": now,
            "detail": digest.detail,
            "created_at": now,
            "updated_at": now,
        }

    def existing(self, periods: Iterable[str]) -> set[tuple[int, str]]:
        """The (subscription, period) pairs of ``periods`` that have a row, whatever its state."""
        wanted = sorted(set(periods))
        if not wanted:
            return set()
        with self._reading() as conn:
            rows = conn.execute(select(self._o.subscription_pk, self._o.period).where(self._o.period.in_(wanted)))
            return {(row.subscription_pk, row.period) for row in rows}

    # -- claiming and concluding ---------------------------------------------------------------

    def claim(self, worker_id: str, limit: int, lease_s: float) -> list[Claimed]:
        """Up to ``limit`` due rows for ``worker_id``, oldest first, leased for ``lease_s`` seconds."""
        now = self._clock()
        token = secrets.token_hex(16)
        ready = or_(
            and_(self._o.state == "pending", self._o.next_attempt_at <= now),
            and_(self._o.state == "sending", self._o.lease_until < now),
        )
        values = {
            "state": "sending",
            "claimed_by": worker_id,
            "claim_token": token,
            "lease_until": now + timedelta(seconds=lease_s),
            "uncertain": self._o.uncertain + case((self._o.handoff_at.is_not(None), 1), else_=0),
            "updated_at": now,
        }
        with self._writing() as conn:
            rows = self._claims.claim(conn, self.table, ready, [self._o.next_attempt_at, self._o.pk], limit, values)
        claimed = [Claimed(r.pk, r.key, r.address, r.message, r.attempts, r.uncertain, token) for r in rows]
        return sorted(claimed, key=lambda c: c.pk)

    def _conclude(self, claim: Claimed, values: dict) -> bool:
        with self._writing() as conn:
            return self._conclude_on(conn, claim, values)

    def _conclude_on(self, conn: Connection, claim: Claimed, values: dict) -> bool:
        statement = (
            update(self.table)
            .where(self._o.pk == claim.pk, self._o.claim_token == claim.token)
            .values(updated_at=self._clock(), **values)
        )
        return conn.execute(statement).rowcount == 1

    def _handoff_values(self, lease_s: float) -> dict:
        now = self._clock()
        return {"handoff_at": now, "attempts": self._o.attempts + 1, "lease_until": now + timedelta(seconds=lease_s)}

    def _sent_values(self) -> dict:
        return {"state": "sent", "sent_at": self._clock(), "detail": None, **_CONCLUDED}

    def handoff(self, claim: Claimed, lease_s: float) -> bool:
        """Mark the start of the SMTP transaction and renew the lease; False if the claim was lost."""
        return self._conclude(claim, self._handoff_values(lease_s))

    def sent(self, claim: Claimed) -> bool:
        return self._conclude(claim, self._sent_values())

    def sent_then_handoff(self, taken: Claimed, claim: Claimed, lease_s: float) -> tuple[bool, bool]:
        """:meth:`sent` for ``taken`` and :meth:`handoff` for ``claim`` in one commit, and whether each
        claim still held: a batch's messages cost one commit each instead of two, and ``taken``'s
        uncertain window still ends with the commit right after the relay's reply."""
        with self._writing() as conn:
            return self._conclude_on(conn, taken, self._sent_values()), self._conclude_on(
                conn, claim, self._handoff_values(lease_s)
            )

    def retry(self, claim: Claimed, at: datetime, detail: str, smtp_code: int | None, *, uncertain: bool) -> bool:
        """Back to pending until ``at``; ``uncertain`` when the relay may have taken it already."""
        values = {"state": "pending", "next_attempt_at": at, "detail": detail, "smtp_code": smtp_code, **_CONCLUDED}
        if uncertain:
            values["uncertain"] = self._o.uncertain + 1
        return self._conclude(claim, values)

    def skipped(self, claim: Claimed, detail: str) -> bool:
        """Not sent after all (the subscriber left meanwhile): recorded as skipped, with why."""
        return self._conclude(claim, {"state": "skipped", "detail": detail, **_CONCLUDED})

    def failed(self, claim: Claimed, detail: str, smtp_code: int | None) -> bool:
        return self._conclude(claim, {"state": "failed", "detail": detail, "smtp_code": smtp_code, **_CONCLUDED})

    def release(self, claims: Iterable[Claimed]) -> None:
        """Give back claimed rows not yet handed over (e.g. on shutdown): due again at once."""
        for claim in claims:
            self._conclude(claim, {"state": "pending", **_CONCLUDED})

    def still_subscribed(self, claims: Iterable[Claimed]) -> set[int]:
        """Which of the claimed rows' subscriptions are still active: unsubscribing stops a digest not yet sent."""
        pks = [claim.pk for claim in claims]
        statement = (
            select(self._o.pk)
            .join(subscriptions, subscriptions.c.pk == self._o.subscription_pk)
            .where(self._o.pk.in_(pks), subscriptions.c.status == ACTIVE)
        )
        with self._reading() as conn:
            return set(conn.execute(statement).scalars())

    # -- reading and upkeep --------------------------------------------------------------------

    def get(self, key: str) -> OutboxRow | None:
        with self._reading() as conn:
            row = conn.execute(select(self.table).where(self._o.key == key)).one_or_none()
        return _row(row) if row else None

    def rows(self, state: str | None = None) -> list[OutboxRow]:
        statement = select(self.table).order_by(self._o.pk)
        if state is not None:
            statement = statement.where(self._o.state == state)
        with self._reading() as conn:
            return [_row(row) for row in conn.execute(statement)]

    def counts(self) -> dict[str, int]:
        """Rows per state (every state present, zero when none)."""
        with self._reading() as conn:
            found = dict(conn.execute(select(self._o.state, func.count()).group_by(self._o.state)).all())
        return {state: found.get(state, 0) for state in STATES}

    def waiting(self) -> dict[str, int]:
        """Rows still to send (pending, sending): a range of the state index, cheap however long the history."""
        statement = (
            select(self._o.state, func.count()).where(self._o.state.in_(("pending", "sending"))).group_by(self._o.state)
        )
        with self._reading() as conn:
            found = dict(conn.execute(statement).all())
        return {state: found.get(state, 0) for state in ("pending", "sending")}

    def oldest_due(self) -> datetime | None:
        """When the longest-waiting pending row became due: how far sending lags."""
        with self._reading() as conn:
            value = conn.execute(select(func.min(self._o.next_attempt_at)).where(self._o.state == "pending")).scalar()
        return utc(value)

    def purge_messages(self, sent_before: datetime) -> int:
        """Drop the rendered message of rows sent before ``sent_before`` (the row and its key stay)."""
        statement = (
            update(self.table)
            .where(self._o.state == "sent", self._o.sent_at < sent_before, self._o.message.is_not(None))
            .values(message=None)
        )
        with self._writing() as conn:
            return conn.execute(statement).rowcount
