#!/usr/bin/env bash
# A real Neo4j 5.26 Community server for development and CI, without Docker: only Java 17 and Maven are needed.
#
#   bash scripts/neo4j.sh start|stop|restart|status|env|build
#
# Environment: NEO4J_PORT (7687), NEO4J_PASSWORD (workspace-rag-test, at least 8 characters), NEO4J_HEAP (2g),
# NEO4J_PAGECACHE (1g), NEO4J_START_TIMEOUT (seconds, 180), NEO4J_DIR (.neo4j in the repo: data, logs and the pid
# file; a second server needs its own NEO4J_DIR and NEO4J_PORT);
# the resolved classpath and compiled launcher are cached in .tools/neo4j-server/ (rebuilt when their sources change).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC_DIR="$ROOT/tools/neo4j-server"
BUILD_DIR="$ROOT/.tools/neo4j-server"
HOME_DIR="${NEO4J_DIR:-$ROOT/.neo4j}"
PID_FILE="$HOME_DIR/neo4j.pid"
LOG_FILE="$HOME_DIR/logs/server.log"
MAIN_CLASS="workspacerag.Neo4jTestServer"

export NEO4J_PORT="${NEO4J_PORT:-7687}"
export NEO4J_USERNAME="neo4j"
export NEO4J_PASSWORD="${NEO4J_PASSWORD:-workspace-rag-test}"
export NEO4J_DATABASE="neo4j"
export NEO4J_PAGECACHE="${NEO4J_PAGECACHE:-1g}"
export NEO4J_HOME_DIR="$HOME_DIR"
HEAP="${NEO4J_HEAP:-2g}"
START_TIMEOUT="${NEO4J_START_TIMEOUT:-180}"
URI="neo4j://127.0.0.1:$NEO4J_PORT"

say() { echo "neo4j.sh: $*"; }
die() { echo "neo4j.sh: error: $*" >&2; exit 1; }

# Hash of everything the build depends on; a change triggers a rebuild.
source_stamp() {
  cat "$SRC_DIR/pom.xml" $(find "$SRC_DIR/src" -name '*.java' | sort) | sha256sum | cut -d' ' -f1
}

build() {
  local stamp
  stamp="$(source_stamp)"
  if [[ -f "$BUILD_DIR/stamp" && "$(cat "$BUILD_DIR/stamp")" == "$stamp" ]]; then
    return 0
  fi
  command -v java >/dev/null || die "java not found (Java 17 or newer is required)"
  command -v javac >/dev/null || die "javac not found (install a Java 17 JDK)"
  command -v mvn >/dev/null || die "mvn not found (Maven 3.8 or newer is required)"
  say "building the Neo4j launcher in $BUILD_DIR (first time: downloads Neo4j from Maven Central)"
  rm -rf "$BUILD_DIR"
  mkdir -p "$BUILD_DIR/classes"
  mvn -B -q -f "$SRC_DIR/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$BUILD_DIR/lib" -DincludeScope=runtime >"$BUILD_DIR/maven.log" 2>&1 \
    || { tail -n 30 "$BUILD_DIR/maven.log" >&2; die "Maven could not resolve Neo4j (log: $BUILD_DIR/maven.log)"; }
  javac --release 17 -nowarn -cp "$BUILD_DIR/lib/*" -d "$BUILD_DIR/classes" \
    $(find "$SRC_DIR/src" -name '*.java') || die "javac failed"
  echo "$stamp" >"$BUILD_DIR/stamp"
  say "built ($(ls "$BUILD_DIR/lib" | wc -l) jars)"
}

classpath() { echo "$BUILD_DIR/classes:$BUILD_DIR/lib/*"; }

# The pid of our server if it is alive (a stale pid file, or a pid reused by another program, does not count).
running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$MAIN_CLASS serve" || return 1
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$NEO4J_PORT") 2>/dev/null; }

# Exit status: 0 authenticated query ran, 2 credentials rejected, 1 not (yet) reachable.
ping_server() {
  java -Xmx64m -XX:TieredStopAtLevel=1 -cp "$(classpath)" "$MAIN_CLASS" ping 2>&1
}

log_tail() {
  echo "---- last lines of $LOG_FILE ----" >&2
  tail -n 40 "$LOG_FILE" >&2 2>/dev/null || true
  if [[ -f "$HOME_DIR/logs/debug.log" ]]; then
    echo "---- last ERROR/WARN lines of $HOME_DIR/logs/debug.log ----" >&2
    grep -E ' (ERROR|WARN) ' "$HOME_DIR/logs/debug.log" | tail -n 15 >&2 || true
  fi
}

print_details() {
  say "Neo4j is up: $URI (bolt on 127.0.0.1:$NEO4J_PORT only), user $NEO4J_USERNAME, database $NEO4J_DATABASE"
  say "password from NEO4J_PASSWORD (default workspace-rag-test); \`eval \"\$(bash scripts/neo4j.sh env)\"\` exports it all"
}

start() {
  (( ${#NEO4J_PASSWORD} >= 8 )) || die "NEO4J_PASSWORD must have at least 8 characters (Neo4j's minimum)"
  build
  if pid="$(running_pid)"; then
    say "already running (pid $pid)"
    local out
    if out="$(ping_server)"; then say "$out"; print_details; return 0; fi
    echo "$out" >&2
    die "the running server (pid $pid) does not accept these credentials; run \`bash scripts/neo4j.sh restart\`"
  fi
  if port_open; then
    die "port $NEO4J_PORT on 127.0.0.1 is taken by another program; stop it or set NEO4J_PORT"
  fi
  mkdir -p "$HOME_DIR/logs"
  rm -f "$HOME_DIR/ready"
  say "starting Neo4j (heap $HEAP, page cache $NEO4J_PAGECACHE, data in $HOME_DIR)"
  # setsid + nohup: the server outlives this shell; stdin closed so it never waits on a terminal.
  setsid nohup java "-Xmx$HEAP" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
    -cp "$(classpath)" "$MAIN_CLASS" serve </dev/null >>"$LOG_FILE" 2>&1 &
  echo $! >"$PID_FILE"
  local pid=$! started=$SECONDS out status
  say "pid $pid; waiting for bolt to accept an authenticated connection (timeout ${START_TIMEOUT}s)"
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      log_tail
      die "Neo4j exited during startup"
    fi
    if [[ "$(cat "$HOME_DIR/ready" 2>/dev/null)" == "$pid" ]] && port_open; then
      status=0
      out="$(ping_server)" || status=$?
      if (( status == 0 )); then
        say "$out, ready after $((SECONDS - started))s"
        print_details
        return 0
      elif (( status == 2 )); then
        echo "$out" >&2
        die "Neo4j is up but rejected the credentials of user $NEO4J_USERNAME"
      fi
    fi
    if (( SECONDS - started >= START_TIMEOUT )); then
      log_tail
      die "Neo4j did not accept an authenticated Bolt connection within ${START_TIMEOUT}s (still running as pid $pid; \`bash scripts/neo4j.sh stop\` stops it)"
    fi
    sleep 1
  done
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    say "not running"
    return 0
  fi
  say "stopping Neo4j (pid $pid)"
  kill -TERM "$pid"
  local waited=0
  # A clean shutdown flushes the page cache and checkpoints; give it time before forcing.
  while kill -0 "$pid" 2>/dev/null; do
    if (( waited >= 240 )); then
      say "still running after 120s; killing it (the next start will run recovery)"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  rm -f "$PID_FILE"
  say "stopped"
}

status() {
  local pid out
  if pid="$(running_pid)"; then
    if out="$(ping_server)"; then
      say "running (pid $pid): $out at $URI"
      return 0
    fi
    say "process $pid is running but Bolt is not ready: $out"
    return 1
  fi
  say "not running"
  return 3
}

print_env() {
  echo "export NEO4J_URI=$URI"
  echo "export NEO4J_USERNAME=$NEO4J_USERNAME"
  printf 'export NEO4J_PASSWORD=%q\n' "$NEO4J_PASSWORD"
  echo "export NEO4J_DATABASE=$NEO4J_DATABASE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  env) print_env ;;
  build) build; say "launcher is up to date in $BUILD_DIR" ;;
  *) echo "usage: bash scripts/neo4j.sh start|stop|restart|status|env|build" >&2; exit 64 ;;
esac
