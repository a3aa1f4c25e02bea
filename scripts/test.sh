#!/usr/bin/env bash
# The test command: installs what is missing, starts the project's Neo4j 5.26 (unless NEO4J_URI points elsewhere),
# then runs the type check (everything, then each layer in its own environment), the lint (layering, floating
# promises, unused exports), the unit tests and the integration tests against that real Neo4j, the store and engine
# integration suites again against a second server, Neo4j 2026.x (Java 21+; NEO4J_2026=0 leaves it out), the
# extension-host suite inside code-server against the 5.26 Neo4j, on VS Code 1.100 (the minimum) and again on the
# newest code-server (CODE_SERVER_LATEST, 4.139.1 = VS Code 1.139; it runs on Node 24, which code-server.sh installs
# from PyPI; VSCODE_LATEST=0 leaves it out), and finally the UI end-to-end test: the packaged .vsix installed into
# code-server and driven in Chromium.
#
# The second server: NEO4J_2026_VERSION (2026.09.0), NEO4J_2026_PORT (NEO4J_PORT + 20, so 7707), NEO4J_2026_DIR
# (.neo4j-2026); it starts in the background while the type check and lint run, and stops after its suites.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# Neo4j 2026.x, beside the 5.26 one: its own version, folder and port, a small heap.
with_2026=0
[ "${NEO4J_2026:-1}" = 0 ] || with_2026=1
neo4j_2026() {
  NEO4J_VERSION="${NEO4J_2026_VERSION:-2026.09.0}" NEO4J_DIR="${NEO4J_2026_DIR:-$PWD/.neo4j-2026}" \
    NEO4J_PORT="${NEO4J_2026_PORT:-$(( ${NEO4J_PORT:-7687} + 20 ))}" NEO4J_HEAP=1g NEO4J_PAGECACHE=256m \
    bash scripts/neo4j.sh "$@"
}
# A missing JDK 21+ fails now, not after the 5.26 suites.
if [ "$with_2026" = 1 ]; then neo4j_2026 java; fi

started_neo4j=0
if [ -z "${NEO4J_URI:-}" ]; then
  if ! bash scripts/neo4j.sh status >/dev/null 2>&1; then
    bash scripts/neo4j.sh start
    started_neo4j=1
  fi
  eval "$(bash scripts/neo4j.sh env)"
fi
started_2026=0
start_2026_log="$(mktemp)"
if [ "$with_2026" = 1 ] && ! neo4j_2026 status >/dev/null 2>&1; then
  # NEO4J_PASSWORD is the 5.26 server's, exported above. The build and start-up overlap the type check and lint, which
  # have no timeouts; it is waited for before the unit tests, whose 2 s timeouts a starting JVM could break on 2 cores.
  neo4j_2026 start >"$start_2026_log" 2>&1 &
  start_2026_pid=$!
  started_2026=1
fi
stop_2026_pid=
cleanup() {
  if [ "$started_2026" = 1 ]; then wait "${start_2026_pid:-}" 2>/dev/null || true; neo4j_2026 stop >/dev/null || true; fi
  if [ -n "$stop_2026_pid" ]; then wait "$stop_2026_pid" || true; fi
  if [ "$started_neo4j" = 1 ]; then bash scripts/neo4j.sh stop || true; fi
  rm -f "$start_2026_log"
}
trap cleanup EXIT

echo "==> type check"
npm run --silent typecheck
echo "==> lint"
npm run --silent lint
if [ "$started_2026" = 1 ]; then
  echo "==> waiting for Neo4j ${NEO4J_2026_VERSION:-2026.09.0} to be up"
  t0=$SECONDS
  wait "$start_2026_pid" || { cat "$start_2026_log" >&2; echo "Neo4j ${NEO4J_2026_VERSION:-2026.09.0} did not start" >&2; exit 1; }
  start_2026_pid=
  cat "$start_2026_log"
  echo "    (waited $((SECONDS - t0)) s after the lint)"
fi
echo "==> unit tests"
npm run --silent test:unit
echo "==> integration tests (Neo4j at $NEO4J_URI)"
npm run --silent test:integration
if [ "$with_2026" = 1 ]; then
  uri_2026="$(neo4j_2026 env | sed -n 's/^export NEO4J_URI=//p')"
  echo "==> store and engine integration tests on Neo4j ${NEO4J_2026_VERSION:-2026.09.0} (at $uri_2026)"
  t0=$SECONDS
  NEO4J_URI="$uri_2026" npx mocha --import=tsx --timeout 120000 \
    test/integration/store.test.ts test/integration/store-vector.test.ts test/integration/engine.test.ts
  echo "    (the 2026 suites took $((SECONDS - t0)) s)"
  # Its clean shutdown (a checkpoint) overlaps the next suite; cleanup waits for it.
  if [ "$started_2026" = 1 ]; then neo4j_2026 stop >/dev/null & stop_2026_pid=$!; started_2026=0; fi
fi
echo "==> real-world suite: pinned npm packages indexed whole (Neo4j at $NEO4J_URI)"
npm run --silent test:realworld
echo "==> extension-host tests in code-server (VS Code 1.100, Neo4j at $NEO4J_URI)"
bash scripts/code-server.sh install
npm run --silent build
npm run --silent test:vscode
if [ "${VSCODE_LATEST:-1}" != 0 ]; then
  latest="${CODE_SERVER_LATEST:-4.139.1}"
  echo "==> extension-host tests in code-server $latest (the newest VS Code, Neo4j at $NEO4J_URI)"
  # Pinned, so a new release cannot break a run without a change here; this says when one is out.
  newest="$(timeout 20 npm view code-server version 2>/dev/null || true)"
  if [ -n "$newest" ] && [ "$newest" != "$latest" ]; then
    echo "    note: code-server $newest is on the npm registry; CODE_SERVER_LATEST=$newest tries it, and scripts/test.sh pins it"
  fi
  t0=$SECONDS
  CODE_SERVER_VERSION="$latest" bash scripts/code-server.sh install
  CODE_SERVER_VERSION="$latest" npm run --silent test:vscode
  echo "    (code-server $latest: install and suite took $((SECONDS - t0)) s)"
fi
echo "==> UI end-to-end test in code-server + Chromium (the packaged .vsix, Neo4j at $NEO4J_URI)"
npm run --silent test:e2e
