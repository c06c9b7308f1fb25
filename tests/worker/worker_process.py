"""A worker process for the tests that signal or kill one, with the tests' plain composer.

``python -m tests.worker.worker_process send DATA_DIR SMTP_PORT DAY`` does what ``papertide
digest send --date DAY`` does (enqueue every due digest, then send the outbox) and exits 0 when
everything due is sent; ``... run DATA_DIR SMTP_PORT`` runs the worker's loop until SIGTERM;
``... notify DATA_DIR SMTP_PORT`` enqueues the discussion notifications due and sends the outbox.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from papertide.config import load_settings
from papertide.digest.send import mailer_relay
from papertide.mail import Mailer
from papertide.services import Services
from papertide.store import open_configured_store
from papertide.store.digest.subscriptions import SubscriptionStore
from papertide.worker.runner import Worker, run_until_signalled
from tests.worker.composer import PlainComposer


def main(mode: str, data_dir: str, smtp_port: str, day: str | None = None) -> None:
    settings = load_settings(
        data_dir=Path(data_dir),
        smtp_host="127.0.0.1",
        smtp_port=int(smtp_port),
        smtp_security="none",
        outbox_batch=20,
        outbox_lease_s=1.0,  # a killed worker's rows come back after a second, not five minutes
        worker_tick_s=3600,
    )
    store = open_configured_store(settings)
    mailer = Mailer.from_settings(settings)
    composer = PlainComposer(settings, SubscriptionStore(store.engine))
    worker = Worker(Services(settings, store), composer, lambda: mailer_relay(mailer))
    if mode == "notify":
        enqueued, sent = worker.notify_now()
        print(f"enqueued {enqueued} sent {sent.as_dict()}", flush=True)
        return
    if mode == "send":
        enqueued, sent = worker.send_now(day=date.fromisoformat(day))
        print(f"enqueued {enqueued.as_dict()} sent {sent.as_dict()}", flush=True)
        return
    worker.jobs = [job for job in worker.jobs if job.name == "digests"]  # no ingest from the internet here
    run_until_signalled(worker)


if __name__ == "__main__":
    main(*sys.argv[1:])
