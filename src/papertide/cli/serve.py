"""``papertide serve``: the web app and JSON API."""

from __future__ import annotations

from typing import Annotated

import typer

from papertide.cli.app import app
from papertide.config import Settings


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
