#!/usr/bin/env bash
# The main job on a fresh machine, in a browser VS Code: installs what is missing, starts the local Neo4j, packages
# Workspace RAG and installs the .vsix into code-server (VS Code 1.100), points the user settings at Neo4j (and at
# Azure OpenAI and BitNet when their variables are set), and serves a fresh copy of the sample workspace. Prints the
# URL and the first-run steps, then runs until Ctrl+C and stops what it started. The CLI version: scripts/demo-cli.sh.
#   bash scripts/demo.sh        (npm run demo)
#
# Environment (all optional):
#   AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_EMBEDDING_DEPLOYMENT, AZURE_OPENAI_API_VERSION, AZURE_OPENAI_EMBEDDING_DIMENSIONS
#       embeddings; unset: keyword-only retrieval (labelled in the chat)
#   BITNET_ENDPOINT, BITNET_MODEL, BITNET_AUTH_STYLE (bearer|api-key), BITNET_API_VERSION, BITNET_CONTEXT_TOKENS
#       answers; unset: retrieval-only answers (labelled in the chat)
#   NEO4J_URI, NEO4J_USERNAME, NEO4J_DATABASE   an existing Neo4j; unset: scripts/neo4j.sh runs a local one
#   CODE_SERVER_PORT             default: a free port
#   WORKSPACE_RAG_DEMO_DIR       where the workspace copy, the .vsix and code-server's state go; default: a new temp
#                                folder, removed on exit
# Keys are never read from the environment by the extension: you type them into "Set Credentials" (secret storage).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
QUESTION="How often does Pebble write snapshots to disk, and how do I change the interval?"

step() { echo "==> $*"; }

step "dependencies"
bash scripts/setup.sh
bash scripts/code-server.sh install

# ---- Cleanup of what this script starts, whatever way it ends ----
started_neo4j=0
started_code_server=0
created_dir=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  echo
  if [ "$started_code_server" = 1 ]; then bash scripts/code-server.sh stop || true; fi
  if [ "$started_neo4j" = 1 ]; then bash scripts/neo4j.sh stop || true; fi
  if [ -n "$created_dir" ]; then rm -rf "$created_dir"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- Neo4j ----
local_neo4j=0
if [ -z "${NEO4J_URI:-}" ]; then
  local_neo4j=1
  if ! bash scripts/neo4j.sh status >/dev/null 2>&1; then
    step "starting Neo4j (scripts/neo4j.sh)"
    started_neo4j=1
    bash scripts/neo4j.sh start
  fi
  eval "$(bash scripts/neo4j.sh env)"
fi

# ---- A fresh copy of the sample workspace, outside the repository (its .gitignore would hide the files) ----
if [ -n "${WORKSPACE_RAG_DEMO_DIR:-}" ]; then
  WORK="$WORKSPACE_RAG_DEMO_DIR"
  mkdir -p "$WORK"
  WORK="$(cd "$WORK" && pwd)"
  case "$WORK/" in "$ROOT"/*) echo "demo.sh: WORKSPACE_RAG_DEMO_DIR must be outside the repository" >&2; exit 1 ;; esac
else
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/workspace-rag-demo.XXXXXX")"
  created_dir="$WORK"
fi
WORKSPACE="$WORK/pebble"
rm -rf "$WORKSPACE"
cp -R samples/demo-workspace "$WORKSPACE"
export CODE_SERVER_HOME="$WORK/code-server"

# ---- The extension, packaged and installed the way a user installs it ----
step "packaging the extension (vsce package)"
VSIX="$WORK/workspace-rag.vsix"
if ! npx --no-install @vscode/vsce package --out "$VSIX" >"$WORK/vsce.log" 2>&1; then
  cat "$WORK/vsce.log" >&2
  exit 1
fi
grep 'DONE' "$WORK/vsce.log" || true
bash scripts/code-server.sh install-extension "$VSIX"

# ---- Settings: Neo4j always; Azure OpenAI and BitNet when configured. The machine-scoped ones (the URI, user name
# and endpoints: `scope: machine` in package.json) go where this VS Code keeps machine settings; as user settings the
# browser would drop them at the first settings change, and the extension would fall back to their defaults ----
SETTINGS="$WORK/settings.json"
MACHINE_SETTINGS="$WORK/machine-settings.json"
node - "$SETTINGS" "$MACHINE_SETTINGS" <<'JS'
const fs = require('fs');
const env = process.env;
const set = (settings, key, value, parse = (v) => v) => {
  if (value === undefined || value.trim() === '') return;
  const parsed = parse(value.trim());
  if (Number.isNaN(parsed)) throw new Error(`${key}: not a number: ${value}`);
  settings[`workspaceRag.${key}`] = parsed;
};
const settings = {};
set(settings, 'neo4j.uri', env.NEO4J_URI);
set(settings, 'neo4j.username', env.NEO4J_USERNAME);
set(settings, 'neo4j.database', env.NEO4J_DATABASE);
if (env.AZURE_OPENAI_ENDPOINT?.trim()) {
  set(settings, 'azure.endpoint', env.AZURE_OPENAI_ENDPOINT);
  set(settings, 'azure.deployment', env.AZURE_OPENAI_EMBEDDING_DEPLOYMENT);
  set(settings, 'azure.apiVersion', env.AZURE_OPENAI_API_VERSION);
  set(settings, 'azure.dimensions', env.AZURE_OPENAI_EMBEDDING_DIMENSIONS, Number);
}
if (env.BITNET_ENDPOINT?.trim()) {
  set(settings, 'bitnet.endpoint', env.BITNET_ENDPOINT);
  set(settings, 'bitnet.model', env.BITNET_MODEL);
  set(settings, 'bitnet.authStyle', env.BITNET_AUTH_STYLE);
  set(settings, 'bitnet.apiVersion', env.BITNET_API_VERSION);
  set(settings, 'bitnet.contextTokens', env.BITNET_CONTEXT_TOKENS, Number);
}
const scopes = JSON.parse(fs.readFileSync('package.json', 'utf8')).contributes.configuration.properties;
const user = {};
const machine = {};
for (const [key, value] of Object.entries(settings)) (scopes[key]?.scope === 'machine' ? machine : user)[key] = value;
fs.writeFileSync(process.argv[2], JSON.stringify(user, null, 2) + '\n');
fs.writeFileSync(process.argv[3], JSON.stringify(machine, null, 2) + '\n');
JS

# ---- code-server ----
step "starting code-server on $WORKSPACE"
started_code_server=1
CODE_SERVER_SETTINGS="$SETTINGS" CODE_SERVER_MACHINE_SETTINGS="$MACHINE_SETTINGS" bash scripts/code-server.sh start "$WORKSPACE"
eval "$(bash scripts/code-server.sh env)"
PORT="${CODE_SERVER_URL##*:}"
PID="$(cat "$CODE_SERVER_HOME/code-server.pid")"

if [ -n "${AZURE_OPENAI_ENDPOINT:-}" ]; then embeddings="Azure OpenAI at $AZURE_OPENAI_ENDPOINT"; else embeddings="not configured: keyword-only retrieval (set AZURE_OPENAI_* for hybrid search)"; fi
if [ -n "${BITNET_ENDPOINT:-}" ]; then answers="BitNet at $BITNET_ENDPOINT"; else answers="not configured: retrieval-only answers (set BITNET_* for generated answers)"; fi
if [ "$local_neo4j" = 1 ]; then neo4j_password="enter: $NEO4J_PASSWORD"; else neo4j_password="enter your Neo4j password"; fi

cat <<EOF

==> Workspace RAG is running in VS Code (code-server 4.100.3). Open:

      $CODE_SERVER_URL/

    Workspace:   $WORKSPACE (a fresh copy of samples/demo-workspace)
    Neo4j:       $NEO4J_URI (user ${NEO4J_USERNAME:-neo4j})
    Embeddings:  $embeddings
    Answers:     $answers

  First run. Open the command palette with F1 (or Ctrl+Shift+P); the same steps are in the walkthrough:
  "Welcome: Open Walkthrough..." → "Get started with Workspace RAG". Then:
    1. "Workspace RAG: Set Credentials" → "Neo4j password" → $neo4j_password
EOF
if [ -n "${AZURE_OPENAI_ENDPOINT:-}" ]; then
  echo '       again → "Azure OpenAI API key" → the value of $AZURE_OPENAI_API_KEY (not printed here)'
fi
if [ -n "${BITNET_ENDPOINT:-}" ]; then
  echo '       again → "BitNet API key" → the value of $BITNET_API_KEY, if your endpoint needs one'
fi
cat <<EOF
    2. "Workspace RAG: Index Workspace": a notification shows the progress; the status bar then says "RAG: up to date".
    3. "Workspace RAG: Open Chat" (or the Workspace RAG icon in the activity bar) and ask, for example:
         $QUESTION
       Hover a citation number to preview the cited lines; click it to open the file with those lines selected.

  On a remote machine, forward the port first: ssh -L $PORT:127.0.0.1:$PORT <host>
  Press Ctrl+C to stop code-server$([ "$started_neo4j" = 1 ] && echo ' and Neo4j').
EOF

while kill -0 "$PID" 2>/dev/null; do sleep 2; done
echo "demo.sh: code-server exited unexpectedly (log: $CODE_SERVER_HOME/code-server.log)" >&2
tail -n 20 "$CODE_SERVER_HOME/code-server.log" >&2 || true
exit 1
