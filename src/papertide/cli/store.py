"""``papertide init``, ``stats`` and ``export``: the store itself."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from papertide.cli.app import JsonOption, app, day_of, err, out, print_json, store_of

export_app = typer.Typer(help="Export the store.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@app.command()
def init(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Create the data directory and the database, or migrate it to the current schema."""
    store = store_of(ctx)
    url, count = store.address, store.count()
    if as_json:
        print_json({"database": url, "papers": count})
        return
    out.print(f"database ready: {url} ({count} papers)")


@app.command()
def stats(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show what the store holds."""
    numbers = store_of(ctx).stats()
    if as_json:
        print_json(numbers)
        return
    table = Table(title="papertide store", show_header=False)
    table.add_row("papers", str(numbers["papers"]))
    for source, count in numbers["by_source"].items():
        table.add_row(f"  from {source}", str(count))
    table.add_row("submitted", f"{day_of(numbers['first_submitted'])} .. {day_of(numbers['last_submitted'])}")
    table.add_row("signal observations", str(numbers["signal_observations"]))
    table.add_row("top categories", ", ".join(f"{c} ({n})" for c, n in numbers["top_categories"].items()))
    out.print(table)


@export_app.command("jsonl")
def export_jsonl_command(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write; '-' for standard output.")] = Path("-"),
) -> None:
    """Write every paper as JSONL in papertide's schema."""
    from papertide.ingest.export import export_jsonl

    store = store_of(ctx)
    if str(output) == "-":
        count = export_jsonl(store, sys.stdout)
    else:
        with output.open("w", encoding="utf-8") as handle:
            count = export_jsonl(store, handle)
    err.print(f"exported {count} papers")
