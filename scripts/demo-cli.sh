#!/usr/bin/env bash
# The main job from the command line (the browser VS Code version is scripts/demo.sh): install, start the local
# Neo4j, index the bundled sample workspace and answer a sample question with citations.
#   bash scripts/demo-cli.sh ["QUESTION"]
# Azure OpenAI and BitNet are used when their variables are set (see README); otherwise the labelled keyword-only and
# retrieval-only modes answer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent build
if [ -z "${NEO4J_URI:-}" ]; then
  bash scripts/neo4j.sh start
  eval "$(bash scripts/neo4j.sh env)"
fi
workspace=samples/demo-workspace
question=${1:-"How often does Pebble write snapshots to disk, and how do I change the interval?"}
echo "==> workspace-rag index $workspace"
npx --no-install workspace-rag index "$workspace"
echo
echo "==> workspace-rag ask \"$question\""
npx --no-install workspace-rag ask "$question" --folder "$workspace"
