"""What bench/quality.py measures on: every BEIR folder of ``../shared/data/eval`` and three tasks on the 87k papers.

A :class:`Task` is a corpus of :class:`Paper` records, queries and graded judgments. The BEIR
collections (SciFact, Cranfield, MEDLINE, NPL, and any folder added beside them) are read as
they are; a record without a title (all of MEDLINE and NPL) becomes a title-only paper holding
its text, since a title is the one field papertide requires. The 87k conference papers give:

- ``known-item``: a paper's title typed as the query; the paper (or one with the very same
  title) is the answer;
- ``abstract``: a paper's whole abstract pasted as the query, to find that paper;
- ``prose``: a question in prose about a paper, made from its title and abstract, with a quoted
  phrase (half of them misquoted, with two words swapped, as people remember them), spaced,
  double, en and em dashes, and sometimes an unclosed quote.

Nothing from the data is copied into the repository; absent data is skipped by the caller.
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from corpus import CORPUS, SHARED, corpus_records, record_authors

from papertide.model import Paper
from papertide.text import fold, normalize

EVAL = SHARED / "eval"
CORPUS_TASKS = ("known-item", "abstract", "prose")


@dataclass(slots=True)
class Task:
    """Queries to run against ``papers``, with graded judgments (query id -> paper id -> gain)."""

    name: str
    papers: list[Paper]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]

    def baseline_text(self, paper: Paper) -> str:
        """The one field the baselines index: title and text, as BM25 over BEIR's ``title + text``."""
        return f"{paper.title} {paper.abstract}".strip()


def eval_folders() -> list[Path]:
    """Every BEIR-format collection under ``../shared/data/eval``, by name."""
    if not EVAL.is_dir():
        return []
    return sorted(folder for folder in EVAL.iterdir() if (folder / "corpus.jsonl").is_file())


def beir_task(folder: Path, split: str = "test") -> Task | None:
    """A BEIR collection as a task (None when it has no such qrels split)."""
    qrels_path = folder / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        return None
    name = folder.name
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with qrels_path.open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows, delimiter="\t"):
            if int(row["score"]) > 0:
                qrels[row["query-id"]][f"{name}:{row['corpus-id']}"] = int(row["score"])
    with (folder / "queries.jsonl").open(encoding="utf-8") as lines:
        queries = {q["_id"]: q["text"] for q in map(json.loads, lines) if q["_id"] in qrels}
    papers = []
    with (folder / "corpus.jsonl").open(encoding="utf-8") as lines:
        for doc in map(json.loads, lines):
            title, text = doc.get("title") or "", doc.get("text") or ""
            if not title.strip():  # title-only, as a library without abstracts holds its records
                title, text = text, ""
            papers.append(Paper(id=f"{name}:{doc['_id']}", title=title, abstract=text, source=name))
    label = name if split == "test" else f"{name}/{split}"
    return Task(label, papers, queries, dict(qrels))


# -- the 87k conference papers -----------------------------------------------------------------


def conference_papers(limit: int | None = None) -> list[Paper]:
    """The corpus papers that have a title, as ``conf:<line number>`` (the corpus's own ids repeat)."""
    papers = []
    for number, record in enumerate(corpus_records()):
        if limit is not None and number >= limit:
            break
        if (record.get("title") or "").strip():
            papers.append(
                Paper(
                    id=f"conf:{number}",
                    title=record["title"],
                    abstract=record.get("abstract") or "",
                    authors=record_authors(record),
                    source="conference",
                )
            )
    return papers


def corpus_tasks(papers: list[Paper], sample: int, names: tuple[str, ...] = CORPUS_TASKS) -> list[Task]:
    """The 87k tasks over ``papers``, each on its own seeded sample of ``sample`` papers."""
    same_title: dict[str, list[str]] = defaultdict(list)
    for paper in papers:
        same_title[_title_key(paper.title)].append(paper.id)
    makers = {"known-item": _known_item, "abstract": _abstract, "prose": _prose}
    tasks = []
    for seed, name in enumerate(names):
        rng = random.Random(seed)
        eligible = [paper for paper in papers if name == "known-item" or len(paper.abstract.split()) >= 40]
        queries, qrels = {}, {}
        for number, paper in enumerate(rng.sample(eligible, min(sample, len(eligible)))):
            queries[str(number)] = makers[name](paper, rng)
            qrels[str(number)] = dict.fromkeys(same_title[_title_key(paper.title)], 1)
        tasks.append(Task(name, papers, queries, qrels))
    return tasks


def _title_key(title: str) -> str:
    return fold(" ".join(title.split()))


def _known_item(paper: Paper, rng: random.Random) -> str:
    return paper.title


def _abstract(paper: Paper, rng: random.Random) -> str:
    return normalize(paper.abstract)


_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_STOP = {
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it", "of", "on", "or",
    "that", "the", "this", "to", "we", "with", "via", "our", "which", "can", "its", "these", "their", "using",
}  # fmt: skip
_QUESTIONS = (
    'Is there work on {topic} - something like "{quote}"?',
    'I need papers about {topic} – especially the "{quote}" part – for a survey.',
    'What has been published on {topic}--in particular "{quote}"?',
    'Looking for "{quote}" — applied to {topic}.',
    'Which papers study {topic}? I remember the words "{quote}" - not sure of the rest.',
    'Any results on {topic} (the "{quote} idea, roughly)?',
)


def _prose(paper: Paper, rng: random.Random) -> str:
    """A question about ``paper``: a few of its title's words as the topic, a phrase of its abstract quoted."""
    title = [word.lower() for word in _WORD.findall(normalize(paper.title))]
    start = rng.randrange(max(1, len(title) - 3))
    topic = " ".join(title[start : start + rng.randint(3, 6)]) or " ".join(title)
    words = _WORD.findall(normalize(paper.abstract))
    spans = [i for i in range(len(words) - 3) if words[i].lower() not in _STOP and words[i + 1].lower() not in _STOP]
    first = rng.choice(spans) if spans else 0
    quote = [word.lower() for word in words[first : first + rng.randint(2, 4)]]
    if rng.random() < 0.5 and len(quote) >= 2:  # misremembered: two neighbours swapped
        i = rng.randrange(len(quote) - 1)
        quote[i], quote[i + 1] = quote[i + 1], quote[i]
    return rng.choice(_QUESTIONS).format(topic=topic, quote=" ".join(quote))


def corpus_available() -> bool:
    return CORPUS.exists()


def all_tasks(split: str = "test") -> Iterator[Task]:
    """The BEIR collections' tasks for ``split``."""
    for folder in eval_folders():
        task = beir_task(folder, split)
        if task is not None:
            yield task
