"""The ``papertide`` command line: parses arguments and calls the library, nothing more.

One module per command group, each registering its commands on the shared ``app`` (cli/app.py,
which also holds the consoles, the store opener and the --json helpers): ingest.py (ingest, demo),
store.py (init, stats, export), db.py (upgrade, migrate-to), backup.py (backup, restore), search.py (index,
search), trending.py, serve.py, mail.py, digest.py, worker.py (worker, digest send, status), admin.py (roles). A
new group is a new module, imported below.
"""

from __future__ import annotations

import sys

from papertide.cli.app import app, err
from papertide.errors import PapertideError

# Each module registers its commands; `papertide --help` lists them in this order.
# isort: off
from papertide.cli import store, db, backup, ingest, search, trending, serve, mail, digest, worker, admin  # noqa: F401
# isort: on

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point: library errors become one line on stderr and exit status 1."""
    try:
        app()
    except PapertideError as exc:
        err.print(f"[red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
        sys.exit(1)
