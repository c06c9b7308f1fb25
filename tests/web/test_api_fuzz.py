"""Schemathesis over every operation of the OpenAPI document, as ``schemathesis run --checks all`` does it.

Its engine runs every phase (examples, coverage, fuzzing, stateful) and every check (no server
error, documented statuses, content types, headers and bodies, schema-violating requests refused,
schema-valid ones accepted, ``Allow`` on OPTIONS, ...) against the app over a real database of
its own (it writes: collections, votes, subscriptions), once without credentials and once with an
account's API token. Seeded and bounded, so a run is the same each time and takes a minute or so.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
import schemathesis.specs.openapi.schemas  # imported at collection: see below
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.engine.recorder import CheckFailureInfo, Interaction
from schemathesis.openapi.checks import RejectedPositiveData

from papertide.config import load_settings
from papertide.digest.alerts import validate_alert
from papertide.discussion.render import has_link
from papertide.discussion.rules import MAX_REPORT_CHARS, checked_text
from papertide.errors import InvalidInput
from papertide.library.collections import clean_name
from papertide.library.imports import decode, read_references
from papertide.library.references import ReadLimits
from papertide.search.query import parse_query
from papertide.search.upkeep.update import update_indexes
from papertide.store import open_store
from papertide.web.app import create_app
from tests.postgres import fresh_database_url
from tests.web.corpus import load_papers
from tests.web.library_helpers import bearer

pytestmark = pytest.mark.slow  # run first (tests/conftest.py): the two runs take minutes

# schemathesis.specs.openapi.schemas is imported above, at collection, rather than lazily inside the first
# from_asgi: pytest rewrites a plugin's modules as they are imported, and CPython 3.11.7's compile() can fail
# there with "SystemError: AST constructor recursion depth mismatch" when called deep inside a running test.

SEED = 21
MAX_EXAMPLES = 20


@pytest.fixture(scope="module")
def fuzzed_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    data_dir = tmp_path_factory.mktemp("fuzzed")
    settings = load_settings(data_dir=data_dir, database_url=fresh_database_url(request, data_dir))
    store = open_store(settings.resolved_database_url)
    load_papers(store)
    update_indexes(store, settings)
    app = create_app(settings, store)
    with TestClient(app):  # started once: the engine's requests then share its warm services
        yield app


@pytest.fixture(scope="module")
def token_headers(fuzzed_app: FastAPI) -> dict[str, str]:
    return bearer(TestClient(fuzzed_app), "fuzz@example.org")[1]


def _broken_rule(case: schemathesis.Case, response: schemathesis.Response) -> str | None:
    """The rule of the API no schema keyword can state that this request breaks, judged by the server's own code.

    Such a request is refused with a 400 naming the rule, as the operation's description says; a
    schema cannot relate two parameters or hold a query language, a name's letters or a file format.
    """
    body = case.body if isinstance(case.body, dict) else {}
    given = {**(case.query or {}), **body}  # a search's parameters come in either (GET and POST /search)
    if str(given.get("q") or "").strip() and str(given.get("related") or "").strip():
        return "q and related are exclusive"
    if str(given.get("submitted_from") or "") > str(given.get("submitted_to") or "9999"):
        return "a date range must not be reversed"
    if "/comments" in case.operation.path and given.get("parent") is not None:
        return "a reply answers a comment on the same paper, neither deleted nor hidden"
    if "/comments" in case.operation.path and has_link(str(given.get("body") or "")):
        return "accounts younger than a day cannot post links"
    judges = {
        "q": lambda: parse_query(str(given["q"])),
        "body": lambda: checked_text(str(given["body"]), what="comment", limit=load_settings().comment_max_chars),
        "reason": lambda: checked_text(str(given["reason"]), what="reason", limit=MAX_REPORT_CHARS),
        "name": lambda: clean_name(str(given["name"])),
        "kind": lambda: validate_alert(str(given["kind"]), str(given.get("value", ""))),
    }
    for field, judge in judges.items():
        if field in given:
            try:
                judge()
            except InvalidInput as refused:
                return refused.message
    upload = body.get("file") if case.operation.path.endswith("/import") else None
    if upload is not None:
        data = upload if isinstance(upload, bytes) else str(upload).encode()
        try:
            if not read_references(decode(data, "file"), "file", ReadLimits())[1]:
                return "the file holds no references"
        except InvalidInput as refused:
            return refused.message
    return None


def _describe(info: CheckFailureInfo, interaction: Interaction | None) -> str:
    answer = f"{interaction.response.status_code} {interaction.response.content[:500]!r}" if interaction else ""
    return f"{info.failure.operation}: {info.failure.title}\n{info.failure.message}\n{info.code_sample}\n{answer}"


def run_schemathesis(app: FastAPI, headers: dict[str, str]) -> list[str]:
    """Every failure the engine finds, as its report would describe it, and any operation it did not test."""
    config = SchemathesisConfig.from_dict({"seed": SEED, "suppress-health-check": ["all"]})
    project = config.projects.override
    project.update(headers=headers or None)
    project.checks.update(included_check_names=["all"])
    project.generation.update(max_examples=MAX_EXAMPLES, database="none")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)

    @schema.hook
    def filter_failure(context, failure, case, response) -> bool:
        """Keep every failure but a 400 for a request that breaks a rule only the server's code states."""
        refused = isinstance(failure, RejectedPositiveData) and response.status_code == 400
        return not (refused and _broken_rule(case, response))

    found: dict[tuple[str, str], str] = {}
    tested = set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            tested.add(event.recorder.label)
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.failure_info is not None:
                        key = (event.recorder.label, check.failure_info.failure.title)
                        found.setdefault(key, _describe(check.failure_info, event.recorder.interactions.get(case_id)))
        elif isinstance(event, events.NonFatalError | events.FatalError):
            found[("engine", str(event.id))] = f"engine error: {getattr(event, 'value', None) or event.exception!r}"
    documented = {operation.ok().label for operation in schema.get_all_operations()}
    return [*found.values(), *(f"{label}: not tested" for label in sorted(documented - tested))]


def test_every_operation_answers_as_documented_without_credentials(fuzzed_app: FastAPI) -> None:
    failures = run_schemathesis(fuzzed_app, {})
    assert not failures, "\n\n".join(failures)


def test_every_operation_answers_as_documented_with_an_api_token(fuzzed_app: FastAPI, token_headers) -> None:
    failures = run_schemathesis(fuzzed_app, token_headers)
    assert not failures, "\n\n".join(failures)
