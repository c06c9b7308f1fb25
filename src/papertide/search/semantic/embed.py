"""Text embedders: the one seam between search and whatever turns text into vectors.

Search code depends only on :class:`Embedder`; :func:`load_embedder` maps a configured name to
an implementation. The shipped one runs all-MiniLM-L6-v2 as an int8 ONNX model built by
``scripts/build_embedding_model.py``, so run time needs only onnxruntime, tokenizers and numpy,
which are imported on first load to keep importing this module cheap.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from papertide.errors import ConfigError

MODEL_DIR = Path(__file__).with_name("model")
# Padded tokens per forward pass. Small batches keep activations in cache and int8 matmuls gain
# nothing from size: two workers on 2 quiet cores, 256-token abstracts, measured 105 docs/s at
# 256-512, 99 at 1024, 97 at 2048 and 93 at 4096.
DEFAULT_TOKEN_BUDGET = 512
# A query's windows are embedded at most this many, spread evenly over it: 16 windows cover ~4,000 tokens
# (a 300-word abstract needs two), while a 20,000-character CJK paste (one token a character) would
# otherwise cost ~80 model passes, 7-9 s of CPU for one anonymous request on two cores.
MAX_QUERY_WINDOWS = 16


class Embedder(Protocol):
    """Turns text into L2-normalised float32 vectors; ``version`` changes whenever vectors would."""

    name: str
    version: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` as a float32 array of shape ``(len(texts), dim)``, rows in input order."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one query as a float32 vector of shape ``(dim,)``."""
        ...


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def file_sha256(path: Path) -> str:
    """The checksum the manifest records for the model file (also written by the build script)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_manifest(model_dir: Path) -> dict[str, Any]:
    path = model_dir / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"embedding model manifest {path} is missing or unreadable: {exc}") from exc
    missing = [key for key in ("version", "dim", "max_tokens", "model_file", "sha256") if key not in manifest]
    if missing:
        raise ConfigError(f"embedding model manifest {path} lacks {', '.join(missing)}")
    return manifest


class OnnxEmbedder:
    """A BERT-style sentence encoder in ONNX: mean pooling over the attention mask, then L2 norm.

    Texts are tokenised, sorted by length and cut into batches of at most ``token_budget`` padded
    tokens, so short texts are not padded to the longest one. ``threads`` batches run at once, each
    on one core: onnxruntime's own intra-op threads wait for each other after every operator, and on
    a busy machine one preempted thread stalls them all. Measured on 2 cores: 25 docs/s with two
    intra-op threads vs 48 with two single-threaded workers while other jobs ran, 96 for both idle.
    """

    def __init__(
        self,
        model_dir: Path = MODEL_DIR,
        *,
        name: str = "minilm",
        max_tokens: int | None = None,
        threads: int | None = None,
        token_budget: int = DEFAULT_TOKEN_BUDGET,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        manifest = _read_manifest(model_dir)
        limit = int(manifest["max_tokens"])
        max_tokens = limit if max_tokens is None else max_tokens
        if not 2 <= max_tokens <= limit:
            raise ConfigError(f"embedder max_tokens must be between 2 and {limit}, got {max_tokens}")
        if threads is not None and threads < 1:
            raise ConfigError(f"embedder threads must be at least 1, got {threads}")
        model_path = model_dir / manifest["model_file"]
        tokenizer_path = model_dir / "tokenizer.json"
        for path in (model_path, tokenizer_path):
            if not path.is_file():
                raise ConfigError(f"embedding model file {path} is missing")
        if file_sha256(model_path) != manifest["sha256"]:
            raise ConfigError(
                f"embedding model {model_path} does not match the sha256 in {model_dir / 'manifest.json'}"
            )

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self._session = ort.InferenceSession(str(model_path), options, providers=_providers(ort))
            self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        except Exception as exc:  # onnxruntime and tokenizers raise their own untyped errors
            raise ConfigError(f"cannot load embedding model from {model_dir}: {exc}") from exc
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_tokens)
        # Queries are cut into windows by embed_query, not truncated: a second tokenizer, as the
        # truncation setting belongs to the tokenizer and other threads use the first one.
        self._whole_tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._whole_tokenizer.no_padding()
        self._whole_tokenizer.no_truncation()
        self._token_budget = max(token_budget, max_tokens)
        self._threads = threads or _cores()

        self.name = name
        # The demo's shipped vectors are checked against it (papertide.search.upkeep.demo_vectors).
        self.model_sha256 = manifest["sha256"]
        self.dim = int(manifest["dim"])
        self.max_tokens = max_tokens
        # Truncating lower gives different vectors, so an index built that way must not look current.
        self.version = manifest["version"] if max_tokens == limit else f"{manifest['version']}+t{max_tokens}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` as L2-normalised float32 rows, in input order."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        sequences = [encoding.ids for encoding in self._tokenizer.encode_batch(list(texts))]
        batches = self._batches([len(ids) for ids in sequences])
        runs = self._in_parallel([[sequences[i] for i in batch] for batch in batches])
        for batch, vectors in zip(batches, runs, strict=True):
            out[batch] = vectors
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one query as a float32 vector of shape ``(dim,)``, all of it however long.

        Text longer than the model's window (a pasted abstract or more) is cut into full windows
        from its start, each embedded, and their vectors averaged by length: truncating would drop
        everything after the first ~200 words. The first window is the very text a plain cut at the
        window embeds, so a text just over it is that vector nudged by its tail, never two halves
        that each miss the start's context (bench/quality.py's long group: equal halves lost to the
        plain cut on Cranfield's abstracts). The windows run at once, one per thread, so a pasted abstract
        waits for one window's pass rather than for all of them; past ``MAX_QUERY_WINDOWS`` windows,
        that many are taken, evenly spread, so a text's cost is bounded whatever its length.
        """
        ids = self._whole_tokenizer.encode(text).ids
        if len(ids) <= self.max_tokens:
            return self._run([ids])[0]
        first, body, last = ids[0], ids[1:-1], ids[-1]  # [CLS] ... [SEP]
        size = self.max_tokens - 2
        chunks = [[first, *body[start : start + size], last] for start in range(0, len(body), size)]
        if len(chunks) > MAX_QUERY_WINDOWS:  # spread over the whole text rather than its start
            chunks = [chunks[i] for i in np.linspace(0, len(chunks) - 1, MAX_QUERY_WINDOWS).round().astype(int)]
        vectors = np.vstack(self._in_parallel([[chunk] for chunk in chunks]))
        mean = np.average(vectors, axis=0, weights=[len(chunk) for chunk in chunks])
        return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)

    def _in_parallel(self, batches: list[list[list[int]]]) -> list[np.ndarray]:
        """:meth:`_run` over each batch, on up to ``threads`` threads (onnxruntime runs outside the GIL)."""
        if self._threads == 1 or len(batches) == 1:
            return [self._run(batch) for batch in batches]
        with ThreadPoolExecutor(max_workers=min(self._threads, len(batches))) as pool:
            return list(pool.map(self._run, batches))

    def _batches(self, lengths: list[int]) -> list[list[int]]:
        """Indices grouped longest first, each group's padded size within the token budget."""
        order = sorted(range(len(lengths)), key=lengths.__getitem__, reverse=True)
        batches, start = [], 0
        while start < len(order):
            # The first (longest) text sets the padded width of the whole batch.
            stop = min(len(order), start + self._token_budget // lengths[order[start]])
            batches.append(order[start:stop])
            start = stop
        return batches

    def _run(self, sequences: list[list[int]]) -> np.ndarray:
        """Mean-pooled, normalised vectors of token id sequences, padded to the longest in one pass."""
        width = max(len(sequence) for sequence in sequences)
        ids = np.zeros((len(sequences), width), dtype=np.int64)
        mask = np.zeros((len(sequences), width), dtype=np.int64)
        for row, sequence in enumerate(sequences):
            ids[row, : len(sequence)] = sequence
            mask[row, : len(sequence)] = 1
        (hidden,) = self._session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )
        weights = mask.astype(np.float32)
        pooled = np.einsum("bld,bl->bd", hidden, weights) / weights.sum(axis=1, keepdims=True)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def model_key(embedder: Embedder) -> str:
    """What a vector is labelled with (stored, shipped, cached): vectors of another model or version never mix."""
    return f"{embedder.name}@{embedder.version}"


@lru_cache(maxsize=8)
def _shared_minilm(max_tokens: int, threads: int | None) -> OnnxEmbedder:
    """One per process and setting: loading one hashes the model file and builds an inference session
    (~0.3 s of CPU, per app, engine and backup a process builds: per test in the test suite), and an
    embedder keeps nothing between calls, so the search engines and jobs of a process can share it."""
    return OnnxEmbedder(name="minilm", max_tokens=max_tokens, threads=threads)


_EMBEDDERS: dict[str, Callable[[int, int | None], Embedder]] = {"minilm": _shared_minilm}


def _providers(ort: Any) -> list[str]:
    """CUDA first where this onnxruntime build offers it (onnxruntime-gpu on a GPU host), else the CPU."""
    return [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in ort.get_available_providers()]


def load_embedder(name: str = "minilm", max_tokens: int = 256, threads: int | None = None) -> Embedder:
    """Build the configured embedder; ``threads=None`` uses every core this process may run on."""
    try:
        factory = _EMBEDDERS[name]
    except KeyError:
        raise ConfigError(f"unknown embedder {name!r}; known: {', '.join(sorted(_EMBEDDERS))}") from None
    return factory(max_tokens, threads)
