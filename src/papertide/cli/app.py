"""What every command module shares: the typer app, the consoles, the settings, the store, and --json."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from papertide.config import environment_variable, load_settings
from papertide.logs import configure_logging
from papertide.services import Services
from papertide.store import PaperStore

app = typer.Typer(
    help="papertide: find, search and follow research papers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

out = Console()
err = Console(stderr=True)

# Every command that prints a report also takes --json, with this option (tests/test_cli_json.py checks).
JsonOption = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]


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
    configure_logging(ctx.obj)  # warnings and errors; serve and worker log from INFO
    ctx.meta["overrides"] = overrides


def environment_of(ctx: typer.Context) -> dict[str, str]:
    """The command line's settings as environment variables: what a child process needs to load the same."""
    return {environment_variable(name): str(value) for name, value in ctx.meta["overrides"].items()}


def services_of(ctx: typer.Context) -> Services:
    """The stores and services of the configured database, opened (and migrated) once per command."""
    if "services" not in ctx.meta:
        ctx.meta["services"] = Services(ctx.obj)
    return ctx.meta["services"]


def store_of(ctx: typer.Context) -> PaperStore:
    """The paper store of :func:`services_of`."""
    return services_of(ctx).papers


def print_json(data: Any) -> None:
    """One JSON document on standard output; dates and times in ISO 8601."""
    sys.stdout.write(json.dumps(data, default=_iso, ensure_ascii=False) + "\n")


def _iso(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def parse_day(value: str | None, option: str) -> date | None:
    """An option's YYYY-MM-DD value, or a usage error naming the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"expected a date YYYY-MM-DD, got {value!r}", param_hint=option) from None


def day_of(moment: datetime | None) -> str:
    return moment.date().isoformat() if moment else "-"
