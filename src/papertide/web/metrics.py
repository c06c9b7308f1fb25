"""``/metrics``: the Prometheus text of every process of this server, and the instance's counts.

Off, loopback only (the default) or behind a bearer token, as ``metrics_access`` says; when off it
answers 404 like any unknown path. Left out of the API reference: it is for Prometheus, not clients.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from papertide.errors import Forbidden, NotFound, Unauthorized
from papertide.metrics.access import Access, metrics_access
from papertide.metrics.exposition import CONTENT_TYPE, scrape
from papertide.metrics.instance import InstanceCollector
from papertide.search.engine import SearchEngine
from papertide.store import Stores
from papertide.web.kit.dependencies import ServicesDep

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics(request: Request, services: ServicesDep) -> Response:
    access = metrics_access(
        services.settings, request.client.host if request.client else None, request.headers.get("authorization")
    )
    if access is Access.HIDDEN:
        raise NotFound(f"no route matches {request.url.path}")
    if access is Access.UNAUTHENTICATED:
        raise Unauthorized("metrics need 'Authorization: Bearer <metrics_token>'")
    if access is Access.REFUSED:
        raise Forbidden("metrics are served to loopback clients or the metrics token's holders only")
    return Response(scrape(request.app.state.instance_metrics), media_type=CONTENT_TYPE)


def instance_collector(stores: Stores, engine: SearchEngine) -> InstanceCollector:
    """The collector of the instance's counts and this node's index lag: one per app (it keeps a count)."""

    def indexed() -> dict[str, int | None]:
        vectors = engine.vectors
        return {"lexical": engine.lexical.last_seq, "vector": vectors.last_change_seq if vectors else None}

    return InstanceCollector(stores.instance.counts, stores.jobs.jobs, indexed)
