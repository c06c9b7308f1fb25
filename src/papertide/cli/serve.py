"""``papertide serve``: the web app and JSON API."""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer

from papertide.cli.app import app, environment_of, err
from papertide.config import SERVE_HOST, SERVE_PORT, Settings, environment_variable
from papertide.logs import configure_logging

WORKER_SETTINGS = ("map_vector_graph", "search_on_event_loop")  # turned on for serve --workers above 1


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = SERVE_HOST,
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = SERVE_PORT,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Processes serving requests. One keeps about 1.5 cores busy (Python's GIL); more serve more "
            "where cores are spare. They share the indexes' files (mapped, see PAPERTIDE_MAP_VECTOR_GRAPH); each "
            "more takes about 0.4 GB of its own at 1M papers.",
        ),
    ] = 1,
) -> None:
    """Serve the web app and JSON API.

    With no PAPERTIDE_BASE_URL, links in pages, feeds and mail point to the address each request came to
    (among PAPERTIDE_TRUSTED_HOSTS and --host), else to http://<host>:<port>.
    """
    import uvicorn

    from papertide.metrics.exposition import prepare_multiprocess_dir
    from papertide.web.app import SERVED_VARIABLE, create_app
    from papertide.web.kit.site import port_mismatch, served_url
    from papertide.web.server.http_protocol import PapertideHttpProtocol

    settings: Settings = ctx.obj
    configure_logging(settings, logging.INFO)  # uvicorn's lines too: it is given no logging config of its own
    if mismatch := port_mismatch(settings.base_url, port):
        err.print(f"[yellow]warning:[/] {mismatch}", highlight=False, soft_wrap=True)
    served = served_url(host, port)
    if workers == 1:
        uvicorn.run(
            create_app(settings, served=served, freeze_heap=True),
            host=host,
            port=port,
            access_log=False,
            log_config=None,
            http=PapertideHttpProtocol,
        )
        return
    # Each worker process builds its own app from the environment: it gets this command's options there,
    # and unless configured otherwise (by any source) shares the vector graph's pages with the others and
    # searches on its event loop, as the processes use the cores.
    os.environ.update(environment_of(ctx))
    prepare_multiprocess_dir(settings.data_dir)  # one scrape of /metrics then counts for every worker process
    os.environ[SERVED_VARIABLE] = served
    for name in WORKER_SETTINGS:
        if name not in settings.model_fields_set:
            os.environ[environment_variable(name)] = "true"
    target = "papertide.web.app:create_app_from_environment"
    uvicorn.run(
        target,
        factory=True,
        workers=workers,
        host=host,
        port=port,
        access_log=False,
        log_config=None,
        timeout_worker_healthcheck=settings.serve_healthcheck_timeout_s,
        http=PapertideHttpProtocol,
    )
