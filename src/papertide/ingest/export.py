"""Export the store as JSONL in papertide's own schema (readable again by the ``jsonl`` source)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TextIO

from papertide.model import paper_to_dict
from papertide.store.papers.store import PaperStore


def export_jsonl(store: PaperStore, out: TextIO) -> int:
    """Write every paper, with the latest observation of each signal, one JSON object a line."""
    written = 0
    for stored in store.iter_papers():
        paper = replace(stored.paper, signals=list(stored.signals.values()))
        out.write(json.dumps(paper_to_dict(paper), ensure_ascii=False) + "\n")
        written += 1
    return written
