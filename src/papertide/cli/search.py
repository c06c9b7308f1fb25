"""``papertide index`` and ``search``: the search indexes and queries from the command line."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from papertide.cli.app import JsonOption, app, day_of, err, out, print_json, services_of, store_of
from papertide.config import Settings
from papertide.store import PaperStore

if TYPE_CHECKING:
    from papertide.search.upkeep.update import IndexingReport


@app.command()
def index(
    ctx: typer.Context,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Re-embed every paper from scratch.")] = False,
    lexical_only: Annotated[bool, typer.Option("--lexical-only", help="Skip embedding (fast).")] = False,
    watch: Annotated[
        float | None, typer.Option("--watch", min=1, help="Keep running: index new papers every N seconds.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of a sentence (with --watch: one line per run).")
    ] = False,
) -> None:
    """Bring the search indexes up to date with the store: resumable, incremental."""
    settings: Settings = ctx.obj
    store = store_of(ctx)
    while True:
        report = _index_once(store, settings, embed=not lexical_only, rebuild=rebuild)
        if as_json:
            print_json(dataclasses.asdict(report))
        else:
            out.print(report.describe())
        if watch is None:
            return
        rebuild = False
        time.sleep(watch)


def _index_once(store: PaperStore, settings: Settings, *, embed: bool, rebuild: bool) -> IndexingReport:
    from papertide.search.upkeep.update import update_indexes

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
    as_json: JsonOption = False,
) -> None:
    """Search the store and print ranked results."""
    response = services_of(ctx).search.search(query, mode=mode, sort=sort, limit=limit)
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
                "submitted": r.paper.paper.submitted,
            }
            for r in response.results
        ]
        total = {"total": response.total, "total_exact": response.total_exact}
        print_json({**total, "mode": response.mode, "results": rows})
        return
    at_least = "" if response.total_exact else "at least "
    table = Table(title=f"{at_least}{response.total} matches ({response.mode}, {response.took_ms:.1f} ms)")
    for column in ("#", "id", "title", "first author", "date"):
        table.add_column(column, overflow="fold")
    for rank, result in enumerate(response.results, 1):
        paper = result.paper
        table.add_row(
            str(rank),
            paper.paper_id,
            paper.title,
            paper.authors[0] if paper.authors else "",
            day_of(paper.paper.submitted),
        )
    out.print(table)
