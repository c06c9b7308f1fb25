"""The interface every source implements.

A source is an iterable of items: a :class:`~papertide.model.Paper` to store, a
:class:`~papertide.errors.RecordError` for a malformed record (reported and skipped; the rest of
the input still loads), or a :class:`Checkpoint` that the ingest pipeline persists in the same
transaction as every paper yielded before it -- so an interrupted harvest resumes exactly after
the last committed page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from papertide.errors import RecordError
from papertide.model import Paper


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Resume state of a source (e.g. an OAI-PMH resumptionToken), keyed by source and query."""

    key: str
    value: str | None  # None clears the checkpoint: the harvest finished


Item = Paper | RecordError | Checkpoint


class CheckpointReader(Protocol):
    """Where a resumable source reads its last saved checkpoint."""

    def get_checkpoint(self, key: str) -> str | None: ...


class Source(Protocol):
    """A stream of papers from one place."""

    name: str

    def items(self) -> Iterator[Item]: ...
