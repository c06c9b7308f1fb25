"""What an account with the ``admin`` role may do from ``/admin``: see the instance at a glance, find an
account, delete it (as its owner could), revoke its API tokens, and read the log of all of that.

Every method takes the acting user first and answers NotFound to anyone who is not an admin, so the
admin area looks absent rather than forbidden. Admin actions go to the moderation log (target kinds
'account' and 'token'), next to the moderators' and the command line's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from papertide.accounts.personal_data import delete_account
from papertide.accounts.rate_limits import RateLimiter
from papertide.accounts.roles import Roles
from papertide.errors import InvalidInput, NotFound
from papertide.store import Stores
from papertide.store.accounts.store import ApiToken, User
from papertide.store.digest.bounces import Suspension
from papertide.store.discussion.moderation import Actor, LogEntry
from papertide.store.jobs import JobState

ADMIN = "admin"
# How many bounce-suspended addresses the overview lists.
BOUNCED_SHOWN = 20


@dataclass(frozen=True, slots=True)
class Overview:
    """The instance at a glance (every figure a single indexed or grouped read, none per paper)."""

    papers: int
    change_seq: int
    last_ingest: dict[str, datetime]  # per checkpoint (source and feed)
    jobs: list[JobState]
    outbox: dict[str, int]
    bounced: list[Suspension]  # addresses that get no mail until their owner resumes it
    data_dir: Path
    data_bytes: int


@dataclass(frozen=True, slots=True)
class AccountView:
    user: User
    roles: frozenset[str]
    tokens: list[ApiToken]
    suspended: str | None  # why, when it is


def disk_use(folder: Path) -> int:
    """Bytes in the files under ``folder`` (0 when it does not exist): the database, indexes and models."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += (Path(root) / name).lstat().st_size
            except OSError:  # removed while we walked (e.g. a SQLite journal)
                continue
    return total


class Administration:
    def __init__(self, stores: Stores, roles: Roles, limiter: RateLimiter, data_dir: Path) -> None:
        self._stores = stores
        self._accounts = stores.accounts
        self._roles = roles
        self._log = stores.moderation
        self._limiter = limiter
        self._data_dir = data_dir

    def is_admin(self, user: User | None) -> bool:
        return ADMIN in self._roles.of(user)

    def _actor(self, user: User | None) -> Actor:
        if user is None or not self.is_admin(user):
            raise NotFound("there is no such page")
        return Actor(user.pk, user.email)

    def overview(self, user: User | None) -> Overview:
        self._actor(user)
        stores = self._stores
        papers = stores.papers
        return Overview(
            papers=stores.instance.paper_count(),  # counted once per process, then only what was added
            change_seq=papers.max_change_seq(),
            last_ingest=papers.checkpoint_times(),
            jobs=stores.jobs.jobs(),
            outbox=stores.outbox.counts(),
            bounced=stores.bounces.suspensions(BOUNCED_SHOWN),
            data_dir=self._data_dir,
            data_bytes=disk_use(self._data_dir),
        )

    def find(self, user: User | None, email: str) -> AccountView | None:
        """The account of ``email`` (exact address, any case) with its roles and API tokens; None if none."""
        self._actor(user)
        found = self._accounts.user_by_email(email.strip())
        if found is None:
            return None
        tokens = self._accounts.api_tokens(found.pk)
        return AccountView(found, self._roles.of(found), tokens, self._accounts.suspension_note(found.pk))

    def account(self, user: User | None, account_pk: int) -> User:
        self._actor(user)
        found = self._accounts.user(account_pk)
        if found is None:
            raise NotFound(f"there is no account {account_pk}; it may have been deleted already")
        return found

    def delete(self, user: User | None, account_pk: int, confirm: str) -> User:
        """Delete an account as its owner would (personal_data.delete_account), with its address typed to
        confirm. An admin deletes their own account from the account page, where a recent sign-in is asked."""
        actor = self._actor(user)
        target = self.account(user, account_pk)
        if target.pk == actor.pk:
            raise InvalidInput("account: delete your own account from your account page, not from /admin")
        if confirm.strip().lower() != target.email:
            raise InvalidInput(f"confirm: type the address {target.email} exactly to delete the account")
        delete_account(self._stores, self._limiter, target)
        self._log.record(actor, "delete", ("account", target.pk), "")
        return target

    def suspend(self, user: User | None, account_pk: int, note: str) -> bool:
        """Stop an account's sign-in, sessions and API tokens until lifted; False if it already was suspended."""
        actor = self._actor(user)
        target = self.account(user, account_pk)
        note = " ".join(note.split())
        if not note:
            raise InvalidInput("note: say why the account is suspended (the log keeps it)")
        if target.pk == actor.pk:
            raise InvalidInput("account: an admin cannot suspend their own account")
        added = self._accounts.suspend(target.pk, actor.pk, note)
        if added:
            self._log.record(actor, "suspend", ("account", target.pk), note)
        return added

    def unsuspend(self, user: User | None, account_pk: int) -> bool:
        """Lift an account's suspension; returns whether it was suspended."""
        actor = self._actor(user)
        target = self.account(user, account_pk)
        removed = self._accounts.unsuspend(target.pk)
        if removed:
            self._log.record(actor, "unsuspend", ("account", target.pk), "")
        return removed

    def revoke_token(self, user: User | None, account_pk: int, token_pk: int) -> None:
        """Revoke one API token of an account: the API refuses it from the next request on."""
        actor = self._actor(user)
        target = self.account(user, account_pk)
        if not self._accounts.delete_api_token(target.pk, token_pk):
            raise NotFound(f"account {account_pk} has no API token {token_pk}; it may have been revoked already")
        self._log.record(actor, "revoke", ("token", token_pk), f"a token of account {target.pk}")

    def log(self, user: User | None, limit: int) -> list[LogEntry]:
        self._actor(user)
        return self._log.log(limit)
