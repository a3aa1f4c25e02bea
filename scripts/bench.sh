#!/usr/bin/env bash
# `npm run bench`: installs what is missing, starts the project's Neo4j 5.26 unless NEO4J_URI points elsewhere (and
# stops it again if it started it), then runs bench/run.ts. The table goes to stdout and to bench/results.md;
# progress goes to stderr. Settings: see the header of bench/run.ts (BENCH_FILES, BENCH_LANGCHAIN_FILES, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >&2
npm run --silent build >&2 # the bundled CLI (dist/cli.js, dist/chunk-worker.js) is measured as users run it

started_neo4j=0
if [ -z "${NEO4J_URI:-}" ]; then
  if ! bash scripts/neo4j.sh status >/dev/null 2>&1; then
    bash scripts/neo4j.sh start >&2
    started_neo4j=1
  fi
  eval "$(bash scripts/neo4j.sh env)"
fi
cleanup() { if [ "$started_neo4j" = 1 ]; then bash scripts/neo4j.sh stop >&2 || true; fi; }
trap cleanup EXIT

echo "==> benchmark (Neo4j at $NEO4J_URI)" >&2
node --import tsx bench/run.ts
