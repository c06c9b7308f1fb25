"""The process the SIGKILL test kills: ``python -m tests.worker.crash_worker DATA_DIR SMTP_PORT DAY``.

It does what ``papertide digest send`` does (enqueue every due digest, then send the outbox) with
the tests' plain composer, and exits 0 when everything due is sent.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from papertide.config import load_settings
from papertide.mail import Mailer
from papertide.store import open_configured_store
from papertide.store.digest import SubscriptionStore
from papertide.worker.outbox import mailer_relay
from papertide.worker.runner import Worker
from tests.worker.composer import PlainComposer


def main(data_dir: str, smtp_port: str, day: str) -> None:
    settings = load_settings(
        data_dir=Path(data_dir),
        smtp_host="127.0.0.1",
        smtp_port=int(smtp_port),
        smtp_security="none",
        outbox_batch=20,
        outbox_lease_s=1.0,  # a killed worker's rows come back after a second, not five minutes
    )
    store = open_configured_store(settings)
    mailer = Mailer.from_settings(settings)
    composer = PlainComposer(settings, SubscriptionStore(store.engine))
    worker = Worker(settings, store, composer, lambda: mailer_relay(mailer))
    enqueued, sent = worker.send_now(day=date.fromisoformat(day))
    print(f"enqueued {enqueued.as_dict()} sent {sent.as_dict()}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
