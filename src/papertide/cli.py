"""The ``papertide`` command line: parses arguments and calls the library, nothing more."""

from __future__ import annotations

import json
import logging
import sys
import time
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from papertide.config import Settings, load_settings
from papertide.errors import PapertideError, RecordError
from papertide.ingest import IngestSummary, ingest
from papertide.sources.http import client_from_settings
from papertide.store import PaperStore, open_configured_store

if TYPE_CHECKING:
    from papertide.search.indexing import IndexingReport
    from papertide.worker.runner import Worker

app = typer.Typer(
    help="papertide: find, search and follow research papers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
ingest_app = typer.Typer(help="Load papers from a source into the store.", no_args_is_help=True)
export_app = typer.Typer(help="Export the store.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
app.add_typer(export_app, name="export")
digest_app = typer.Typer(help="Daily digests: what subscribers get.", no_args_is_help=True)
app.add_typer(digest_app, name="digest")

out = Console()
err = Console(stderr=True)
MAX_REJECTS_SHOWN = 50


@app.callback()
def _settings(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Data directory (default: $PAPERTIDE_DATA_DIR).")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Database URL (default: SQLite in the data directory).")
    ] = None,
) -> None:
    overrides = {k: v for k, v in {"data_dir": data_dir, "database_url": database_url}.items() if v is not None}
    ctx.obj = load_settings(**overrides)


def _store(ctx: typer.Context) -> PaperStore:
    """The store of the configured database, opened (and migrated) once per command."""
    if "store" not in ctx.meta:
        settings: Settings = ctx.obj
        ctx.meta["store"] = open_configured_store(settings)
    return ctx.meta["store"]


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the data directory and the database, or migrate it to the current schema."""
    store = _store(ctx)
    out.print(f"database ready: {store.engine.url.render_as_string(hide_password=True)} ({store.count()} papers)")


@contextmanager
def _ingest_progress(label: str, by_bytes: bool):
    """A rich progress display: bytes with rate and ETA for files, papers with rate otherwise."""
    if by_bytes:
        columns = [
            TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(), TransferSpeedColumn(),
            TimeRemainingColumn(), TextColumn("{task.fields[papers]} papers"),
        ]  # fmt: skip
    else:
        columns = [
            SpinnerColumn(), TextColumn("[bold]{task.description}"), TextColumn("{task.fields[papers]} papers"),
            TimeElapsedColumn(),
        ]  # fmt: skip
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(label, total=None, papers=0)
        yield progress, task


def _run_ingest(ctx: typer.Context, label: str, make_items, by_bytes: bool = False) -> None:
    """Run one ingest with progress, print its summary; exit 1 if any record was rejected."""
    settings: Settings = ctx.obj
    store = _store(ctx)
    shown = 0

    def on_reject(error: RecordError) -> None:
        nonlocal shown
        shown += 1
        if shown <= MAX_REJECTS_SHOWN:
            err.print(f"[yellow]rejected[/] {error}", highlight=False, soft_wrap=True)

    with _ingest_progress(label, by_bytes) as (progress, task):

        def on_bytes(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total or None)

        def on_batch(summary: IngestSummary) -> None:
            progress.update(task, papers=summary.read)

        items = make_items(on_bytes)
        summary = ingest(items, store, batch_size=settings.batch_size, on_reject=on_reject, on_batch=on_batch)
    if summary.rejected > MAX_REJECTS_SHOWN:
        err.print(f"... and {summary.rejected - MAX_REJECTS_SHOWN} more rejected records")
    _print_summary(label, summary)
    if summary.rejected:
        raise typer.Exit(1)


def _print_summary(label: str, summary: IngestSummary) -> None:
    table = Table(title=f"ingest {label}")
    for name in summary.as_dict():
        table.add_column(name, justify="right")
    table.add_row(*(str(v) for v in summary.as_dict().values()))
    out.print(table)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"expected a date YYYY-MM-DD, got {value!r}", param_hint=option) from None


@ingest_app.command("oai")
def ingest_oai(
    ctx: typer.Context,
    set_spec: Annotated[str | None, typer.Option("--set", help="OAI set, e.g. cs or physics:hep-th.")] = None,
    from_date: Annotated[
        str | None, typer.Option("--from", help="Harvest records changed on/after YYYY-MM-DD.")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="... and on/before YYYY-MM-DD.")] = None,
    prefix: Annotated[
        str, typer.Option("--prefix", help="Metadata format: arXivRaw (versions) or arXiv.")
    ] = "arXivRaw",
    url: Annotated[str | None, typer.Option("--url", help="OAI-PMH endpoint (default: arXiv's).")] = None,
) -> None:
    """Harvest arXiv over OAI-PMH (bulk or daily); an interrupted harvest resumes where it stopped."""
    from papertide.sources.oai import OAI_URL, OaiSource

    settings: Settings = ctx.obj
    source = OaiSource(
        client_from_settings(settings),
        metadata_prefix=prefix,
        set_spec=set_spec,
        from_date=_day(from_date, "--from"),
        until=_day(until, "--until"),
        checkpoints=_store(ctx),
        base_url=url or OAI_URL,
    )
    _run_ingest(ctx, "oai", lambda _: source.items())


@ingest_app.command("arxiv")
def ingest_arxiv(
    ctx: typer.Context,
    query: Annotated[str, typer.Option("--query", "-q", help="arXiv API search_query, e.g. 'ti:diffusion'.")] = "",
    category: Annotated[list[str], typer.Option("--category", "-c", help="Category (repeatable), e.g. cs.LG.")] = [],  # noqa: B006
    paper_id: Annotated[list[str], typer.Option("--id", help="arXiv id (repeatable).")] = [],  # noqa: B006
    max_results: Annotated[int | None, typer.Option("--max-results", min=1, help="Stop after this many.")] = None,
    url: Annotated[str | None, typer.Option("--url", help="API endpoint (default: arXiv's).")] = None,
) -> None:
    """Fetch papers from the arXiv API by query, category or id (one request every 3 s)."""
    from papertide.sources.arxiv_api import API_URL, ArxivApiSource

    if not (query or category or paper_id):
        raise typer.BadParameter("give --query, --category or --id")
    source = ArxivApiSource(
        client_from_settings(ctx.obj),
        search_query=query,
        categories=category,
        id_list=paper_id,
        max_results=max_results,
        base_url=url or API_URL,
    )
    _run_ingest(ctx, "arxiv", lambda _: source.items())


@ingest_app.command("kaggle")
def ingest_kaggle(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="arxiv-metadata-oai-snapshot.json (or .gz).")],
    since: Annotated[str | None, typer.Option("--since", help="Only papers updated on/after YYYY-MM-DD.")] = None,
    categories: Annotated[
        list[str], typer.Option("--categories", "-c", help="Category patterns (repeatable), e.g. 'cs.*'.")
    ] = [],  # noqa: B006
) -> None:
    """Bulk-load the Kaggle arXiv metadata snapshot, streamed in constant memory."""
    from papertide.sources.kaggle import KaggleSource

    patterns = [p.strip() for value in categories for p in value.split(",") if p.strip()]
    since_day = _day(since, "--since")
    _run_ingest(
        ctx,
        "kaggle",
        lambda on_bytes: KaggleSource(path, since=since_day, categories=patterns, on_progress=on_bytes).items(),
        by_bytes=True,
    )


@ingest_app.command("hf-daily")
def ingest_hf_daily(
    ctx: typer.Context,
    day: Annotated[str | None, typer.Option("--date", help="Day YYYY-MM-DD (default: today).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Last day of a range (inclusive).")] = None,
    url: Annotated[str | None, typer.Option("--url", help="daily_papers endpoint (default: Hugging Face's).")] = None,
) -> None:
    """Fetch Hugging Face daily papers with their upvotes."""
    from papertide.sources.hf_daily import DAILY_PAPERS_URL, HfDailySource

    settings: Settings = ctx.obj
    http = client_from_settings(settings)
    source = HfDailySource(
        http, start=_day(day, "--date"), end=_day(until, "--until"), base_url=url or DAILY_PAPERS_URL
    )
    _run_ingest(ctx, "hf-daily", lambda _: source.items())


@ingest_app.command("jsonl")
def ingest_jsonl(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="JSONL file in papertide's schema (or .gz).")],
) -> None:
    """Load papers from JSONL in papertide's own schema (as written by `export jsonl`)."""
    from papertide.sources.jsonl import JsonlSource

    _run_ingest(ctx, "jsonl", lambda on_bytes: JsonlSource(path, on_progress=on_bytes).items(), by_bytes=True)


@app.command()
def demo(ctx: typer.Context) -> None:
    """Load the bundled demo corpus (real arXiv and Hugging Face records)."""
    from papertide.demo import DEMO_CORPUS
    from papertide.sources.jsonl import JsonlSource

    _run_ingest(ctx, "demo", lambda on_bytes: JsonlSource(DEMO_CORPUS, on_progress=on_bytes).items(), by_bytes=True)


@app.command()
def stats(ctx: typer.Context) -> None:
    """Show what the store holds."""
    numbers = _store(ctx).stats()
    table = Table(title="papertide store", show_header=False)
    table.add_row("papers", str(numbers["papers"]))
    for source, count in numbers["by_source"].items():
        table.add_row(f"  from {source}", str(count))
    table.add_row("submitted", f"{_fmt(numbers['first_submitted'])} .. {_fmt(numbers['last_submitted'])}")
    table.add_row("signal observations", str(numbers["signal_observations"]))
    table.add_row("top categories", ", ".join(f"{c} ({n})" for c, n in numbers["top_categories"].items()))
    out.print(table)


def _fmt(moment: datetime | None) -> str:
    return moment.date().isoformat() if moment else "-"


@export_app.command("jsonl")
def export_jsonl_command(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write; '-' for standard output.")] = Path("-"),
) -> None:
    """Write every paper as JSONL in papertide's schema."""
    from papertide.export import export_jsonl

    store = _store(ctx)
    if str(output) == "-":
        count = export_jsonl(store, sys.stdout)
    else:
        with output.open("w", encoding="utf-8") as handle:
            count = export_jsonl(store, handle)
    err.print(f"exported {count} papers")


@app.command()
def index(
    ctx: typer.Context,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Re-embed every paper from scratch.")] = False,
    lexical_only: Annotated[bool, typer.Option("--lexical-only", help="Skip embedding (fast).")] = False,
    watch: Annotated[
        float | None, typer.Option("--watch", min=1, help="Keep running: index new papers every N seconds.")
    ] = None,
) -> None:
    """Bring the search indexes up to date with the store: resumable, incremental."""
    settings: Settings = ctx.obj
    store = _store(ctx)
    while True:
        report = _index_once(store, settings, embed=not lexical_only, rebuild=rebuild)
        out.print(report.describe())
        if watch is None:
            return
        rebuild = False
        time.sleep(watch)


def _index_once(store: PaperStore, settings: Settings, *, embed: bool, rebuild: bool) -> IndexingReport:
    from papertide.search.indexing import update_indexes

    columns = [
        TextColumn("[bold]embedding"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(), TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]  # fmt: skip
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("embedding", total=None)
        return update_indexes(
            store,
            settings,
            embed=embed,
            rebuild=rebuild,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help='Search text: words, "phrases", -exclude, author:, cat:, year:.')],
    mode: Annotated[str, typer.Option("--mode", "-m", help="hybrid, lexical or semantic.")] = "hybrid",
    sort: Annotated[str, typer.Option("--sort", help="relevance or newest.")] = "relevance",
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100, help="How many results.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Search the store and print ranked results."""
    from papertide.search.engine import SearchEngine

    settings: Settings = ctx.obj
    response = SearchEngine.open(settings, _store(ctx)).search(query, mode=mode, sort=sort, limit=limit)
    for warning in response.warnings:
        err.print(f"[yellow]note:[/] {warning}", highlight=False)
    if as_json:
        rows = [
            {
                "id": r.paper.paper_id,
                "score": round(r.score, 6),
                "title": r.paper.title,
                "authors": r.paper.authors,
                "categories": r.paper.paper.categories,
                "submitted": r.paper.paper.submitted.isoformat() if r.paper.paper.submitted else None,
            }
            for r in response.results
        ]
        sys.stdout.write(json.dumps({"total": response.total, "mode": response.mode, "results": rows}) + "\n")
        return
    table = Table(title=f"{response.total} matches ({response.mode}, {response.took_ms:.1f} ms)")
    for column in ("#", "id", "title", "first author", "date"):
        table.add_column(column, overflow="fold")
    for rank, result in enumerate(response.results, 1):
        paper = result.paper
        table.add_row(
            str(rank),
            paper.paper_id,
            paper.title,
            paper.authors[0] if paper.authors else "",
            _fmt(paper.paper.submitted),
        )
    out.print(table)


@app.command()
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Show the workers, their jobs' last runs and the digest outbox."""
    from papertide.worker.status import worker_status

    settings: Settings = ctx.obj
    report = worker_status(_store(ctx).engine, settings)
    if as_json:
        sys.stdout.write(json.dumps(report) + "\n")
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


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
) -> None:
    """Serve the web app and JSON API."""
    import uvicorn

    from papertide.web.app import create_app

    settings: Settings = ctx.obj
    uvicorn.run(create_app(settings), host=host, port=port, access_log=False)


@digest_app.command("preview")
def digest_preview(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The subscriber's address.")],
    day: Annotated[
        str | None, typer.Option("--date", help="The subscriber's local delivery day YYYY-MM-DD (default: the latest).")
    ] = None,
    html: Annotated[bool, typer.Option("--html", help="Print the HTML part instead of the plain text.")] = False,
) -> None:
    """Print the digest EMAIL would get, without sending it or recording anything."""
    from papertide.accounts.keys import Signer, load_secret_key
    from papertide.digest.compose import Composer, window_start
    from papertide.digest.preferences import Preferences
    from papertide.digest.render import DigestMail
    from papertide.digest.schedule import preview_period
    from papertide.errors import NotFound
    from papertide.search.engine import SearchEngine
    from papertide.store.digest import SubscriptionStore
    from papertide.trending import Trending

    settings: Settings = ctx.obj
    store = _store(ctx)
    subscriptions = SubscriptionStore(store.engine)
    subscription = subscriptions.by_email(email)
    if subscription is None:
        raise NotFound(f"no digest subscription for {email!r}")
    preferences = Preferences.from_dict(subscription.preferences)
    period = preview_period(preferences, store.now(), _day(day, "--date"))
    engine = SearchEngine.open(settings, store)
    composer = Composer(settings, store, engine, subscriptions, Trending.from_settings(settings, store))
    digest = composer.compose(subscription, period)
    if digest is None:
        since = window_start(subscription, preferences, period)
        out.print(
            f"No digest for {subscription.email} on {period.day}: nothing new for them arrived between "
            f"{since:%Y-%m-%d %H:%M} and {period.cutoff:%Y-%m-%d %H:%M} UTC, so none would be sent.",
            highlight=False,
        )
        return
    mail = DigestMail(settings, Signer(load_secret_key(settings)))
    if subscription.status != "active":
        err.print(f"note: this subscription is {subscription.status}; nothing would be sent to it", highlight=False)
    out.print(f"Subject: {mail.subject(digest)}\n", highlight=False, markup=False)
    out.print(mail.html(digest) if html else mail.text(digest), highlight=False, markup=False, soft_wrap=True)


def _worker(settings: Settings, store: PaperStore) -> Worker:
    """A worker composing with the digest package and sending through the mail module."""
    from papertide.mail import Mailer
    from papertide.worker.composer import DigestComposer
    from papertide.worker.outbox import mailer_relay
    from papertide.worker.runner import Worker

    mailer = Mailer.from_settings(settings)
    return Worker(settings, store, DigestComposer.open(settings, store), lambda: mailer_relay(mailer))


def _log_to_stderr(level: int) -> None:
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


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
    settings: Settings = ctx.obj
    running = _worker(settings, _store(ctx))
    if once:
        results, delivery = running.once()
        for result in results:
            out.print(f"{result.name} ({result.run_key}): {'done' if result.ok else 'failed'} {result.detail}")
        if delivery is not None:
            out.print(f"sent: {delivery.as_dict()}")
        return
    run_until_signalled(running)


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
    settings: Settings = ctx.obj
    enqueued, delivery = _worker(settings, _store(ctx)).send_now(day=_day(day, "--date"), to=to)
    table = Table(title="digest send")
    numbers = {**enqueued.as_dict(), **delivery.as_dict()}
    for name in numbers:
        table.add_column(name.replace("_", " "), justify="right")
    table.add_row(*(str(value) for value in numbers.values()))
    out.print(table)
    if delivery.failed or enqueued.errors or delivery.relay_down:
        raise typer.Exit(1)


def main() -> None:
    """Console entry point: library errors become one line on stderr and exit status 1."""
    try:
        app()
    except PapertideError as exc:
        err.print(f"[red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
        sys.exit(1)
