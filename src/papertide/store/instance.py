"""The instance at a glance, as metrics read it at every scrape: cheap counts of what the database holds.

Every query here must stay cheap at 1M papers (bench/metrics_scrape.py measures them). Counting all
the papers reads a whole index on SQLite and, on PostgreSQL, the table itself until it has been
vacuumed (1.7 s at 1M on a busy two-core machine), so it is done once per process: later scrapes
add the papers stored since, the rows above the highest key counted. That is exact because papers
are never deleted and their keys rise in commit order (every paper write holds the change sequence's
transaction lock, see :meth:`PaperStore.write_batch`). The other tables are small (accounts, votes,
the outbox, bounces) and are counted whole.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from papertide.store.db.base import TableStore
from papertide.store.db.schema import api_tokens, digest_outbox, mail_bounces, papers, subscriptions, users, votes


@dataclass(frozen=True, slots=True)
class InstanceCounts:
    papers: int
    change_seq: int  # the store's change sequence: what every node's indexes catch up to
    accounts: int
    api_tokens: int
    votes: int
    subscriptions: dict[str, int]  # by status
    outbox: dict[str, int]  # digests by state
    bounced_addresses: int  # addresses with a bounce score
    suspended_addresses: int  # of those, suspended for bouncing


class InstanceStore(TableStore):
    """Reads :class:`InstanceCounts`; keep one per process, as it keeps the papers' count between reads."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._papers = (0, 0)  # (highest key counted, papers counted)
        self._lock = threading.Lock()

    def counts(self) -> InstanceCounts:
        """Everything :class:`InstanceCounts` holds, as of now."""
        scalars = select(
            select(func.coalesce(func.max(papers.c.change_seq), 0)).scalar_subquery(),
            select(func.count()).select_from(users).scalar_subquery(),
            select(func.count()).select_from(api_tokens).scalar_subquery(),
            select(func.count()).select_from(votes).scalar_subquery(),
            select(func.count()).select_from(mail_bounces).scalar_subquery(),
            select(func.count()).select_from(mail_bounces).where(mail_bounces.c.suspended_at.is_not(None))
            .scalar_subquery(),
        )  # fmt: skip
        outbox = select(digest_outbox.c.state, func.count()).group_by(digest_outbox.c.state)
        by_status = select(subscriptions.c.status, func.count()).group_by(subscriptions.c.status)
        with self._reading() as conn:
            seq, accounts, tokens, vote_count, bounced, suspended = conn.execute(scalars).one()
            states = {state: n for state, n in conn.execute(outbox).all()}
            statuses = {status: n for status, n in conn.execute(by_status).all()}
        paper_count = self.paper_count()
        return InstanceCounts(
            papers=paper_count,
            change_seq=seq,
            accounts=accounts,
            api_tokens=tokens,
            votes=vote_count,
            subscriptions=statuses,
            outbox=states,
            bounced_addresses=bounced,
            suspended_addresses=suspended,
        )

    def paper_count(self) -> int:
        """The papers stored: those counted before, and those above the highest key counted (one snapshot);
        a whole-table count only on this store's first call (seconds at 1M on an unvacuumed PostgreSQL)."""
        with self._lock:
            highest, count = self._papers
            added = select(func.count(), func.max(papers.c.pk)).where(papers.c.pk > highest)
            with self._reading() as conn:
                more, top = conn.execute(added).one()
            self._papers = (top or highest, count + more)
            return count + more
