"""The ingest pipeline: a source's items -> validated batches -> the store, with a summary.

Malformed records are reported (with their location) and skipped; the valid records around them
still load. Each batch is one transaction, so a crash mid-batch leaves no half-written paper, and
a source's checkpoint is committed together with the papers read before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from papertide.errors import RecordError
from papertide.ingest.sources.base import Checkpoint, Item
from papertide.model import Paper
from papertide.store.papers.store import PaperStore


@dataclass(slots=True)
class IngestSummary:
    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RecordError] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in ("read", "added", "updated", "unchanged", "rejected")}


def ingest(
    items: Iterable[Item],
    store: PaperStore,
    *,
    batch_size: int = 2000,
    on_reject: Callable[[RecordError], None] | None = None,
    on_batch: Callable[[IngestSummary], None] | None = None,
    keep_errors: int = 1000,
) -> IngestSummary:
    """Load ``items`` into ``store``; return counts of what happened to every record read."""
    summary = IngestSummary()
    batch: dict[str, Paper] = {}

    def flush(checkpoint: Checkpoint | None = None) -> None:
        result = store.write_batch(list(batch.values()), (checkpoint.key, checkpoint.value) if checkpoint else None)
        summary.added += result.added
        summary.updated += result.updated
        summary.unchanged += result.unchanged
        batch.clear()
        if on_batch is not None:
            on_batch(summary)

    for item in items:
        if isinstance(item, Checkpoint):
            flush(item)
            continue
        summary.read += 1
        if isinstance(item, RecordError):
            summary.rejected += 1
            if len(summary.errors) < keep_errors:
                summary.errors.append(item)
            if on_reject is not None:
                on_reject(item)
            continue
        try:
            item.validate()
        except RecordError as exc:
            exc = exc.at(f"{item.source} record {item.id!r}")
            summary.rejected += 1
            if on_reject is not None:
                on_reject(exc)
            continue
        if item.id in batch:
            flush()  # the same paper twice: write the first before the second is compared with it
        batch[item.id] = item
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return summary


def fill_categories(
    store: PaperStore, paper_ids: Iterable[str], fetch: Callable[[list[str]], Iterable[Item]]
) -> IngestSummary:
    """Store the records ``fetch`` gives for the stored papers among ``paper_ids`` that have no category.

    Hugging Face lists papers without categories, so they would never show in a category view;
    their arXiv record (``fetch``: the arXiv API by id) has them. Storing it merges: the listing's
    upvotes and stars stay, and a record without categories never empties those a paper has.
    """
    missing = store.uncategorised(list(paper_ids))
    return ingest(fetch(missing), store) if missing else IngestSummary()


def noting_papers(items: Iterable[Item], paper_ids: list[str]) -> Iterator[Item]:
    """Pass ``items`` on, appending each paper's id to ``paper_ids``: the listing ``fill_categories`` completes."""
    for item in items:
        if isinstance(item, Paper):
            paper_ids.append(item.id)
        yield item
