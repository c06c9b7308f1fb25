"""Probes for orchestrators: ``/healthz`` says the process answers, ``/readyz`` that the database does."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from papertide.errors import StoreError
from papertide.web.services import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database answers", responses={503: {"description": "Database unreachable"}})
def readyz(services: ServicesDep) -> dict[str, str]:
    try:
        with services.store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise StoreError(f"readiness probe: {exc.__class__.__name__}: {exc}") from exc
    return {"status": "ready"}
