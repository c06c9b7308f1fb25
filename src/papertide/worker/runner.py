"""``papertide worker``: every tick, run the jobs that are due, in order, then send what the outbox holds.

The jobs, each under a database lease so that of several workers exactly one runs each run:

- ``ingest``  once per UTC day from ``worker_ingest_hour_utc``: the configured OAI-PMH sets since
  their last harvest, and the last days of Hugging Face daily papers with their upvotes;
- ``index``   whenever the store changed: the lexical and vector indexes catch up;
- embeddings  with the vectors in the database (PostgreSQL), every tick and not leased: each worker
  claims batches of papers still to embed (``FOR UPDATE SKIP LOCKED``), so any number of workers,
  on any machines, share the embedding and none embeds a paper another has;
- ``trending`` every tick: the stored attention catches up (incrementally) with new votes and
  signals, so digests and pages rank with it even when nobody views the site;
- ``digests`` every tick: compose and store the digests that have come due (their subscriber's
  local hour reached); with ``worker_digest_shards`` > 1, one job per shard of the subscribers
  (``digests/0``, ``digests/1``, ...), which several workers take side by side;
- ``discussion-mail`` every tick: the followers of discussions with new comments get one mail per
  discussion at most hourly (:mod:`papertide.discussion.notify`), stored in its own outbox and sent
  with the digests, by the same rules;
- ``upkeep``  once per day: drop sent messages' bodies after ``outbox_keep_days``, forget workers
  gone for a week.

Sending is not a leased job: any number of workers send side by side, each claiming its own rows.

Stopping (SIGTERM or SIGINT, see :func:`run_until_signalled`) lets the current step finish: the job
that is running, or within the digest work the digest being composed and the batch being sent
(at most ``outbox_batch`` messages); then the worker records that it stopped and returns.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from papertide.config import Settings, environment_variable
from papertide.digest.enqueue import Composer, EnqueueReport, Shard, enqueue_due
from papertide.digest.send import Delivery, DeliveryPolicy, DeliveryReport, RelayOpener
from papertide.discussion.notify import NotificationMail, enqueue_notifications
from papertide.ingest.sources.http import client_from_settings
from papertide.services import Services
from papertide.worker.daily import daily_ingest, index_all, index_run_key, ingest_run_key
from papertide.worker.jobs import Job, JobResult, JobRunner

if TYPE_CHECKING:
    from papertide.search.semantic.embed import Embedder

log = logging.getLogger("papertide.worker")

FORGET_WORKERS_AFTER = timedelta(days=7)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"


class Worker:
    """One worker: :meth:`tick` runs what is due once; :meth:`run` ticks until :meth:`stop`."""

    def __init__(
        self,
        services: Services,
        composer: Composer,
        open_relay: RelayOpener,
        *,
        worker_id: str | None = None,
        jobs: list[Job] | None = None,
    ) -> None:
        self.services = services
        self.settings = settings = services.settings
        self.store = services.papers
        self.composer = composer
        self.clock = services.clock
        self.worker_id = worker_id or new_worker_id()
        self.job_store = services.stores.jobs
        self.outbox = services.stores.outbox
        self.bounces = services.stores.bounces
        self.delivery = Delivery(self.outbox, self.bounces, open_relay, DeliveryPolicy.from_settings(settings))
        self.notifications = services.stores.notifications
        self.notification_delivery = Delivery(
            self.notifications, self.bounces, open_relay, DeliveryPolicy.from_settings(settings)
        )
        self._notification_mail: NotificationMail | None = None
        self.runner = JobRunner(
            self.job_store, self.worker_id, lease_s=settings.worker_job_lease_s, retry_s=settings.worker_retry_s
        )
        self._embedder: Embedder | None = None
        self.jobs = self.default_jobs() if jobs is None else jobs
        self._stop = threading.Event()
        self._sent_meanwhile = DeliveryReport()  # sent while this tick's digests were composed

    def default_jobs(self) -> list[Job]:
        settings, store = self.settings, self.store
        return [
            Job("ingest", lambda now: ingest_run_key(settings, now), lambda _stop: self._ingest()),
            Job("index", lambda _now: index_run_key(store), lambda _stop: index_all(store, settings)),
            Job("trending", self._tick_key, lambda _stop: self._trending(), retry_s=settings.worker_tick_s),
            *self._digest_jobs(),
            Job("discussion-mail", self._tick_key, lambda _stop: self._notify(), retry_s=settings.worker_tick_s),
            Job("upkeep", lambda now: now.date().isoformat(), lambda _stop: self._upkeep()),
        ]

    # -- the steps -----------------------------------------------------------------------------

    def _ingest(self) -> dict:
        with client_from_settings(self.settings) as http:
            return daily_ingest(self.store, self.settings, http, self.clock)

    def _trending(self) -> dict:
        report = self.services.trending.refresh()  # built at first use: `digest send` never needs it
        return {"full": report.full, "changes": report.changes, "papers": report.papers, "rows": report.rows}

    def embed_shared(self) -> int:
        """Embed papers into the database, batch by batch, until none waits or the worker stops; how many."""
        if not self.settings.vectors_in_database(self.store.backend):
            return 0
        from papertide.search.semantic.embed import load_embedder  # the model loads only where it is needed
        from papertide.search.upkeep.embedding_job import embed_pending

        if self._embedder is None:
            self._embedder = load_embedder(self.settings.embedder, self.settings.embed_max_tokens)
        vectors, done = self.store.vectors, 0
        self._beat("embed")
        while not self.stopping():
            claimed, embedded = embed_pending(vectors, self._embedder)
            if not claimed:
                break
            done += embedded
        if done:
            log.info("embedded %d papers into the database", done)
        return done

    def _tick_key(self, now: datetime) -> str:
        return f"tick:{int(now.timestamp() // self.settings.worker_tick_s):015d}"

    def _digest_jobs(self) -> list[Job]:
        """One job per shard of the subscribers, so that several workers compose side by side."""
        count = self.settings.worker_digest_shards
        if count == 1:
            return [Job("digests", self._tick_key, self._enqueue, retry_s=self.settings.worker_tick_s)]
        return [
            Job(f"digests/{index}", self._tick_key, partial(self._enqueue, shard=Shard(index, count)),
                retry_s=self.settings.worker_tick_s)
            for index in range(count)
        ]  # fmt: skip

    def _enqueue(self, stop: Callable[[], bool], shard: Shard | None = None) -> dict:
        with self.delivery.meanwhile(self.worker_id, stop) as sending:
            report = enqueue_due(self.composer, self.outbox, self.bounces, self.clock(), shard=shard, stop=stop)
        self._sent_meanwhile.add(sending)
        return report.as_dict() | {"sent_meanwhile": sending.sent}

    def _notify(self) -> dict:
        stores = self.services.stores
        if self._notification_mail is None:
            self._notification_mail = NotificationMail(self.settings, self.services.signer)
        return enqueue_notifications(
            stores.follows, self.notifications, stores.comments, self.store, self.bounces,
            self._notification_mail, self.clock(),
        )  # fmt: skip

    def _upkeep(self) -> dict:
        now = self.clock()
        purged = self.outbox.purge_messages(now - timedelta(days=self.settings.outbox_keep_days))
        forgotten = self.job_store.forget_workers(now - FORGET_WORKERS_AFTER)
        return {"messages_purged": purged, "workers_forgotten": forgotten}

    def send_now(self, *, day: date | None = None, to: str | None = None) -> tuple[EnqueueReport, DeliveryReport]:
        """``papertide digest send``: enqueue what is due now (or ``day``'s, or ``to``'s), then send everything due.

        Not under a job lease: the outbox's unique key and its claims already make a second,
        concurrent or repeated run send nothing twice.
        """
        self._beat("digest send")
        try:
            enqueued = enqueue_due(self.composer, self.outbox, self.bounces, self.clock(), day=day, to=to)
            return enqueued, self.deliver()
        finally:
            self.job_store.stopped(self.worker_id)

    def notify_now(self) -> tuple[dict, DeliveryReport]:
        """Enqueue the discussion mail due now, then send everything due: the ``discussion-mail`` job
        without its lease (the notification outbox's unique keys make a concurrent run store nothing twice)."""
        self._beat("discussion mail")
        try:
            return self._notify(), self.deliver()
        finally:
            self.job_store.stopped(self.worker_id)

    def deliver(self) -> DeliveryReport:
        """Send what the outbox holds, batch by batch, until nothing is due or the worker stops."""
        self._beat("send")
        report = self.delivery.run(self.worker_id, self.stopping)
        report.add(self.notification_delivery.run(self.worker_id, self.stopping))
        return report

    # -- the loop ------------------------------------------------------------------------------

    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Ask the worker to stop after the current step (safe from a signal handler or another thread)."""
        self._stop.set()

    def _beat(self, step: str | None) -> None:
        self.job_store.beat(self.worker_id, socket.gethostname(), os.getpid(), step)

    def tick(self) -> tuple[list[JobResult], DeliveryReport | None]:
        """Embed (shared work), run each due job this worker wins, then send; stops early when asked to."""
        results = []
        self.embed_shared()
        for job in self.jobs:
            if self.stopping():
                break
            self._beat(job.name)
            result = self.runner.run(job, self.stopping)
            if result is not None:
                results.append(result)
        delivery = None if self.stopping() else self.deliver()
        if delivery is not None:
            delivery.add(self._sent_meanwhile)  # the job results say what was sent meanwhile either way
        self._sent_meanwhile = DeliveryReport()
        self._beat(None)
        return results, delivery

    def once(self) -> tuple[list[JobResult], DeliveryReport | None]:
        """One tick, as ``papertide worker --once`` runs it; the worker is recorded as stopped after it."""
        try:
            return self.tick()
        finally:
            self.job_store.stopped(self.worker_id)

    def run(self) -> None:
        """Tick every ``worker_tick_s`` seconds until stopped."""
        log.info("worker %s started (tick %ss)", self.worker_id, self.settings.worker_tick_s)
        log.info("links in the mail it sends point to %s%s", self.settings.site_url, _site_note(self.settings))
        try:
            while not self.stopping():
                self.tick()
                self._stop.wait(self.settings.worker_tick_s)
        finally:
            self.job_store.stopped(self.worker_id)
            log.info("worker %s stopped", self.worker_id)


def _site_note(settings: Settings) -> str:
    if settings.base_url:
        return ""
    return (
        f" ({environment_variable('base_url')} is unset: where `papertide serve` listens by default; set it "
        "when the site is reached at another address)"
    )


def run_until_signalled(worker: Worker) -> None:
    """Run ``worker`` in this (main) thread; SIGTERM or SIGINT lets the current step finish, then it returns."""

    def request_stop(signum: int, _frame: object) -> None:
        log.info("%s: stopping after the current step", signal.Signals(signum).name)
        worker.stop()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        worker.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
