"""Writing the demo's replayed activity: listing times, signal observations, demo accounts and their votes.

One transaction replaces the previous replay (its observations, its accounts' votes) with the new
one, so running it again refreshes the activity without duplicating anything. What the replay
wrote last is remembered in a checkpoint, so only the replay's own rows are ever removed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, insert, select, update

from papertide.store.db.base import TableStore, hold_transaction_lock, upsert, utc
from papertide.store.db.schema import checkpoints, paper_signals, papers, users, votes

CHECKPOINT = "demo:activity"


@dataclass(frozen=True, slots=True)
class Replay:
    """The activity to write; every time is at or before ``loaded_at``."""

    loaded_at: datetime
    listed: dict[int, datetime]  # paper key -> when it was listed (first stored) here
    observations: Sequence[tuple[int, str, datetime, float]]  # (paper key, signal, observed at, value)
    accounts: dict[str, datetime]  # email -> when the account was created
    votes: Sequence[tuple[str, int, datetime]]  # (account email, paper key, cast at)


class DemoActivityStore(TableStore):
    def loaded_at(self) -> datetime | None:
        """When the activity was last replayed; None if never."""
        with self._reading() as conn:
            value = conn.execute(select(checkpoints.c.value).where(checkpoints.c.key == CHECKPOINT)).scalar()
        return utc(datetime.fromisoformat(json.loads(value)["loaded_at"])) if value else None

    def replace(self, replay: Replay) -> None:
        """Write ``replay`` in place of the previous one, all or nothing."""
        with self._writing() as conn:
            previous = conn.execute(select(checkpoints.c.value).where(checkpoints.c.key == CHECKPOINT)).scalar()
            if previous:
                times = [datetime.fromisoformat(t) for t in json.loads(previous)["observed"]]
                if times:
                    conn.execute(delete(paper_signals).where(paper_signals.c.observed_at.in_(times)))
            emails = list(replay.accounts)
            upsert(conn, users, [{"email": e, "created_at": at} for e, at in replay.accounts.items()], ["email"])
            user_pks = dict(conn.execute(select(users.c.email, users.c.pk).where(users.c.email.in_(emails))).all())
            conn.execute(delete(votes).where(votes.c.user_pk.in_(list(user_pks.values()))))
            # Indexers and trending follow change_seq: a new listing time is a change they must see.
            hold_transaction_lock(conn, "papers.change_seq")
            seq = conn.execute(select(func.coalesce(func.max(papers.c.change_seq), 0))).scalar_one()
            if replay.listed:
                conn.execute(
                    update(papers)
                    .where(papers.c.pk == bindparam("key"))
                    .values(listed_at=bindparam("at"), created_at=bindparam("at"), change_seq=bindparam("seq_no")),
                    [{"key": pk, "at": at, "seq_no": seq + n} for n, (pk, at) in enumerate(replay.listed.items(), 1)],
                )
            if replay.observations:
                conn.execute(
                    insert(paper_signals),
                    [
                        {"paper_pk": pk, "name": name, "observed_at": at, "value": value}
                        for pk, name, at, value in replay.observations
                    ],
                )
            if replay.votes:
                conn.execute(
                    insert(votes),
                    [{"user_pk": user_pks[email], "paper_pk": pk, "created_at": at} for email, pk, at in replay.votes],
                )
            state = {
                "loaded_at": replay.loaded_at.isoformat(),
                "observed": sorted({at.isoformat() for _, _, at, _ in replay.observations}),
            }
            conn.execute(delete(checkpoints).where(checkpoints.c.key == CHECKPOINT))
            conn.execute(insert(checkpoints).values(key=CHECKPOINT, value=json.dumps(state), updated_at=self._clock()))
