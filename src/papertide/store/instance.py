"""The instance at a glance, as metrics read it at every scrape: cheap counts of what the database holds.

Every query here must stay cheap at 1M papers (bench/metrics_scrape.py measures them). Counting the
papers reads a whole index (~20 ms at 1M on SQLite, more on a busy machine), so the count is kept
with the change sequence it was made at and made again only once that has moved: every paper
stored takes a new change sequence number (in commit order), and papers are never deleted. The
other tables are small (accounts, votes, the outbox, bounces) and are counted by an index each.
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
        self._papers = (-1, 0)  # (change sequence, papers) of the last count
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
        paper_count = self._paper_count(seq)
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

    def _paper_count(self, seq: int) -> int:
        """The papers at change sequence ``seq`` or later: counted again only when it moved since the last count."""
        with self._lock:
            counted_at, count = self._papers
            if counted_at != seq:
                with self._reading() as conn:
                    # counted after seq was read: a paper stored meanwhile is counted now, and again at the next move
                    count = conn.execute(select(func.count()).select_from(papers)).scalar_one()
                self._papers = (seq, count)
            return count
