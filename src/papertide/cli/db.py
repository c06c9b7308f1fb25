"""``papertide db upgrade`` and ``db migrate-to``: the database's schema, and moving to PostgreSQL."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from papertide.cli.app import JsonOption, app, err, out, print_json
from papertide.errors import PapertideError
from papertide.store.db.engine import create_store_engine, current_revision, migrate
from papertide.store.db.transfer import copy_database

db_app = typer.Typer(help="The database: migrations, and copying an installation to another database.")
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def upgrade(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Run the schema migrations on the configured database (SQLite or PostgreSQL); safe to repeat."""
    engine = create_store_engine(ctx.obj.resolved_database_url)
    before = current_revision(engine)
    migrate(engine)
    after = current_revision(engine)
    url = engine.url.render_as_string(hide_password=True)
    if as_json:
        print_json({"database": url, "before": before, "after": after})
        return
    out.print(f"{url}: schema {before or 'empty'} -> {after}" if before != after else f"{url}: schema {after}, current")


@db_app.command("migrate-to")
def migrate_to(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="SQLAlchemy URL of the (empty) target, e.g. postgresql://user@host/db.")],
    chunk: Annotated[int, typer.Option(min=100, max=100_000, help="Rows copied per transaction.")] = 5000,
    as_json: JsonOption = False,
) -> None:
    """Copy this installation's database into another (resumable); verify every table by count and checksum."""
    source = create_store_engine(ctx.obj.resolved_database_url)
    target = create_store_engine(url)
    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=True) as progress:
        tasks: dict[str, int] = {}

        def on_chunk(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = progress.add_task(table, total=total)
            progress.update(tasks[table], completed=done)

        reports = copy_database(source, target, chunk=chunk, progress=on_chunk)
    failed = [report for report in reports if not report.matches]
    if as_json:
        print_json(
            [
                {"table": r.table, "source_rows": r.source_rows, "target_rows": r.target_rows, "matches": r.matches}
                for r in reports
            ]
        )
    else:
        table = Table(title=f"copied to {target.url.render_as_string(hide_password=True)}")
        for column in ("table", "rows", "checksum"):
            table.add_column(column)
        for r in reports:
            state = "[green]same[/]" if r.matches else f"[red]{r.source_rows} -> {r.target_rows} rows, differs[/]"
            table.add_row(r.table, f"{r.target_rows:,}", state)
        out.print(table)
    if failed:
        raise PapertideError(f"verification failed for {', '.join(r.table for r in failed)}; run migrate-to again")
