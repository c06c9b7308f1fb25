"""Probes for orchestrators: ``/healthz`` says the process answers, ``/readyz`` that the database does.

``/readyz`` also reports the workers and the digest outbox, for operators; readiness itself never
depends on them (a web node serves pages whether or not a worker runs).
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from papertide.errors import StoreError
from papertide.web.services import ServicesDep
from papertide.worker.status import readiness_summary

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database answers; what the workers and the digest outbox are doing",
    responses={503: {"description": "Database unreachable"}},
)
def readyz(services: ServicesDep) -> dict[str, object]:
    try:
        with services.store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise StoreError(f"readiness probe: {exc.__class__.__name__}: {exc}") from exc
    try:
        worker = readiness_summary(services.store.engine, services.settings)
    except StoreError as exc:  # e.g. a database not yet migrated to the worker's tables
        worker = {"error": exc.message}
    return {"status": "ready", "worker": worker}
