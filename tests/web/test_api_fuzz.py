"""Schemathesis: generated requests for every API operation, answered as the OpenAPI schema says.

Schemathesis's pytest plugin does not run under this pytest, so each operation gets a plain
Hypothesis test over the strategy Schemathesis derives from the app's live schema.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings

from papertide.web import account_api, api, health

# Schemas cannot say that a cursor must come from an earlier page, that a date range must not be
# reversed or what makes a category pattern; such requests get a documented 400 problem rather
# than the 2xx this check expects of every schema-valid request. Every other check runs.
NOT_EXPRESSIBLE = [schemathesis.checks.positive_data_acceptance]


def api_operations() -> list:
    """Every JSON operation as ``(method, path)``, read from the routers so a new one is fuzzed too."""
    routes = [
        route
        for route in (*health.router.routes, *api.router.routes, *account_api.router.routes)
        if isinstance(route, APIRoute)
    ]
    return [
        pytest.param(method, route.path, id=f"{method} {route.path}")
        for route in routes
        for method in sorted(route.methods)
    ]


@pytest.fixture(scope="session")
def api_schema(indexed_app: FastAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", indexed_app)


@pytest.mark.parametrize(("method", "path"), api_operations())
def test_generated_requests_get_documented_answers(api_schema, method: str, path: str) -> None:
    operation = api_schema[path.replace(":path}", "}")][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(excluded_checks=NOT_EXPRESSIBLE)

    check()
