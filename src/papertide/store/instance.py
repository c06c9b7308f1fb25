"""The instance at a glance, as metrics read it at every scrape: cheap counts of what the database holds.

Every query here must stay cheap at 1M papers (bench/metrics_scrape.py measures them): each count
reads one index, not the rows, and the outbox is counted by its (state, next attempt) index.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

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
    def counts(self) -> InstanceCounts:
        """Everything :class:`InstanceCounts` holds, read in one transaction."""
        scalars = select(
            select(func.count()).select_from(papers).scalar_subquery(),
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
            paper_count, seq, accounts, tokens, vote_count, bounced, suspended = conn.execute(scalars).one()
            states = {state: n for state, n in conn.execute(outbox).all()}
            statuses = {status: n for status, n in conn.execute(by_status).all()}
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
