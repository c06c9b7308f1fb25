"""The shipped int8 embedder: integrity, agreement with the fp32 model, and the loader's errors."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from papertide.errors import ConfigError
from papertide.search.semantic.embed import MAX_QUERY_WINDOWS, MODEL_DIR, Embedder, OnnxEmbedder, load_embedder

REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "embeddings" / "reference.json"
# First 8 components of the fp32 sentence-transformers vector of REFERENCE's first sentence, as
# printed by scripts/build_embedding_model.py; pins the fixture file to the model it came from.
FIRST_8 = [-0.024403, -0.023547, 0.036923, 0.079919, 0.057134, 0.078382, 0.006042, 0.061616]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder()


def test_model_file_matches_manifest() -> None:
    manifest = json.loads((MODEL_DIR / "manifest.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256((MODEL_DIR / manifest["model_file"]).read_bytes()).hexdigest()
    assert digest == manifest["sha256"]
    assert manifest["dim"] == 384
    assert manifest["cosine_vs_fp32"]["mean"] >= 0.99


def test_int8_agrees_with_fp32_reference(embedder: Embedder) -> None:
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    expected = np.array(reference["vectors"], dtype=np.float32)
    np.testing.assert_allclose(expected[0, :8], FIRST_8, atol=1e-6)
    got = embedder.embed(reference["sentences"])
    assert got.shape == expected.shape
    assert got.dtype == np.float32
    cosines = np.sum(got * expected, axis=1) / np.linalg.norm(expected, axis=1)
    assert cosines.min() >= 0.98, cosines
    np.testing.assert_allclose(got[0, :8], FIRST_8, atol=0.03)


def test_rows_are_unit_length(embedder: Embedder) -> None:
    vectors = embedder.embed(["short", "a somewhat longer sentence about protein folding " * 20])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_paraphrase_is_closer_than_unrelated(embedder: Embedder) -> None:
    query = embedder.embed_query("Vitamin D supplements lower the risk of bone fractures in the elderly.")
    paraphrase = embedder.embed_query("Older people who take vitamin D break fewer bones.")
    unrelated = embedder.embed_query("The compiler inlines small functions to reduce call overhead.")
    assert query @ paraphrase > query @ unrelated + 0.3


def test_order_is_kept_across_mixed_length_batches() -> None:
    # A budget of one max-length text forces several batches, run by two workers, out of order.
    small_batches = OnnxEmbedder(max_tokens=64, token_budget=64, threads=2)
    texts = [
        "gene expression " * 40,
        "cats",
        "A study of sleep deprivation and memory consolidation in adolescents.",
        "",
        "quantum error correction with surface codes " * 5,
        "dogs bark",
    ]
    together = small_batches.embed(texts)
    one_by_one = np.stack([small_batches.embed_query(t) for t in texts])
    similarity = together @ one_by_one.T
    assert list(similarity.argmax(axis=1)) == list(range(len(texts)))
    # Dynamic int8 quantises activations per batch, so batch-mates move a vector a little.
    assert np.diag(similarity).min() > 0.97


def test_empty_inputs(embedder: Embedder) -> None:
    empty = embedder.embed([])
    assert empty.shape == (0, 384)
    assert empty.dtype == np.float32
    vector = embedder.embed_query("")
    assert vector.shape == (384,)
    assert np.isfinite(vector).all()


def test_long_text_is_truncated_not_rejected(embedder: Embedder) -> None:
    text = "transformer attention " * 2000
    assert np.isfinite(embedder.embed_query(text)).all()


def test_loader_reports_identity(embedder: Embedder) -> None:
    assert embedder.name == "minilm"
    assert embedder.dim == 384
    assert embedder.version == "all-MiniLM-L6-v2-onnx-int8-pc@1"
    assert load_embedder(max_tokens=128, threads=1).version == "all-MiniLM-L6-v2-onnx-int8-pc@1+t128"


def test_a_process_loads_the_model_once_per_setting() -> None:
    """Every app, engine and job of a process shares it: loading hashes the model and builds a session."""
    assert load_embedder() is load_embedder()
    assert load_embedder(max_tokens=128, threads=1) is load_embedder(max_tokens=128, threads=1)
    assert load_embedder(max_tokens=128, threads=1) is not load_embedder()


def test_unknown_embedder_name() -> None:
    with pytest.raises(ConfigError, match="'bm42'"):
        load_embedder("bm42")


@pytest.mark.parametrize("max_tokens", [1, 257])
def test_max_tokens_out_of_range(max_tokens: int) -> None:
    with pytest.raises(ConfigError, match="max_tokens"):
        load_embedder(max_tokens=max_tokens)


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    shutil.copytree(MODEL_DIR, tmp_path / "model")
    return tmp_path / "model"


def test_missing_model_dir(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape(str(tmp_path / "nowhere"))):
        OnnxEmbedder(tmp_path / "nowhere")


def test_missing_model_file(model_copy: Path) -> None:
    (model_copy / "model.onnx").unlink()
    with pytest.raises(ConfigError, match=r"model\.onnx is missing"):
        OnnxEmbedder(model_copy)


def test_checksum_mismatch(model_copy: Path) -> None:
    data = bytearray((model_copy / "model.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (model_copy / "model.onnx").write_bytes(bytes(data))
    with pytest.raises(ConfigError, match="sha256"):
        OnnxEmbedder(model_copy)


def test_unloadable_model_with_matching_checksum(model_copy: Path) -> None:
    garbage = b"not an onnx model"
    (model_copy / "model.onnx").write_bytes(garbage)
    manifest = json.loads((model_copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["sha256"] = hashlib.sha256(garbage).hexdigest()
    (model_copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot load embedding model"):
        OnnxEmbedder(model_copy)


def test_manifest_without_checksum(model_copy: Path) -> None:
    manifest = json.loads((model_copy / "manifest.json").read_text(encoding="utf-8"))
    del manifest["sha256"]
    (model_copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ConfigError, match="sha256"):
        OnnxEmbedder(model_copy)


def test_cuda_is_preferred_where_onnxruntime_offers_it() -> None:
    from types import SimpleNamespace

    from papertide.search.semantic.embed import _providers

    gpu_build = SimpleNamespace(get_available_providers=lambda: ["TensorrtExecutionProvider", "CUDAExecutionProvider",
                                                                 "CPUExecutionProvider"])  # fmt: skip
    cpu_build = SimpleNamespace(get_available_providers=lambda: ["CPUExecutionProvider"])
    assert _providers(gpu_build) == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert _providers(cpu_build) == ["CPUExecutionProvider"]


def test_a_query_within_the_window_embeds_as_a_passage(embedder: Embedder) -> None:
    text = "Vitamin D supplements lower the risk of bone fractures in the elderly."
    np.testing.assert_allclose(embedder.embed_query(text), embedder.embed([text])[0], atol=1e-6)


def test_a_long_query_is_embedded_whole_in_windows_averaged() -> None:
    embedder = OnnxEmbedder(max_tokens=32, threads=1)
    topics = ["protein folding in the cell is assisted by chaperones", "galaxies merge under gravity over aeons"]
    long_text = " ".join([topics[0]] * 6 + [topics[1]] * 6)  # well over one 32-token window
    whole = embedder.embed_query(long_text)
    truncated = embedder.embed([long_text])[0]  # what a cut at the window would see: protein only
    second = embedder.embed_query(" ".join([topics[1]] * 3))
    assert np.linalg.norm(whole) == pytest.approx(1.0, abs=1e-5)
    assert whole @ second > truncated @ second + 0.1  # the words after the first window count
    assert embedder.embed_query(long_text) @ whole == pytest.approx(1.0, abs=1e-6)  # deterministic


def test_the_windows_of_a_long_query_are_embedded_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    text = " ".join(f"measurement {i} of heat transfer in supersonic flow" for i in range(12))  # 2 windows
    alone = OnnxEmbedder(max_tokens=64, threads=1).embed_query(text)
    embedder = OnnxEmbedder(max_tokens=64, threads=2)
    both_in_flight = threading.Barrier(2, timeout=10)  # broken, and raising, if one window waits for the other
    windows = []
    run = embedder._run

    def run_beside_the_other(sequences: list[list[int]]) -> np.ndarray:
        windows.append(sequences)
        both_in_flight.wait()
        return run(sequences)

    monkeypatch.setattr(embedder, "_run", run_beside_the_other)
    vector = embedder.embed_query(text)
    assert len(windows) == 2
    np.testing.assert_allclose(vector, alone, atol=1e-6)


def test_a_query_just_over_the_window_is_the_plain_cut_nudged_by_its_tail(monkeypatch: pytest.MonkeyPatch) -> None:
    embedder = OnnxEmbedder(max_tokens=64, threads=1)
    text = " ".join(f"measurement {i} of heat transfer in supersonic flow" for i in range(8))  # ~70 tokens
    plain = embedder.embed([text])[0]  # cut at the window, as a baseline embeds it
    windows: list[list[int]] = []
    run = embedder._run

    def recording(sequences: list[list[int]]) -> np.ndarray:
        windows.extend(sequences)
        return run(sequences)

    monkeypatch.setattr(embedder, "_run", recording)
    vector = embedder.embed_query(text)
    whole = embedder._whole_tokenizer.encode(text).ids
    assert len(windows) == 2 and windows[0] == [*whole[:63], whole[-1]]  # the first window is the plain cut
    assert len(windows[1]) < 16 and vector @ plain > 0.97


def test_a_ten_thousand_character_query_embeds() -> None:
    embedder = OnnxEmbedder(threads=1)
    text = " ".join(f"measurement {i} of heat transfer in supersonic flow" for i in range(200))
    assert len(text) >= 10_000
    vector = embedder.embed_query(text)
    assert vector.shape == (embedder.dim,) and np.isfinite(vector).all()


def test_a_very_long_query_embeds_a_bounded_number_of_windows_spread_over_it(monkeypatch: pytest.MonkeyPatch) -> None:
    embedder = OnnxEmbedder(max_tokens=16, threads=1)
    words = [f"w{i}" for i in range(2_000)]  # ~140 windows of 14 tokens
    windows: list[list[int]] = []
    run = embedder._run

    def counting(sequences: list[list[int]]) -> np.ndarray:
        windows.extend(sequences)
        return run(sequences)

    monkeypatch.setattr(embedder, "_run", counting)
    vector = embedder.embed_query(" ".join(words))
    assert len(windows) == MAX_QUERY_WINDOWS
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    tokens = embedder._whole_tokenizer
    assert windows[0][1:3] == tokens.encode("w0", add_special_tokens=False).ids[:2]  # the start ...
    last_word = tokens.encode(words[-1], add_special_tokens=False).ids
    assert windows[-1][-1 - len(last_word) : -1] == last_word  # ... and the end are both embedded
