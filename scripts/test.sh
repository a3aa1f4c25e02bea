#!/usr/bin/env bash
# The test command: installs what is missing, starts the project's Neo4j 5.26 (unless NEO4J_URI points elsewhere),
# then runs the type check (everything, then each layer in its own environment), the lint (layering, floating
# promises, unused exports), the unit tests and the integration tests against that real Neo4j, the extension-host
# suite inside code-server (a real VS Code 1.100) against the same Neo4j, and finally the UI end-to-end test: the
# packaged .vsix installed into code-server and driven in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

started_neo4j=0
if [ -z "${NEO4J_URI:-}" ]; then
  if ! bash scripts/neo4j.sh status >/dev/null 2>&1; then
    bash scripts/neo4j.sh start
    started_neo4j=1
  fi
  eval "$(bash scripts/neo4j.sh env)"
fi
cleanup() { if [ "$started_neo4j" = 1 ]; then bash scripts/neo4j.sh stop || true; fi; }
trap cleanup EXIT

echo "==> type check"
npm run --silent typecheck
echo "==> lint"
npm run --silent lint
echo "==> unit tests"
npm run --silent test:unit
echo "==> integration tests (Neo4j at $NEO4J_URI)"
npm run --silent test:integration
echo "==> real-world suite: pinned npm packages indexed whole (Neo4j at $NEO4J_URI)"
npm run --silent test:realworld
echo "==> extension-host tests in code-server (VS Code 1.100, Neo4j at $NEO4J_URI)"
bash scripts/code-server.sh install
npm run --silent build
npm run --silent test:vscode
echo "==> UI end-to-end test in code-server + Chromium (the packaged .vsix, Neo4j at $NEO4J_URI)"
npm run --silent test:e2e
