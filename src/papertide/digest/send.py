"""Delivering the outbox: claimed rows handed to the SMTP relay over one connection, retried or recorded.

Exactly once, and the one window where it cannot be
---------------------------------------------------
A digest is stored once (see :mod:`papertide.digest.enqueue`) and sent from its stored copy, so
composing can crash at any moment without losing or doubling one. Sending a row goes:

1. claim (``sending``, a claim token, a lease): no other worker touches the row while the lease runs;
2. ``handoff`` commits "the SMTP transaction starts now" (``handoff_at``, ``attempts + 1``);
3. MAIL FROM / RCPT TO / DATA on the open connection;
4. ``sent`` commits the outcome and clears ``handoff_at``: in the same commit as the next message's
   step 2 when there is one (``sent_then_handoff``), which halves a batch's commits and leaves
   this message's window as it was, ending with the first commit after the relay's reply.

A worker killed before step 2 leaves a claimed row that becomes due again when its lease runs out,
not sent. A worker killed between 2 and 3's final reply either left the relay without the message
(it discards a transaction that did not finish) or not; killed after the relay's final "250 OK"
and before step 4 commits, the relay has the message and the outbox does not know it. No protocol
between one SMTP client and relay can close that window: the relay's acceptance and our commit
are two systems' records. Its width is the relay's final reply plus one small commit; when the
row's lease runs out it is sent again (at least once beats at most once for a digest, and the
Message-ID is the same, so mail clients that de-duplicate show one). Such a reclaim is counted
in the row's ``uncertain`` column, which ``tests/worker/test_crash.py`` uses to prove that every
duplicate it sees was one of these. A connection that breaks during the transaction is the same
case seen from the other side (the reply may have been lost), and counted the same way.

Failures
--------
Transient ones (SMTP 4xx, a broken connection) go back to ``pending`` after an exponential
backoff, ``retry_base_s * 2 ** (attempts - 1)`` capped at ``retry_max_s``, until ``max_attempts``;
then, like a permanent one (5xx), the row is recorded as ``failed`` with the relay's code and
reply. A refusal that concerns the recipient (a 4xx or 5xx reply to RCPT TO, or to the message
after DATA; not 421, the relay closing) also scores a soft or hard bounce for the address
(:mod:`papertide.store.digest.bounces`); rows of a suspended address fail without being sent, and rows
whose subscriber unsubscribed after the digest was composed are skipped: unsubscribing takes effect
before the next send. Failures
that are no recipient's fault (the relay refusing the sender or the login, a connection that
breaks or cannot be made) score nothing. A connection that cannot be made or breaks costs the
message in hand one attempt (the two cannot be told apart, see above); the rest of the batch
waits ``retry_base_s`` unattempted and the step ends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from papertide.errors import MailError
from papertide.mail import Connection, Mailer
from papertide.metrics import MAIL_BOUNCES
from papertide.store.digest.bounces import BounceStore
from papertide.store.digest.outbox import Claimed, OutboxStore

if TYPE_CHECKING:
    from papertide.config import Settings

log = logging.getLogger("papertide.worker")

UNSUBSCRIBED = "unsubscribed before it was sent"


class Relay(Protocol):
    """An open connection to the mail relay."""

    def send(self, message: bytes) -> None:
        """Hand one rendered message to the relay for its To: address; failures raise :class:`MailError`."""
        ...


RelayOpener = Callable[[], AbstractContextManager[Relay]]


@contextmanager
def mailer_relay(mailer: Mailer) -> Iterator[Relay]:
    """One connection of the mail module's sending path (the SMTP relay, or the Maildir) for a batch.

    Stored digests go out byte for byte as they were rendered (and DKIM-signed): ``send_wire``.
    """
    with mailer.connect() as connection:
        yield _WireRelay(connection)


class _WireRelay:
    def __init__(self, connection: Connection) -> None:
        self.send = connection.send_wire


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    batch: int = 50
    lease_s: float = 300.0
    retry_base_s: float = 60.0
    retry_max_s: float = 6 * 3600.0
    max_attempts: int = 8

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        return cls(
            batch=settings.outbox_batch,
            lease_s=settings.outbox_lease_s,
            retry_base_s=settings.outbox_retry_base_s,
            retry_max_s=settings.outbox_retry_max_s,
            max_attempts=settings.outbox_max_attempts,
        )

    def backoff_s(self, attempts: int) -> float:
        """The wait after the ``attempts``-th failed attempt."""
        return min(self.retry_max_s, self.retry_base_s * 2 ** max(0, attempts - 1))


@dataclass(slots=True)
class DeliveryReport:
    sent: int = 0
    skipped: int = 0  # the subscriber left between composing and sending
    retried: int = 0
    failed: int = 0
    lost: int = 0  # claims that ran out and were taken over by another worker before we concluded
    relay_down: bool = False

    def as_dict(self) -> dict[str, int | bool]:
        return {name: getattr(self, name) for name in self.__slots__}

    @property
    def concluded(self) -> int:
        """How many claimed digests this report counts, whatever became of them."""
        return sum(getattr(self, name) for name in _OUTCOMES)

    def add(self, other: DeliveryReport) -> None:
        """Count ``other``'s outcomes in this report too."""
        for name in _OUTCOMES:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.relay_down = self.relay_down or other.relay_down


_OUTCOMES = ("sent", "skipped", "retried", "failed", "lost")


# How long the sending thread of :meth:`Delivery.meanwhile` waits when nothing is due yet.
MEANWHILE_WAIT_S = 0.2


class Delivery:
    """Sends what the outbox holds: claim a batch, send it over one connection, record each outcome."""

    def __init__(
        self, outbox: OutboxStore, bounces: BounceStore, open_relay: RelayOpener, policy: DeliveryPolicy
    ) -> None:
        self.outbox = outbox
        self.bounces = bounces
        self.open_relay = open_relay
        self.policy = policy

    def run(self, worker_id: str, stop: Callable[[], bool] = lambda: False) -> DeliveryReport:
        """Send batch after batch until nothing is due, the relay is down, or ``stop()`` (checked per batch)."""
        report = DeliveryReport()
        while not stop() and not report.relay_down:
            batch = self.outbox.claim(worker_id, self.policy.batch, self.policy.lease_s)
            if not batch:
                break
            self._send_batch(batch, report)
        return report

    @contextmanager
    def meanwhile(self, worker_id: str, stop: Callable[[], bool] = lambda: False) -> Iterator[DeliveryReport]:
        """Send from a thread while the body of the ``with`` fills the outbox; the report counts what it sent.

        The first digests leave while the rest are still composed, and the relay's round trips
        (most of sending's wall time) overlap composing, which keeps the process's core busy. The
        thread ends after its current batch once the body is done (or ``stop()``); what is left is
        the next :meth:`run`'s.
        """
        report = DeliveryReport()
        done = threading.Event()

        def ended() -> bool:
            return done.is_set() or stop()

        def send() -> None:
            while not ended() and not report.relay_down:
                sent = self.run(worker_id, ended)
                report.add(sent)
                if not sent.concluded:
                    done.wait(MEANWHILE_WAIT_S)  # nothing due yet

        thread = threading.Thread(target=send, name=f"papertide-send-{worker_id}", daemon=True)
        thread.start()
        try:
            yield report
        finally:
            done.set()
            thread.join()

    def _send_batch(self, batch: list[Claimed], report: DeliveryReport) -> None:
        suspended = self.bounces.suspended([claim.address for claim in batch])
        subscribed = self.outbox.still_subscribed(batch)
        waiting = list(batch)
        taken: Claimed | None = None  # the relay took it; recorded as sent with the next hand-over
        try:
            with self.open_relay() as relay:
                while waiting:
                    claim = waiting.pop(0)
                    if claim.pk not in subscribed or claim.address.lower() in suspended:
                        self._record_taken(taken, report)
                        taken = None
                        self._not_sending(claim, claim.pk in subscribed, report)
                    else:
                        handed = self._hand_over(claim, taken, report)  # records ``taken`` as sent
                        taken = None
                        if not handed:
                            report.lost += 1
                        elif self._send(relay, claim, report):
                            taken = claim
        except MailError as exc:  # the relay cannot be reached (or dropped us): the rest waits, unattempted
            log.warning("mail relay unavailable, %d digests wait: %s", len(waiting), exc)
            report.relay_down = True
            retry_at = self.outbox.now() + timedelta(seconds=self.policy.retry_base_s)
            for claim in waiting:
                self.outbox.retry(claim, retry_at, f"relay unavailable: {exc.message}", None, uncertain=False)
        finally:
            self._record_taken(taken, report)

    def _hand_over(self, claim: Claimed, taken: Claimed | None, report: DeliveryReport) -> bool:
        """Mark ``claim``'s SMTP transaction as started, recording ``taken`` as sent in the same commit."""
        if taken is None:
            return self.outbox.handoff(claim, self.policy.lease_s)
        was_sent, handed = self.outbox.sent_then_handoff(taken, claim, self.policy.lease_s)
        self._count(report, "sent", was_sent)
        return handed

    def _not_sending(self, claim: Claimed, subscribed: bool, report: DeliveryReport) -> None:
        if not subscribed:
            self._count(report, "skipped", self.outbox.skipped(claim, UNSUBSCRIBED))
        else:
            self._count(report, "failed", self.outbox.failed(claim, "address suspended", None))

    def _record_taken(self, taken: Claimed | None, report: DeliveryReport) -> None:
        if taken is not None:
            self._count(report, "sent", self.outbox.sent(taken))

    def _send(self, relay: Relay, claim: Claimed, report: DeliveryReport) -> bool:
        """Hand ``claim`` to the relay: True when it took it (recorded by the caller), else the failure recorded."""
        try:
            relay.send(claim.message)
        except MailError as exc:
            self._failure(claim, exc, report)
            if exc.smtp_code is None:
                raise  # the connection is gone: the rest of the batch waits
            return False
        return True

    def _failure(self, claim: Claimed, exc: MailError, report: DeliveryReport) -> None:
        code = exc.smtp_code
        if code is not None and code != 421 and claim.address.lower() in {r.lower() for r in exc.recipients}:
            self.bounces.record(claim.address, hard=not exc.transient, reason=exc.message)
            MAIL_BOUNCES.labels("soft" if exc.transient else "hard").inc()
        attempts = claim.attempts + 1
        if exc.transient and attempts < self.policy.max_attempts:
            retry_at = self.outbox.now() + timedelta(seconds=self.policy.backoff_s(attempts))
            concluded = self.outbox.retry(claim, retry_at, exc.message, code, uncertain=code is None)
            self._count(report, "retried", concluded)
            log.info("digest %s to %s: transient failure, retry at %s: %s", claim.key, claim.address, retry_at, exc)
            return
        detail = exc.message if not exc.transient else f"gave up after {attempts} attempts: {exc.message}"
        self._count(report, "failed", self.outbox.failed(claim, detail, code))
        log.warning("digest %s to %s failed: %s", claim.key, claim.address, detail)

    @staticmethod
    def _count(report: DeliveryReport, outcome: str, concluded: bool) -> None:
        if concluded:
            setattr(report, outcome, getattr(report, outcome) + 1)
        else:
            report.lost += 1
