"""Two workers over one database at once: each job runs once, each digest is composed and sent once."""

from __future__ import annotations

import threading
from collections import Counter

from papertide.config import Settings
from papertide.digest.send import mailer_relay
from papertide.mail import Mailer
from papertide.services import Services
from papertide.store import open_store
from papertide.store.db.engine import create_store_engine
from papertide.store.digest.outbox import OutboxStore
from papertide.store.digest.subscriptions import SubscriptionStore
from papertide.store.jobs import JobStore
from papertide.store.papers.store import PaperStore
from papertide.worker.runner import Worker
from tests.clock import ControlledClock
from tests.mail_server import MailServer
from tests.worker.composer import PlainComposer
from tests.worker.conftest import subscribe


def test_two_workers_share_the_digest_shards_and_send_each_digest_once(
    mail_settings: Settings, clock: ControlledClock, smtp_server: MailServer
) -> None:
    settings = mail_settings.model_copy(update={"worker_digest_shards": 4, "outbox_batch": 10})
    engine = open_store(settings.resolved_database_url).engine
    subscribe(engine, 120)
    start = threading.Barrier(2, timeout=60)
    results = {}

    def work(name: str) -> None:
        store = PaperStore(create_store_engine(settings.resolved_database_url), clock=clock)  # as another process
        mailer = Mailer.from_settings(settings)
        composer = PlainComposer(settings, SubscriptionStore(store.engine, clock))
        worker = Worker(Services(settings, store, clock=clock), composer, lambda: mailer_relay(mailer), worker_id=name)
        worker.jobs = [job for job in worker.default_jobs() if job.name.startswith("digests")]
        start.wait()
        results[name] = worker.once()

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(results) == {"worker-0", "worker-1"}  # neither thread failed

    ran = [result.name for jobs, _ in results.values() for result in jobs]
    assert sorted(ran) == ["digests/0", "digests/1", "digests/2", "digests/3"]  # each shard once, by one worker
    assert sum(result.detail["enqueued"] for jobs, _ in results.values() for result in jobs) == 120
    assert {job.name: job.runs for job in JobStore(engine).jobs()} == {f"digests/{n}": 1 for n in range(4)}
    assert OutboxStore(engine).counts()["sent"] == 120
    assert sum(delivery.sent for _, delivery in results.values()) == 120  # the two shared the sending too
    received = Counter(message["Message-ID"] for message in smtp_server.wait_for(120))
    assert len(received) == 120 and set(received.values()) == {1}
