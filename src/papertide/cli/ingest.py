"""``papertide ingest ...`` and ``papertide demo``: load papers from a source, with progress and a summary."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from papertide.cli.app import JsonOption, app, err, out, parse_day, print_json, services_of, store_of
from papertide.config import Settings
from papertide.errors import RecordError, SourceError
from papertide.ingest.pipeline import IngestSummary, ingest
from papertide.ingest.sources.http import client_from_settings
from papertide.store.papers.store import PaperStore

ingest_app = typer.Typer(help="Load papers from a source into the store.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")

MAX_REJECTS_SHOWN = 50


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


def _run_ingest(
    ctx: typer.Context, label: str, make_items, *, as_json: bool, by_bytes: bool = False, then=None
) -> None:
    """Run one ingest with progress, then ``then(store)`` if given (what it returns, with ``as_dict()``,
    joins the report), print the summary; exit 1 if any record was rejected."""
    settings: Settings = ctx.obj
    store = store_of(ctx)
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
    after = then(store) if then else None
    if as_json:
        print_json({"source": label, **summary.as_dict(), **(after.as_dict() if after else {})})
    else:
        _print_summary(label, summary)
        if after:
            out.print(str(after), highlight=False, soft_wrap=True)
    if summary.rejected:
        raise typer.Exit(1)


def _print_summary(label: str, summary: IngestSummary) -> None:
    table = Table(title=f"ingest {label}")
    for name in summary.as_dict():
        table.add_column(name, justify="right")
    table.add_row(*(str(v) for v in summary.as_dict().values()))
    out.print(table)


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
    as_json: JsonOption = False,
) -> None:
    """Harvest arXiv over OAI-PMH (bulk or daily); an interrupted harvest resumes where it stopped."""
    from papertide.ingest.sources.oai import OAI_URL, OaiSource

    settings: Settings = ctx.obj
    source = OaiSource(
        client_from_settings(settings),
        metadata_prefix=prefix,
        set_spec=set_spec,
        from_date=parse_day(from_date, "--from"),
        until=parse_day(until, "--until"),
        checkpoints=store_of(ctx),
        base_url=url or OAI_URL,
    )
    _run_ingest(ctx, "oai", lambda _: source.items(), as_json=as_json)


@ingest_app.command("arxiv")
def ingest_arxiv(
    ctx: typer.Context,
    query: Annotated[str, typer.Option("--query", "-q", help="arXiv API search_query, e.g. 'ti:diffusion'.")] = "",
    category: Annotated[list[str], typer.Option("--category", "-c", help="Category (repeatable), e.g. cs.LG.")] = [],  # noqa: B006
    paper_id: Annotated[list[str], typer.Option("--id", help="arXiv id (repeatable).")] = [],  # noqa: B006
    max_results: Annotated[int | None, typer.Option("--max-results", min=1, help="Stop after this many.")] = None,
    url: Annotated[str | None, typer.Option("--url", help="API endpoint (default: arXiv's).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Fetch papers from the arXiv API by query, category or id (one request every 3 s)."""
    from papertide.ingest.sources.arxiv_api import API_URL, ArxivApiSource

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
    _run_ingest(ctx, "arxiv", lambda _: source.items(), as_json=as_json)


@ingest_app.command("kaggle")
def ingest_kaggle(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="arxiv-metadata-oai-snapshot.json (or .gz).")],
    since: Annotated[str | None, typer.Option("--since", help="Only papers updated on/after YYYY-MM-DD.")] = None,
    categories: Annotated[
        list[str], typer.Option("--categories", "-c", help="Category patterns (repeatable), e.g. 'cs.*'.")
    ] = [],  # noqa: B006
    as_json: JsonOption = False,
) -> None:
    """Bulk-load the Kaggle arXiv metadata snapshot, streamed in constant memory."""
    from papertide.ingest.sources.kaggle import KaggleSource

    patterns = [p.strip() for value in categories for p in value.split(",") if p.strip()]
    since_day = parse_day(since, "--since")
    _run_ingest(
        ctx,
        "kaggle",
        lambda on_bytes: KaggleSource(path, since=since_day, categories=patterns, on_progress=on_bytes).items(),
        as_json=as_json,
        by_bytes=True,
    )


@dataclass(frozen=True, slots=True)
class CategoriesFromArxiv:
    """What ``ingest hf-daily`` then took from arXiv: how many listed papers got their categories."""

    papers: int

    def as_dict(self) -> dict[str, int]:
        return {"categories_from_arxiv": self.papers}

    def __str__(self) -> str:
        return f"categories from arXiv: {self.papers} listed papers"


@ingest_app.command("hf-daily")
def ingest_hf_daily(
    ctx: typer.Context,
    day: Annotated[str | None, typer.Option("--date", help="Day YYYY-MM-DD (default: today).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Last day of a range (inclusive).")] = None,
    url: Annotated[str | None, typer.Option("--url", help="daily_papers endpoint (default: Hugging Face's).")] = None,
    arxiv_url: Annotated[
        str | None, typer.Option("--arxiv-url", help="arXiv API endpoint for the categories (default: arXiv's).")
    ] = None,
    categories: Annotated[
        bool,
        typer.Option(
            "--categories/--no-categories",
            help="Fetch the arXiv record of each listed paper stored without categories (Hugging Face lists none).",
        ),
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Fetch Hugging Face daily papers with their upvotes, and their categories from arXiv."""
    from papertide.ingest.pipeline import fill_categories, noting_papers
    from papertide.ingest.sources.arxiv_api import API_URL, arxiv_records
    from papertide.ingest.sources.hf_daily import DAILY_PAPERS_URL, HfDailySource

    settings: Settings = ctx.obj
    http = client_from_settings(settings)
    source = HfDailySource(
        http, start=parse_day(day, "--date"), end=parse_day(until, "--until"), base_url=url or DAILY_PAPERS_URL
    )
    listed: list[str] = []

    def items(_):
        return noting_papers(source.items(), listed)

    def arxiv_categories(store: PaperStore) -> CategoriesFromArxiv:
        try:
            filled = fill_categories(store, listed, arxiv_records(http, arxiv_url or API_URL))
            return CategoriesFromArxiv(filled.updated)
        except SourceError as exc:  # the listing is stored; only the categories wait
            err.print(f"[yellow]warning:[/] no categories from arXiv this time: {exc.message}; the papers are "
                      "stored, and the next `ingest hf-daily` of their day fetches them", highlight=False,
                      soft_wrap=True)  # fmt: skip
            return CategoriesFromArxiv(0)

    _run_ingest(ctx, "hf-daily", items, as_json=as_json, then=arxiv_categories if categories else None)


@ingest_app.command("jsonl")
def ingest_jsonl(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="JSONL file in papertide's schema (or .gz).")],
    as_json: JsonOption = False,
) -> None:
    """Load papers from JSONL in papertide's own schema (as written by `export jsonl`)."""
    from papertide.ingest.sources.jsonl import JsonlSource

    _run_ingest(
        ctx, "jsonl", lambda on_bytes: JsonlSource(path, on_progress=on_bytes).items(), as_json=as_json, by_bytes=True
    )


@app.command()
def demo(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Load the bundled demo corpus (real arXiv and Hugging Face records) and replay its activity relative to
    today: listings, Hugging Face upvotes and demo accounts' votes. Run it again to refresh the activity."""
    from papertide.ingest.demo import DEMO_CORPUS, replay_demo
    from papertide.ingest.sources.jsonl import JsonlSource

    _run_ingest(
        ctx,
        "demo",
        lambda on_bytes: JsonlSource(DEMO_CORPUS, on_progress=on_bytes).items(),
        as_json=as_json,
        by_bytes=True,
        then=lambda _store: replay_demo(services_of(ctx).stores, ctx.obj),
    )
