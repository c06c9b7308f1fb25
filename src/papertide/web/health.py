"""Probes for orchestrators: ``/healthz`` says the process answers, ``/readyz`` that it can serve.

Ready means the database answers and, on a node that follows the database (several nodes over
PostgreSQL), that its own search indexes have caught up once. ``/readyz`` also reports the workers
and the digest outbox, for operators; readiness never depends on them (a web node serves pages
whether or not a worker runs).
"""

from __future__ import annotations

from fastapi import APIRouter

from papertide.errors import NotReady, StoreError
from papertide.web.kit.dependencies import ServicesDep
from papertide.worker.status import readiness_summary

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database answers and the search indexes are caught up; what the workers and outbox are doing",
    responses={503: {"description": "Database unreachable, or this node's indexes still catching up"}},
)
def readyz(services: ServicesDep) -> dict:
    services.store.ping()
    answer: dict = {"status": "ready", "database": services.store.backend}
    if services.follower is not None:
        state = services.follower.state
        if not state.caught_up:
            raise NotReady(
                "this node's search indexes are catching up with the database"
                + (f" (last attempt failed: {state.error})" if state.error else "")
            )
        answer["index"] = {"passes": state.passes, "waiting_for_vectors": state.waiting, "error": state.error}
    try:
        answer["worker"] = readiness_summary(services.stores, services.settings)
    except StoreError as exc:  # e.g. a database not yet migrated to the worker's tables
        answer["worker"] = {"error": exc.message}
    return answer
