#!/usr/bin/env bash
# `npm run bench:quality`: retrieval quality and BitNet's modelled time to first token on a real embedding model
# (bench/quality/run.ts; its header lists the options, e.g. `npm run bench:quality -- --model e5`). The report goes
# to stdout and bench/quality/results.md; progress to stderr.
#
# The real model's vectors have 384 dimensions and the engine refuses a vector index of another size, so the run gets
# a Neo4j server of its own (never the test suites' one on 7687): NEO4J_PORT 7698 and NEO4J_DIR .neo4j-quality unless
# BENCH_QUALITY_NEO4J_PORT / BENCH_QUALITY_NEO4J_DIR say otherwise. It is started here when it is not running and
# stopped again at the end if this script started it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >&2

export NEO4J_PORT="${BENCH_QUALITY_NEO4J_PORT:-7698}"
export NEO4J_DIR="${BENCH_QUALITY_NEO4J_DIR:-$PWD/.neo4j-quality}"
export NEO4J_HEAP="${NEO4J_HEAP:-1g}"
export NEO4J_PAGECACHE="${NEO4J_PAGECACHE:-512m}"
# Whatever NEO4J_* the shell had (the test server's, say) is replaced by this server's.
unset NEO4J_URI NEO4J_USERNAME NEO4J_DATABASE

started_neo4j=0
if ! bash scripts/neo4j.sh status >/dev/null 2>&1; then
  bash scripts/neo4j.sh start >&2
  started_neo4j=1
fi
eval "$(bash scripts/neo4j.sh env)"
cleanup() { if [ "$started_neo4j" = 1 ]; then bash scripts/neo4j.sh stop >&2 || true; fi; }
trap cleanup EXIT

echo "==> quality benchmark (Neo4j at $NEO4J_URI)" >&2
node --import tsx bench/quality/run.ts "$@"
