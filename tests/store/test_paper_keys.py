"""The keys imports match papers by: kept by every write, and computed for papers stored before them."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import MetaData, Table, insert, select

from papertide.model import Paper, normalize_doi
from papertide.store import PaperStore
from papertide.store.db.engine import _alembic_config, create_store_engine, migrate
from papertide.store.db.schema import papers
from papertide.store.papers.store import _row, content_hash
from papertide.text import title_key

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_title_keys_fold_what_differs_between_sources() -> None:
    assert title_key("Attention {Is} {All} You Need.") == title_key("attention is all you need")
    assert title_key('Bal\\\'azs and {\\"O}zt\\"urk: CeCoIn$_5$ \\& more') == "balazs and ozturk cecoin 5 more"
    assert title_key("Zero-shot  —  learning:\n a survey") == "zero shot learning a survey"
    assert title_key("\\emph{Deep} Residual Learning") == "deep residual learning"
    assert title_key("$$") == ""


def test_dois_are_found_in_urls_and_prefixes_and_lower_cased() -> None:
    assert normalize_doi("https://doi.org/10.1103/PhysRevD.76.013009") == "10.1103/physrevd.76.013009"
    assert normalize_doi("doi:10.48550/arXiv.1706.03762.") == "10.48550/arxiv.1706.03762"
    assert normalize_doi("https://doi.org/10.1000%2Fabc") == "10.1000/abc"
    assert normalize_doi("no identifier") is None and normalize_doi(None) is None


def test_every_write_keeps_the_keys(store: PaperStore) -> None:
    store.write_batch([Paper(id="2410.00001", title="Deep {R}esidual Learning", doi="10.1109/CVPR.2016.90")])
    store.write_batch([Paper(id="2410.00001", version=2, title="Deep Residual Learning, again", doi=None)])
    with store.engine.connect() as conn:
        row = conn.execute(select(papers.c.title_key, papers.c.doi_key)).one()
    assert tuple(row) == ("deep residual learning again", "10.1109/cvpr.2016.90")  # the DOI is kept


def test_the_migration_computes_keys_of_papers_stored_before_it(tmp_path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = _alembic_config()
    old = [
        Paper(id="0704.0001", title="Calculation of prompt diphoton {production}", doi="10.1103/PhysRevD.76.013009"),
        Paper(id="0704.0002", title="Sparsity-certifying Graph Decompositions"),
    ]
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0009")  # the schema before the keys
        table = Table("papers", MetaData(), autoload_with=conn)
        rows = [_row(paper, content_hash(paper), seq, NOW) for seq, paper in enumerate(old, 1)]
        conn.execute(insert(table), [{**without_keys(row), "created_at": NOW, "listed_at": NOW} for row in rows])
    migrate(engine)
    with engine.connect() as conn:
        keys = conn.execute(select(papers.c.paper_id, papers.c.title_key, papers.c.doi_key).order_by(papers.c.pk))
        assert [tuple(row) for row in keys] == [
            ("0704.0001", "calculation of prompt diphoton production", "10.1103/physrevd.76.013009"),
            ("0704.0002", "sparsity certifying graph decompositions", None),
        ]


def without_keys(row: dict) -> dict:
    return {name: value for name, value in row.items() if name not in ("title_key", "doi_key")}
