"""``papertide worker``, ``digest send`` and ``status``: the schedule, sending now, and what both are doing."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from papertide.cli.app import JsonOption, app, out, parse_day, print_json, services_of
from papertide.cli.digest import digest_app
from papertide.logs import configure_logging

if TYPE_CHECKING:
    from papertide.digest.enqueue import EnqueueReport
    from papertide.digest.send import DeliveryReport
    from papertide.services import Services
    from papertide.worker.runner import Worker


def _worker(services: Services) -> Worker:
    """A worker composing with the digest package and sending through the mail module."""
    from threadpoolctl import threadpool_limits

    from papertide.digest.send import mailer_relay
    from papertide.metrics.pool import watch_pool
    from papertide.worker.runner import Worker

    # Composing a digest multiplies small matrices (For you); a BLAS pool per product only fights the
    # worker's other threads and processes for the cores. Measured, 2,000 x 384 by a vector on two busy
    # cores: 0.36 ms on one thread, 10.7 ms on two. Index builds (faiss, OpenMP) keep their threads.
    threadpool_limits(limits=1, user_api="blas")
    watch_pool(services.papers)
    return Worker(services, services.digests, lambda: mailer_relay(services.mailer))


@app.command()
def worker(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Run what is due once, then exit.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --once: print its report as JSON.")] = False,
) -> None:
    """Run the schedule until stopped: daily ingest, indexing, trending upkeep, digests at each subscriber's hour.

    SIGTERM or Ctrl-C lets the current step finish, then the worker exits. Several workers may run
    against one database: each job runs once, each digest is sent once.
    """
    from papertide.metrics.worker_server import serve_worker_metrics
    from papertide.worker.runner import run_until_signalled

    if as_json and not once:  # a running worker reports in its log; only a single tick has one report
        raise typer.BadParameter("only a single tick prints a report: add --once", param_hint="--json")
    configure_logging(ctx.obj, logging.WARNING if once else logging.INFO)  # a single tick's report says what ran
    running = _worker(services_of(ctx))
    if not once:
        metrics = serve_worker_metrics(ctx.obj)
        try:
            run_until_signalled(running)
        finally:
            if metrics is not None:
                metrics.shutdown()
        return
    results, delivery = running.once()
    if as_json:
        jobs = [{"name": r.name, "run_key": r.run_key, "ok": r.ok, "detail": r.detail} for r in results]
        print_json({"jobs": jobs, "delivery": delivery.as_dict() if delivery is not None else None})
        return
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
    as_json: JsonOption = False,
) -> None:
    """Send the digests due now, as the worker does every tick (or the one of --to); running it again sends
    nothing twice. Says why nothing went out where nothing did. Exits 1 when a digest failed or could not be
    composed."""
    services = services_of(ctx)
    on_day = parse_day(day, "--date")
    enqueued, delivery = _worker(services).send_now(day=on_day, to=to)
    # Nobody was due: say why, subscriber by subscriber (paused, already sent, not their day...).
    not_due = services.digests.not_due(services.clock(), day=on_day) if to is None and not enqueued.due else {}
    if as_json:
        print_json({"enqueue": enqueued.as_dict(), "delivery": delivery.as_dict(), "not_due": not_due})
    else:
        _print_send_report(enqueued, delivery, not_due)
    if delivery.failed or enqueued.errors or delivery.relay_down:
        raise typer.Exit(1)


def _print_send_report(enqueued: EnqueueReport, delivery: DeliveryReport, not_due: dict[str, int]) -> None:
    """Two tables, what was composed into the outbox and what the relay took, then why nothing went where it did not."""
    for title, numbers in (("enqueued", enqueued.as_dict()), ("delivered", delivery.as_dict())):
        table = Table(title=f"digest send: {title}")
        shown = {name: value for name, value in numbers.items() if name != "reasons"}
        for name in shown:
            table.add_column(name.replace("_", " "), justify="right")
        table.add_row(*(("yes" if v else "no") if isinstance(v, bool) else str(v) for v in shown.values()))
        out.print(table)
    reasons = enqueued.reasons if enqueued.due else not_due
    if not enqueued.due:
        out.print("No digest was due" + (":" if reasons else " (no active subscriber)."), highlight=False)
    elif reasons:
        out.print("Not sent:", highlight=False)
    for reason, count in reasons.items():
        out.print(f"  {count} × {reason}", highlight=False, markup=False, soft_wrap=True)


@app.command()
def status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show the workers, their jobs' last runs and the digest outbox."""
    from papertide.worker.status import worker_status

    report = worker_status(services_of(ctx).stores, ctx.obj)
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
