"""The spellings of author names: kept by every paper write, and found for papers stored before them."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, insert, select

from papertide.model import Paper
from papertide.store import PaperStore
from papertide.store.authors.names import AuthorNameStore
from papertide.store.db.engine import _alembic_config, create_store_engine, migrate
from papertide.store.db.schema import author_names
from papertide.store.papers.store import _row, content_hash

NOW = datetime(2026, 1, 1, tzinfo=UTC)
# The revision 0014 follows, whichever the chain puts before it.
BEFORE = ScriptDirectory.from_config(_alembic_config()).get_revision("0017").down_revision


def stored_names(store: PaperStore) -> dict[str, str | None]:
    with store.engine.connect() as conn:
        return dict(conn.execute(select(author_names.c.name_key, author_names.c.initials_key)).all())


def test_every_write_records_new_spellings_once(store: PaperStore) -> None:
    store.write_batch([Paper(id="2410.00001", title="One", authors=["Jürgen Schmidhuber", "J. Smith", "Hinton"])])
    store.write_batch([Paper(id="2410.00002", title="Two", authors=["JURGEN SCHMIDHUBER", "John Smith"])])
    store.write_batch([Paper(id="2410.00001", version=2, title="One, again", authors=["Jane Smith", "J. Smith"])])
    assert stored_names(store) == {
        "jurgen schmidhuber": "j schmidhuber",
        "j smith": None,
        "hinton": None,
        "john smith": "j smith",
        "jane smith": "j smith",
    }
    names = AuthorNameStore(store.engine)
    assert sorted(names.full_names("j smith")) == ["jane smith", "john smith"]
    assert names.full_names("j schmidhuber") == ["jurgen schmidhuber"]
    assert names.full_names("x nobody") == []


def test_a_name_too_long_for_its_column_once_folded_is_left_out(store: PaperStore) -> None:
    store.write_batch([Paper(id="2410.00003", title="Wide", authors=["㍿" * 200, "Ada Lovelace"])])  # NFKD: 4x
    assert stored_names(store) == {"ada lovelace": "a lovelace"}


def test_the_migration_records_the_names_of_papers_stored_before_it(database_url: str) -> None:
    engine = create_store_engine(database_url)
    migrate(engine)
    config = _alembic_config()
    old = [Paper(id="0704.0001", title="A", authors=["Zoë Ångström", "J. Smith"]), Paper(id="0704.0002", title="B")]
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, BEFORE)  # the schema before author names
        table = Table("papers", MetaData(), autoload_with=conn)
        rows = [_row(paper, content_hash(paper), seq, NOW) for seq, paper in enumerate(old, 1)]
        conn.execute(insert(table), [{**row, "created_at": NOW, "listed_at": NOW} for row in rows])
    migrate(engine)
    with engine.connect() as conn:
        found = dict(conn.execute(select(author_names.c.name_key, author_names.c.initials_key)).all())
    assert found == {"zoe angstrom": "z angstrom", "j smith": None}
    engine.dispose()
