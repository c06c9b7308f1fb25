"""Enqueueing due digests: each subscriber's period composed once and stored in the outbox.

Composing (choosing papers, rendering) happens before the outbox transaction; storing the rendered
message, its paper list and the subscriber's sent-papers history happens in one transaction (one
per :data:`STORE_EVERY` digests). A crash before the commit leaves nothing (the next run composes
those digests again); after it, the
outbox's unique (subscription, period) key makes every later attempt a no-op. So a digest is never
lost between composing and sending, and never composed into two rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from papertide.errors import PapertideError, StoreError
from papertide.store.db.base import Transaction
from papertide.store.digest.bounces import BounceStore
from papertide.store.digest.outbox import NewDigest, OutboxStore, outbox_key

log = logging.getLogger("papertide.worker")

SUSPENDED = "address suspended after repeated bounces"
ALREADY = "already in the outbox: this period's digest was composed before"
# Digests composed per outbox transaction: a commit per digest was most of what storing cost, and a
# crash costs at most this many compositions, done again by the next run.
STORE_EVERY = 50


@dataclass(frozen=True, slots=True)
class DueDigest:
    """A digest that has come due: whose, for which period (``context``: what the composer needs of it)."""

    subscription_pk: int
    address: str
    period: str
    context: object = None

    @property
    def key(self) -> str:
        return outbox_key(self.subscription_pk, self.period)


@dataclass(frozen=True, slots=True)
class Composed:
    """A composer's answer for one due digest.

    ``message`` None: nothing to send (``detail`` says why; the skip is recorded). ``record`` writes
    the sent-papers history on the outbox's connection, inside its transaction.
    """

    message: bytes | None
    paper_pks: tuple[int, ...] = ()
    detail: str | None = None
    record: Callable[[Transaction], None] | None = None


class Composer(Protocol):
    """The digest side: which digests are due, and what each one holds."""

    def due(self, now: datetime, *, day: date | None = None, to: str | None = None) -> Iterable[DueDigest]:
        """Digests due at ``now``; ``day``: that local day's, whatever the hour; ``to``: only that address's."""
        ...

    def compose(self, due: DueDigest) -> Composed:
        """The digest's message (its Message-ID's unique part is ``due.key``), or why there is none."""
        ...


@dataclass(frozen=True, slots=True)
class Shard:
    """One of ``count`` parts of the subscribers (by key): workers compose different shards side by side."""

    index: int
    count: int

    def holds(self, subscription_pk: int) -> bool:
        return subscription_pk % self.count == self.index


# Distinct reasons a report keeps for the digests that were not sent; the rest are counted together.
MAX_REASONS = 10
OTHER_REASONS = "other reasons"


@dataclass(slots=True)
class EnqueueReport:
    due: int = 0
    enqueued: int = 0
    skipped: int = 0
    suspended: int = 0
    already: int = 0
    errors: int = 0
    # Why due digests were not enqueued (nothing new, suspended, ...): how many for each reason.
    reasons: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int | dict[str, int]]:
        return {name: getattr(self, name) for name in self.__slots__}

    def count_reason(self, reason: str, count: int = 1) -> None:
        if count:
            if reason not in self.reasons and len(self.reasons) >= MAX_REASONS:
                reason = OTHER_REASONS
            self.reasons[reason] = self.reasons.get(reason, 0) + count


def enqueue_due(
    composer: Composer,
    outbox: OutboxStore,
    bounces: BounceStore,
    now: datetime,
    *,
    day: date | None = None,
    to: str | None = None,
    shard: Shard | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> EnqueueReport:
    """Compose and store every digest due at ``now`` (of ``shard``'s subscribers) that the outbox does not hold yet."""
    due = [d for d in composer.due(now, day=day, to=to) if shard is None or shard.holds(d.subscription_pk)]
    report = EnqueueReport(due=len(due))
    existing = outbox.existing({d.period for d in due})
    todo = [d for d in due if (d.subscription_pk, d.period) not in existing]
    report.already = len(due) - len(todo)
    report.count_reason(ALREADY, report.already)
    suspended = bounces.suspended([d.address for d in todo])
    batch: list[tuple[NewDigest, Composed | None]] = []
    for digest in todo:
        if stop():
            break
        if digest.address.lower() in suspended:
            skipped = NewDigest(digest.subscription_pk, digest.period, digest.address, None, detail=SUSPENDED)
            batch.append((skipped, None))
        else:
            try:
                composed = composer.compose(digest)
            except StoreError:
                raise  # the database is unwell: end the step, the next tick starts over
            except PapertideError as exc:  # this digest is tried again next time; the others go on
                log.error("cannot enqueue digest %s: %s", digest.key, exc)
                report.errors += 1
                report.count_reason(f"could not be composed: {exc.message}")
                continue
            new = NewDigest(
                digest.subscription_pk, digest.period, digest.address, composed.message, composed.paper_pks,
                composed.detail,
            )  # fmt: skip
            batch.append((new, composed))
        if len(batch) >= STORE_EVERY:
            _store(batch, outbox, report)
            batch = []
    _store(batch, outbox, report)  # what was composed before a stop is kept too
    return report


def _store(batch: list[tuple[NewDigest, Composed | None]], outbox: OutboxStore, report: EnqueueReport) -> None:
    """One outbox transaction for the batch; each digest counted by what became of it."""
    if not batch:
        return
    stored = outbox.enqueue_many([(new, composed.record if composed else None) for new, composed in batch])
    for (new, composed), is_new in zip(batch, stored, strict=True):
        if not is_new:
            report.already += 1
            report.count_reason(ALREADY)
        elif composed is None:
            report.suspended += 1
            report.count_reason(SUSPENDED)
        elif new.message is None:
            report.skipped += 1
            report.count_reason(new.detail or "nothing to send")
        else:
            report.enqueued += 1
