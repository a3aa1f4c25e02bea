#!/usr/bin/env bash
# Installs the project's npm dependencies when they are missing or older than the lock file. Shared by the demo and the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci"
  npm ci --no-audit --no-fund
fi
