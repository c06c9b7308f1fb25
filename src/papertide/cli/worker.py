"""``papertide worker``, ``digest send`` and ``status``: the schedule, sending now, and what both are doing."""

from __future__ import annotations

import json
import logging
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from papertide.cli.app import JsonOption, app, out, parse_day, print_json, store_of
from papertide.cli.digest import digest_app
from papertide.config import Settings
from papertide.store import PaperStore

if TYPE_CHECKING:
    from papertide.worker.runner import Worker


def _worker(settings: Settings, store: PaperStore) -> Worker:
    """A worker composing with the digest package and sending through the mail module."""
    from threadpoolctl import threadpool_limits

    from papertide.mail import Mailer
    from papertide.worker.composer import DigestComposer
    from papertide.worker.outbox import mailer_relay
    from papertide.worker.runner import Worker

    # Composing a digest multiplies small matrices (For you); a BLAS pool per product only fights the
    # worker's other threads and processes for the cores. Measured, 2,000 x 384 by a vector on two busy
    # cores: 0.36 ms on one thread, 10.7 ms on two. Index builds (faiss, OpenMP) keep their threads.
    threadpool_limits(limits=1, user_api="blas")
    mailer = Mailer.from_settings(settings)
    return Worker(settings, store, DigestComposer.open(settings, store), lambda: mailer_relay(mailer))


def _log_to_stderr(level: int) -> None:
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # faiss's loader tries its AVX512 and AVX2 builds first and logs each missing one as a
    # ModuleNotFoundError at INFO; the generic build it then loads is the one the wheel ships.
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)


@app.command()
def worker(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Run what is due once, then exit.")] = False,
) -> None:
    """Run the schedule until stopped: daily ingest, indexing, trending upkeep, digests at each subscriber's hour.

    SIGTERM or Ctrl-C lets the current step finish, then the worker exits. Several workers may run
    against one database: each job runs once, each digest is sent once.
    """
    from papertide.worker.runner import run_until_signalled

    _log_to_stderr(logging.INFO)
    running = _worker(ctx.obj, store_of(ctx))
    if not once:
        run_until_signalled(running)
        return
    results, delivery = running.once()
    for result in results:
        out.print(f"{result.name} ({result.run_key}): {'done' if result.ok else 'failed'} {result.detail}")
    if delivery is not None:
        out.print(f"sent: {delivery.as_dict()}")


@digest_app.command("send")
def digest_send(
    ctx: typer.Context,
    to: Annotated[str | None, typer.Option("--to", help="Only this subscriber's digest, whatever the hour.")] = None,
    day: Annotated[
        str | None, typer.Option("--date", help="The digests of this local delivery day YYYY-MM-DD, whatever the hour.")
    ] = None,
) -> None:
    """Send the digests due now, as the worker does every tick (or the one of --to); running it again sends
    nothing twice. Exits 1 when a digest failed or could not be composed."""
    _log_to_stderr(logging.WARNING)
    enqueued, delivery = _worker(ctx.obj, store_of(ctx)).send_now(day=parse_day(day, "--date"), to=to)
    table = Table(title="digest send")
    numbers = {**enqueued.as_dict(), **delivery.as_dict()}
    for name in numbers:
        table.add_column(name.replace("_", " "), justify="right")
    table.add_row(*(str(value) for value in numbers.values()))
    out.print(table)
    if delivery.failed or enqueued.errors or delivery.relay_down:
        raise typer.Exit(1)


@app.command()
def status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show the workers, their jobs' last runs and the digest outbox."""
    from papertide.worker.status import worker_status

    report = worker_status(store_of(ctx).engine, ctx.obj)
    if as_json:
        print_json(report)
        return
    workers = Table(title="workers (seen in the last day)")
    for column in ("worker", "alive", "doing", "seen", "started"):
        workers.add_column(column)
    for w in report["workers"]:
        workers.add_row(w["id"], "yes" if w["alive"] else "no", w["step"] or "-", w["seen_at"], w["started_at"])
    jobs = Table(title="jobs")
    for column in ("job", "state", "run", "runs", "finished", "retry at", "detail"):
        jobs.add_column(column, overflow="fold")
    for j in report["jobs"]:
        detail = json.dumps(j["detail"]) if j["detail"] is not None else "-"
        jobs.add_row(
            j["name"], j["state"], j["run_key"] or "-", str(j["runs"]), j["finished_at"] or "-", j["retry_at"] or "-",
            detail,
        )  # fmt: skip
    outbox = Table(title="digest outbox", show_header=False)
    for state, count in report["outbox"].items():
        outbox.add_row(state, "-" if count is None else str(count))
    for table in (workers, jobs, outbox):
        out.print(table)
