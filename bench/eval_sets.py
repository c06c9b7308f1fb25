r"""What bench/quality.py measures on: every BEIR folder of ``../shared/data/eval`` and three tasks on the 87k papers.

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

The long-query group (:func:`long_tasks`) is made from each BEIR collection's judgments: for
every query with at least two relevant documents, one of them (drawn with a seed) is the
*source*, its text becomes the query, and the query's other relevant documents are the targets
("papers of the same small topic"). The source itself is left out of every ranking before it is
scored (:attr:`Task.exclude`), so finding the pasted paper earns nothing. Three kinds:

- ``abstract``: the source's title and text as they are (a pasted abstract);
- ``paragraph``: the collection's own query with the source's first sentences (at most 60
  words) around it, in one of a few seeded framings ("Background: ... Question: ...");
- ``pasted``: the abstract as copied from a PDF or a LaTeX source: one or two 2-4-word spans
  in stray double quotes (one left unclosed half the time), dashes (`` - ``, ``--``, en, em),
  TeX (``$\alpha$``, ``\cite{key}``, ``\emph{word}``, ``$O(n^2)$``) and a reference list of
  three entries whose titles are other, unjudged documents' first words; all seeded.

SciFact's test split has only 23 queries with two or more relevant documents, so its long tasks
draw from every qrels split there is (test and train); the others have a test split only.

Nothing from the data is copied into the repository; absent data is skipped by the caller.
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from corpus import CORPUS, SHARED, corpus_records, record_authors

from papertide.model import Paper
from papertide.text import fold, normalize

EVAL = SHARED / "eval"
CORPUS_TASKS = ("known-item", "abstract", "prose")
LONG_KINDS = ("abstract", "paragraph", "pasted")


@dataclass(slots=True)
class Task:
    """Queries to run against ``papers``, with graded judgments (query id -> paper id -> gain)."""

    name: str
    papers: list[Paper]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    # Per query, papers left out of its ranking before scoring (a long query's own source).
    exclude: dict[str, frozenset[str]] = field(default_factory=dict)

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
    qrels = _qrels(qrels_path, name)
    queries = _queries(folder, qrels)
    label = name if split == "test" else f"{name}/{split}"
    return Task(label, beir_papers(folder), queries, qrels)


def _qrels(path: Path, name: str) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with path.open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows, delimiter="\t"):
            if int(row["score"]) > 0:
                qrels[row["query-id"]][f"{name}:{row['corpus-id']}"] = int(row["score"])
    return dict(qrels)


def _queries(folder: Path, qrels: dict[str, dict[str, int]]) -> dict[str, str]:
    with (folder / "queries.jsonl").open(encoding="utf-8") as lines:
        return {q["_id"]: q["text"] for q in map(json.loads, lines) if q["_id"] in qrels}


def beir_papers(folder: Path) -> list[Paper]:
    """A BEIR corpus as papers ``<folder>:<id>``; a record without a title becomes a title-only paper."""
    name = folder.name
    papers = []
    with (folder / "corpus.jsonl").open(encoding="utf-8") as lines:
        for doc in map(json.loads, lines):
            title, text = doc.get("title") or "", doc.get("text") or ""
            if not title.strip():  # title-only, as a library without abstracts holds its records
                title, text = text, ""
            papers.append(Paper(id=f"{name}:{doc['_id']}", title=title, abstract=text, source=name))
    return papers


# -- long queries from the BEIR judgments (see the module docstring) ----------------------------------

MIN_SOURCE_WORDS = 20
PARAGRAPH_CONTEXT_WORDS = 60


def long_tasks(folder: Path, papers: list[Paper], kinds: tuple[str, ...] = LONG_KINDS, sample: int = 200) -> list[Task]:
    """The long-query tasks of one collection, each over at most ``sample`` seeded queries (none if too few)."""
    splits = sorted((folder / "qrels").glob("*.tsv"))
    qrels: dict[str, dict[str, int]] = {}
    queries: dict[str, str] = {}
    for path in splits:  # query ids of different splits never collide in BEIR
        split_qrels = _qrels(path, folder.name)
        qrels.update(split_qrels)
        queries.update(_queries(folder, split_qrels))
    by_id = {paper.id: paper for paper in papers}
    eligible = sorted(
        qid for qid, relevant in qrels.items() if qid in queries and sum(doc in by_id for doc in relevant) >= 2
    )
    tasks = []
    for kind in kinds:
        rng = random.Random(f"{folder.name}:{kind}")
        chosen = sorted(rng.sample(eligible, min(sample, len(eligible))), key=eligible.index)
        task_queries, task_qrels, exclude = {}, {}, {}
        for qid in chosen:
            relevant = sorted(doc for doc in qrels[qid] if doc in by_id)
            sources = [doc for doc in relevant if len(_source_text(by_id[doc]).split()) >= MIN_SOURCE_WORDS]
            if not sources:
                continue
            source = rng.choice(sources)
            text = _source_text(by_id[source])
            if kind == "abstract":
                task_queries[qid] = text
            elif kind == "paragraph":
                task_queries[qid] = _paragraph(queries[qid], text, rng)
            else:
                task_queries[qid] = _pasted(text, rng, papers, set(relevant))
            task_qrels[qid] = {doc: gain for doc, gain in qrels[qid].items() if doc != source and doc in by_id}
            exclude[qid] = frozenset({source})
        if task_qrels:
            tasks.append(Task(f"{folder.name} {kind}", papers, task_queries, task_qrels, exclude))
    return tasks


def _source_text(paper: Paper) -> str:
    return f"{paper.title}. {paper.abstract}" if paper.abstract else paper.title


def _sentences(text: str) -> list[str]:
    return [piece.strip() for piece in re.split(r"(?<=[.!?])\s+", text) if piece.strip()]


_FRAMINGS = (
    "{context} {question}?",
    "Background: {context} Question: {question}?",
    "I am working on the following. {context} So my question is: {question}?",
    "{question}? Context: {context}",
)


def _paragraph(question: str, text: str, rng: random.Random) -> str:
    """The collection's question framed by the source's first sentences, cut at a word limit."""
    context: list[str] = []
    for sentence in _sentences(text):
        context.extend(sentence.split())
        if len(context) >= PARAGRAPH_CONTEXT_WORDS // 2:
            break
    context_text = " ".join(context[:PARAGRAPH_CONTEXT_WORDS])
    return rng.choice(_FRAMINGS).format(context=context_text, question=question.strip().rstrip("?.").strip())


_TEX = ("$\\alpha$", "$O(n^2)$", "$\\mathbb{R}^d$", "($p < 0.05$)", "$\\sim$")
_DASHES = (" - ", " -- ", " \u2013 ", " \u2014 ", "--")
_INITIALS = ("J. Smith", "A. Lee and K. Tanaka", "M. M\u00fcller et al.", "R. Gupta, S. Chen")


def _pasted(text: str, rng: random.Random, papers: list[Paper], relevant: set[str]) -> str:
    """``text`` as pasted from a PDF or LaTeX: stray quotes, dashes, TeX and a reference list (seeded)."""
    words = text.split()
    for _ in range(rng.randint(1, 2)):  # a quoted span of 2-4 words, half the time left unclosed
        start = rng.randrange(max(1, len(words) - 4))
        stop = min(len(words), start + rng.randint(2, 4))
        words[start] = '"' + words[start]
        if rng.random() < 0.5:
            words[stop - 1] = words[stop - 1] + '"'
    for _ in range(2):  # dashes between words
        words.insert(rng.randrange(1, len(words)), rng.choice(_DASHES).strip() or "-")
    at = rng.randrange(len(words))
    words[at] = f"\\emph{{{words[at]}}}"
    for snippet in rng.sample(_TEX, 2):
        words.insert(rng.randrange(1, len(words)), snippet)
    words.insert(rng.randrange(1, len(words)), f"\\cite{{{rng.choice('abcdefgh')}{rng.randint(1990, 2024)}}}.")
    references = ["", "References"]
    for number in range(1, 4):
        other = rng.choice(papers)
        while other.id in relevant:
            other = rng.choice(papers)
        title = " ".join(other.title.split()[:8])
        references.append(f"[{number}] {rng.choice(_INITIALS)}. {title}. In Proc., {rng.randint(1960, 2024)}.")
    return " ".join(words) + "\n".join(references)


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
