"""The vector index: exact and HNSW search, filters inside retrieval, model checks, replacement, commits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from papertide.search.paper_table import day_number
from papertide.search.query import Filters
from papertide.search.semantic.ann import EF_SEARCH, HnswIndex
from papertide.search.semantic.files import IndexBusy, UnusableVectors
from papertide.search.semantic.index import SCAN_MAX_ROWS, VectorIndex

DAY0 = day_number(date(2024, 1, 1))


@dataclass(frozen=True)
class Model:
    """The identity of a (small) embedding model."""

    name: str = "test"
    version: str = "1"
    dim: int = 16


MODEL = Model()


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def add(index: VectorIndex, pks, vectors: np.ndarray, categories=None, days=None, seq: int = 0) -> None:
    pks = list(pks)
    index.add(
        pks,
        days if days is not None else [DAY0 + pk % 365 for pk in pks],
        categories if categories is not None else [["cs.LG"]] * len(pks),
        [pk for pk in pks],
        vectors,
        last_change_seq=seq or max(pks),
    )


def as_fp16(vectors: np.ndarray) -> np.ndarray:
    """Vectors as the HNSW graph stores them."""
    return vectors.astype(np.float16).astype(np.float32)


def brute_force(vectors: np.ndarray, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[int]:
    scores = vectors @ query
    if allowed is not None:
        scores[~allowed] = -np.inf
    return [int(i) for i in np.argsort(-scores, kind="stable")[:k] if np.isfinite(scores[i])]


@pytest.fixture(scope="module")
def clustered(tmp_path_factory) -> tuple[Path, np.ndarray, list[list[str]]]:
    """An HNSW-backed index of 45k rows: pk i at row i; a tight cluster of math.GT rows around e0."""
    directory = tmp_path_factory.mktemp("clustered")
    rng = np.random.default_rng(0)
    n = SCAN_MAX_ROWS + 15_000
    vectors = rng.normal(size=(n, MODEL.dim))
    categories = [["cs.LG"] if i % 5 else ["math.GT", "cs.AI"] for i in range(n)]
    vectors[::5] = 0.3 * vectors[::5] + np.eye(MODEL.dim)[0] * 6  # the math.GT rows sit near e0
    vectors = unit(vectors)
    with VectorIndex.updating(directory, MODEL) as index:
        for start in range(0, n, 5000):
            rows = range(start, min(n, start + 5000))
            add(index, rows, vectors[rows.start : rows.stop], [categories[i] for i in rows])
        assert index.update_ann(min_rows=1) == "built"
    return directory, vectors, categories


def test_ann_and_exact_search_agree(clustered) -> None:
    directory, vectors, _ = clustered
    index = VectorIndex.open(directory, MODEL)
    assert index.uses_ann and len(index) == len(vectors)
    overlaps = []
    for query in vectors[1:400:20]:
        found = [hit.pk for hit in index.search(query, 10)]
        overlaps.append(len(set(found) & set(brute_force(vectors, query, 10))) / 10)
    assert np.mean(overlaps) >= 0.9
    own = [hit.pk for hit in index.search(vectors[1], 10, exclude=[1])]
    assert 1 not in own and len(own) == 10


def test_a_filter_that_rules_out_the_top_hits_still_returns_k_allowed_papers(clustered) -> None:
    directory, vectors, categories = clustered
    index = VectorIndex.open(directory, MODEL)
    query = unit(np.eye(MODEL.dim)[0])  # every nearest paper is math.GT
    assert all(hit.pk % 5 == 0 for hit in index.search(query, 10))
    no_math = Filters(categories_exclude=("math.*",))
    allowed = np.array([no_math.category_matches(c) for c in categories])
    assert allowed.sum() > SCAN_MAX_ROWS  # so the HNSW walk does the filtering
    hits = index.search(query, 10, no_math)
    assert len(hits) == 10 and all(hit.pk % 5 for hit in hits)
    assert len({hit.pk for hit in hits} & set(brute_force(vectors, query, 10, allowed))) >= 8


def test_a_selective_filter_is_searched_exactly(clustered) -> None:
    directory, vectors, _ = clustered
    index = VectorIndex.open(directory, MODEL)
    window = Filters(categories_include=("cs.AI",), date_from=date(2024, 3, 1), date_to=date(2024, 3, 10))
    days = DAY0 + np.arange(len(vectors)) % 365
    allowed = (np.arange(len(vectors)) % 5 == 0) & (days >= day_number(window.date_from))
    allowed &= days <= day_number(window.date_to)
    assert allowed.sum() <= SCAN_MAX_ROWS  # too few rows for a walk: a scan finds them
    query = vectors[7]
    found = index.search(query, 10, window)
    assert [hit.pk for hit in found] == brute_force(as_fp16(vectors), query, 10, allowed)


def test_a_walk_that_comes_back_short_is_completed_by_an_exact_scan(clustered, monkeypatch) -> None:
    directory, vectors, categories = clustered
    index = VectorIndex.open(directory, MODEL)
    no_math = Filters(categories_exclude=("math.*",))
    allowed = np.array([no_math.category_matches(c) for c in categories])
    walked = []

    def stuck_walk(self, query, k, allowed=None, ef=EF_SEARCH):  # as in a region of the graph the filter rules out
        walked.append(ef)
        return np.empty(0, dtype=np.float32), np.empty(0, dtype=np.int64)

    monkeypatch.setattr(HnswIndex, "search", stuck_walk)
    query = unit(np.eye(MODEL.dim)[0])
    found = [hit.pk for hit in index.search(query, 10, no_math)]
    assert walked and found == brute_force(as_fp16(vectors), query, 10, allowed)


def test_a_large_index_reads_vectors_from_its_graph(clustered) -> None:
    directory, vectors, _ = clustered
    index = VectorIndex.open(directory, MODEL)
    assert np.array_equal(index.vector_of(123), as_fp16(vectors[123:124])[0])
    found, gathered = index.with_vectors([5, 10**9, 7])
    assert found == [5, 7] and np.array_equal(gathered, as_fp16(vectors[[5, 7]]))
    assert np.array_equal(index.vectors_of([7, 5]), gathered[::-1])
    hit = index.search(vectors[9], 1)[0]
    assert hit.pk == 9 and hit.score == pytest.approx(float(index.vector_of(9) @ vectors[9]), abs=1e-6)


def test_the_graph_gives_back_its_vectors_after_it_grows() -> None:
    vectors = unit(np.random.default_rng(4).normal(size=(3000, 16)))
    graph = HnswIndex.empty(16)
    graph.add(vectors[:3])
    assert np.array_equal(graph.vectors(np.array([2, 0])), as_fp16(vectors[[2, 0]]))
    graph.add(vectors[3:])  # the stored codes grow, and may move
    assert np.array_equal(graph.vectors(np.array([0, 2999, 1500])), as_fp16(vectors[[0, 2999, 1500]]))
    assert graph.vectors(np.array([], dtype=np.int64)).shape == (0, 16)


def test_search_leaves_out_excluded_papers_and_scores_cosine(tmp_path: Path) -> None:
    vectors = unit(np.random.default_rng(1).normal(size=(50, MODEL.dim)))
    with VectorIndex.updating(tmp_path, MODEL) as index:
        add(index, range(1, 51), vectors)
    index = VectorIndex.open(tmp_path, MODEL)
    hits = index.search(vectors[0], 5)
    assert hits[0].pk == 1 and hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert [hit.pk for hit in hits] == [pk + 1 for pk in brute_force(vectors, vectors[0], 5)]
    nearest_others = [row + 1 for row in brute_force(vectors, vectors[0], 7) if row + 1 not in (1, 2)][:5]
    assert [hit.pk for hit in index.search(vectors[0], 5, exclude=[1, 2])] == nearest_others
    assert len(index.search(vectors[0], 500)) == 50
    found, gathered = index.with_vectors([3, 999, 1])
    assert found == [3, 1] and np.array_equal(gathered, [index.vector_of(3), index.vector_of(1)])


def test_a_filter_allowing_fewer_than_k_papers_returns_just_those(tmp_path: Path) -> None:
    vectors = unit(np.random.default_rng(5).normal(size=(50, MODEL.dim)))
    with VectorIndex.updating(tmp_path, MODEL) as index:
        add(index, range(1, 51), vectors, [["math.GT"] if pk % 5 == 0 else ["cs.LG"] for pk in range(1, 51)])
    index = VectorIndex.open(tmp_path, MODEL)
    math = Filters(categories_include=("math.*",))
    assert sorted(hit.pk for hit in index.search(vectors[0], 20, math, exclude=[5])) == list(range(10, 51, 5))
    assert [hit.pk for hit in index.search(vectors[0], 20, math, exclude=range(5, 51, 5))] == []


def test_an_index_never_built_is_empty(tmp_path: Path) -> None:
    index = VectorIndex.open(tmp_path / "nothing", MODEL)
    assert len(index) == 0 and index.search(np.ones(MODEL.dim, dtype=np.float32), 10) == []


def test_vectors_of_another_model_version_are_refused_and_rebuilt(tmp_path: Path) -> None:
    with VectorIndex.updating(tmp_path, MODEL) as index:
        add(index, [1, 2], unit(np.ones((2, MODEL.dim))))
    newer = replace(MODEL, version="2")
    with pytest.raises(UnusableVectors, match=r"made by test 1.*embedder is test 2.*papertide index"):
        VectorIndex.open(tmp_path, newer)
    with VectorIndex.updating(tmp_path, newer) as index:
        assert index.rebuilt_because == "the embedder changed from test 1"
        assert len(index) == 0 and index.last_change_seq == 0
    assert len(VectorIndex.open(tmp_path, newer)) == 0


def test_a_new_vector_of_a_paper_replaces_its_old_one(tmp_path: Path) -> None:
    old, new = unit(np.eye(MODEL.dim)[:3]), unit(np.eye(MODEL.dim)[3:4])
    with VectorIndex.updating(tmp_path, MODEL) as index:
        add(index, [1, 2, 3], old, [["cs.LG"], ["cs.LG"], ["cs.LG"]])
        add(index, [2], new, [["math.GT"]], seq=4)
    index = VectorIndex.open(tmp_path, MODEL)
    assert len(index) == 3 and index.last_change_seq == 4
    assert np.array_equal(index.vector_of(2), new[0])
    assert [hit.pk for hit in index.search(old[1], 3)].count(2) == 1
    assert index.search(new[0], 1)[0].pk == 2
    assert [hit.pk for hit in index.search(new[0], 3, Filters(categories_include=("cs.LG",)))] != [2]
    assert index.table.allowed_pks(Filters(categories_include=("math.GT",))).tolist() == [2]


def test_what_a_crashed_writer_left_uncommitted_is_ignored_then_cut(tmp_path: Path) -> None:
    vectors = unit(np.random.default_rng(2).normal(size=(6, MODEL.dim)))
    with VectorIndex.updating(tmp_path, MODEL) as index:
        add(index, [1, 2, 3], vectors[:3])
    for name in ("vectors.f32", "rows.bin", "categories.i32"):  # a batch written, its manifest not
        with (tmp_path / name).open("ab") as handle:
            handle.write(b"\x7f" * 100)
    reader = VectorIndex.open(tmp_path, MODEL)
    assert len(reader) == 3 and not reader.is_stale()
    with VectorIndex.updating(tmp_path, MODEL) as index:
        assert index.rebuilt_because is None
        add(index, [4, 5, 6], vectors[3:])
    assert reader.is_stale()
    index = VectorIndex.open(tmp_path, MODEL)
    assert sorted(index.table.pks.tolist()) == [1, 2, 3, 4, 5, 6]
    assert all(index.search(vectors[i], 1)[0].pk == i + 1 for i in range(6))


def test_damaged_files_are_refused_and_rebuilt(tmp_path: Path) -> None:
    with VectorIndex.updating(tmp_path, MODEL) as index:
        add(index, [1, 2], unit(np.ones((2, MODEL.dim))))
    (tmp_path / "vectors.f32").write_bytes(b"")
    with pytest.raises(UnusableVectors, match="papertide index"):
        VectorIndex.open(tmp_path, MODEL)
    with VectorIndex.updating(tmp_path, MODEL) as index:
        assert "manifest commits" in index.rebuilt_because and len(index) == 0


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    with VectorIndex.updating(tmp_path, MODEL), pytest.raises(IndexBusy), VectorIndex.updating(tmp_path, MODEL):
        pass


def test_the_graph_is_extended_with_new_rows(tmp_path: Path) -> None:
    vectors = unit(np.random.default_rng(3).normal(size=(40, MODEL.dim)))
    with VectorIndex.updating(tmp_path, MODEL) as index:
        add(index, range(1, 21), vectors[:20])
        assert index.update_ann(min_rows=100) is None
        assert index.update_ann(min_rows=20) == "built"
        add(index, range(21, 41), vectors[20:])
        assert index.update_ann(min_rows=20) == "extended"
        assert index.update_ann(min_rows=20) is None
    index = VectorIndex.open(tmp_path, MODEL)
    assert index.uses_ann and index.search(vectors[30], 1)[0].pk == 31


def test_a_graph_saved_after_the_manifest_was_read_is_not_used(tmp_path: Path) -> None:
    vectors = unit(np.random.default_rng(4).normal(size=(40, MODEL.dim)))
    with VectorIndex.updating(tmp_path, MODEL) as index:
        add(index, range(1, 21), vectors[:20])
        index.update_ann(min_rows=1)
        read_by_a_reader = (tmp_path / "manifest.json").read_bytes()
        add(index, range(21, 41), vectors[20:])
        assert index.update_ann(min_rows=1) == "extended"
    (tmp_path / "manifest.json").write_bytes(read_by_a_reader)  # as if read just before the last commit
    index = VectorIndex.open(tmp_path, MODEL)
    assert not index.uses_ann and len(index) == 20
    assert {hit.pk for hit in index.search(vectors[30], 20)} == set(range(1, 21))


def mapped_files() -> str:
    return Path("/proc/self/maps").read_text()


def write_in_two_turns(
    directory: Path, vectors: np.ndarray, reader_between: Callable[[], None] | None = None, *, save_graph_again: bool
) -> None:
    """Papers 1-20 and their graph, then (after ``reader_between`` ran) papers 21-40 by a second writer."""
    with VectorIndex.updating(directory, MODEL) as index:
        add(index, range(1, 21), vectors[:20])
        assert index.update_ann(min_rows=1) == "built"
    if reader_between is not None:
        reader_between()
    with VectorIndex.updating(directory, MODEL) as index:
        add(index, range(21, 41), vectors[20:])
        if save_graph_again:  # saved to a new file renamed over the old one
            assert index.update_ann(min_rows=1) == "extended"


def test_a_reader_maps_the_graphs_vectors_and_a_writer_replacing_the_file_leaves_it_answering(tmp_path: Path) -> None:
    vectors = unit(np.random.default_rng(5).normal(size=(40, MODEL.dim)))
    graph = str(tmp_path / "hnsw.faiss")
    readers = []

    def open_a_reader() -> None:
        assert VectorIndex.open(tmp_path, MODEL).uses_ann and graph not in mapped_files()  # by default, read in
        readers.append(VectorIndex.open(tmp_path, MODEL, map_graph=True))
        assert readers[0].uses_ann and graph in mapped_files()  # shared with every process of the node, not copied

    write_in_two_turns(tmp_path, vectors, open_a_reader, save_graph_again=True)
    assert readers[0].search(vectors[7], 3)[0].pk == 8  # the renamed-over file stays mapped
    assert readers[0].is_stale()
    again = VectorIndex.open(tmp_path, MODEL)
    assert again.uses_ann and again.search(vectors[30], 1)[0].pk == 31


def test_a_reader_behind_the_saved_graph_adds_the_newer_rows_to_a_copy(tmp_path: Path) -> None:
    vectors = unit(np.random.default_rng(6).normal(size=(40, MODEL.dim)))
    write_in_two_turns(tmp_path, vectors, save_graph_again=False)
    reader = VectorIndex.open(tmp_path, MODEL, map_graph=True)
    assert reader.uses_ann and reader.unsaved_graph_rows == 20
    assert reader.search(vectors[30], 1)[0].pk == 31 and reader.search(vectors[3], 1)[0].pk == 4


def test_a_mapped_graph_refuses_to_grow_rather_than_abort(tmp_path: Path) -> None:
    vectors = unit(np.random.default_rng(7).normal(size=(20, MODEL.dim)))
    graph = HnswIndex.empty(MODEL.dim)
    graph.add(vectors[:10])
    graph.save(tmp_path / "graph.faiss")
    mapped = HnswIndex.load(tmp_path / "graph.faiss", mapped=True)
    with pytest.raises(ValueError, match="cannot grow"):
        mapped.add(vectors[10:])
    assert len(mapped) == 10
    np.testing.assert_array_equal(mapped.vectors(np.arange(10)), as_fp16(vectors[:10]))
    assert mapped.search(vectors[4], 1)[1][0] == 4
