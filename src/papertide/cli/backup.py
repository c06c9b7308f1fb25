"""``papertide backup`` and ``restore``: a snapshot of the running installation, and one put back."""

from __future__ import annotations

import dataclasses
import enum
from pathlib import Path
from typing import Annotated

import typer

from papertide.cli.app import JsonOption, app, err, out, print_json


class Indexes(enum.StrEnum):
    all = "all"
    lexical = "lexical"
    none = "none"


@app.command()
def backup(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The backup file to write (a tar archive; replaced if it exists).")],
    as_json: JsonOption = False,
) -> None:
    """Back up the database and signing key while the server, the worker and ingests keep running."""
    from papertide.backup import create_backup

    with err.status("taking a snapshot of the database"):
        report = create_backup(ctx.obj, file)
    manifest = report.manifest
    if as_json:
        print_json({"file": str(report.file), "bytes": report.bytes, "seconds": round(report.seconds, 3),
                    "manifest": dataclasses.asdict(manifest)})  # fmt: skip
        return
    out.print(
        f"backed up {manifest.papers:,} papers ({manifest.database}, schema {manifest.schema_revision}) to "
        f"{report.file}: {_size(report.bytes)} in {report.seconds:.1f} s; search indexes not included "
        "(`papertide restore` rebuilds them)",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def restore(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A file written by `papertide backup`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace what the target database holds (stop the service first).")
    ] = False,
    indexes: Annotated[
        Indexes,
        typer.Option(
            "--indexes",
            help="Which search indexes to rebuild now: all, lexical (`papertide index` embeds later) or none.",
        ),
    ] = Indexes.all,
    as_json: JsonOption = False,
) -> None:
    """Restore a backup into an empty database and data directory, migrate it, and rebuild the search indexes."""
    from papertide.backup import restore_backup

    with err.status("restoring (the search indexes are rebuilt last)"):
        report = restore_backup(ctx.obj, file, force=force, indexes=indexes.value)
    if as_json:
        print_json({**dataclasses.asdict(report), "file": str(report.file), "seconds": round(report.seconds, 3)})
        return
    migrated = (
        f", migrated {report.backup_revision} -> {report.revision}"
        if report.backup_revision != report.revision
        else f", schema {report.revision}"
    )
    out.print(
        f"restored {report.papers:,} papers into {report.database}{migrated} in {report.seconds:.1f} s",
        highlight=False,
        soft_wrap=True,
    )
    if report.indexing is not None:
        out.print(report.indexing.describe(), highlight=False, soft_wrap=True)


def _size(count: int) -> str:
    if count < 1000:
        return f"{count} bytes"
    value = count / 1000
    for unit in ("kB", "MB"):
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:,.1f} GB"
