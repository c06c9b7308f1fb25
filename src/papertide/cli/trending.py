"""``papertide trending``: what trends, and a refresh of the scores for a cron job or worker."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from papertide.cli.app import JsonOption, app, err, out, print_json, services_of
from papertide.search.query import build_filters
from papertide.trending import Window


@app.command()
def trending(
    ctx: typer.Context,
    window: Annotated[str, typer.Option("--window", "-w", help="day, week or month.")] = "week",
    category: Annotated[list[str] | None, typer.Option("--category", "-c", help="Only these categories.")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="Leave out these categories.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100, help="How many papers.")] = 20,
    refresh: Annotated[bool, typer.Option("--refresh", help="Bring the trending scores up to now first.")] = False,
    full: Annotated[bool, typer.Option("--full", help="With --refresh: recompute every paper.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Show the trending papers; with --refresh, update the scores first (a cron job or worker can call this)."""
    try:
        chosen = Window(window)
    except ValueError:
        raise typer.BadParameter(f"{window!r} is not one of day, week, month", param_hint="--window") from None
    service = services_of(ctx).trending
    if refresh or full:
        report = service.refresh(full=full)
        err.print(
            f"refreshed ({'full' if report.full else 'incremental'}): {report.papers} papers recomputed, "
            f"{report.rows} with attention, {report.changes} changes consumed, {report.seconds:.2f} s",
            highlight=False,
        )
    items = service.trending(chosen, build_filters(category or (), exclude or ()), limit=limit)
    if as_json:
        papers = [
            {
                "id": item.paper.paper_id,
                "title": item.paper.title,
                "score": round(item.score, 4),
                "reason": item.reason,
                "upvotes": item.activity.upvotes,
                "upvotes_counted": round(item.activity.counted, 3),
                "hf_upvotes": round(item.activity.hf_upvotes),
                "github_stars": round(item.activity.github_stars),
            }
            for item in items
        ]
        print_json({"window": chosen.value, "as_of": service.as_of, "papers": papers})
        return
    as_of = f"as of {service.as_of:%Y-%m-%d %H:%M} UTC" if service.as_of else "never computed: run with --refresh"
    table = Table(title=f"Trending {chosen.phrase} ({as_of})")
    for column in ("#", "score", "id", "title", "why"):
        table.add_column(column, overflow="fold")
    for rank, item in enumerate(items, 1):
        table.add_row(str(rank), f"{item.score:.2f}", item.paper.paper_id, item.paper.title, item.reason)
    out.print(table)
