#!/usr/bin/env bash
# A real Neo4j Community server for development and CI, without Docker: only a JDK and Maven are needed.
# Neo4j 5.26 LTS by default (Java 17+); NEO4J_VERSION=2026.09.0 runs a 2026.x server instead (Java 21+).
#
#   bash scripts/neo4j.sh start|stop|restart|status|env|build|java
#
# (`java` prints the JDK this version would run on, or fails saying what is missing.)
# Environment: NEO4J_VERSION (5.26.30, from tools/neo4j-server/pom.xml; any Neo4j release on Maven Central),
# NEO4J_PORT (7687), NEO4J_PASSWORD (workspace-rag-test, at least 8 characters), NEO4J_HEAP (2g), NEO4J_PAGECACHE (1g),
# NEO4J_START_TIMEOUT (seconds, 180), NEO4J_DIR (data, logs and the pid file: .neo4j in the repo for the default
# version, .neo4j-<version> for another; a second server needs its own NEO4J_DIR and NEO4J_PORT), NEO4J_JAVA_HOME
# (the JDK to use; otherwise JAVA_HOME, the java on PATH, or the newest JDK under /usr/lib/jvm that is new enough).
# The resolved classpath and compiled launcher are cached per version in .tools/neo4j-<version>/ (rebuilt when their
# sources, the version or the JDK change). A data folder remembers the version that made it, and another version
# refuses it (an upgrade cannot be undone): NEO4J_ALLOW_UPGRADE=1 lets a newer version upgrade it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC_DIR="$ROOT/tools/neo4j-server"
DEFAULT_VERSION="$(sed -n 's:.*<neo4j.version>\(.*\)</neo4j.version>.*:\1:p' "$SRC_DIR/pom.xml")"
NEO4J_VERSION="${NEO4J_VERSION:-$DEFAULT_VERSION}"
[[ "$NEO4J_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "neo4j.sh: error: NEO4J_VERSION must look like 5.26.30 or 2026.09.0, not '$NEO4J_VERSION'" >&2; exit 64; }
BUILD_DIR="$ROOT/.tools/neo4j-$NEO4J_VERSION"
if [[ "$NEO4J_VERSION" == "$DEFAULT_VERSION" ]]; then HOME_DIR="${NEO4J_DIR:-$ROOT/.neo4j}"; else HOME_DIR="${NEO4J_DIR:-$ROOT/.neo4j-$NEO4J_VERSION}"; fi
PID_FILE="$HOME_DIR/neo4j.pid"
LOG_FILE="$HOME_DIR/logs/server.log"
VERSION_FILE="$HOME_DIR/neo4j-version"
MAIN_CLASS="workspacerag.Neo4jTestServer"
# Calendar versions (2025.01 and later) need Java 21; 5.x runs on Java 17.
if (( ${NEO4J_VERSION%%.*} >= 2025 )); then JAVA_NEEDED=21; else JAVA_NEEDED=17; fi

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

# The feature version of a JDK's java (17, 21, 25), or nothing when it does not run.
java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}

# Whether $1 is a JDK (java and javac) of at least JAVA_NEEDED; sets JDK_MAJOR.
jdk_ok() {
  [[ -n "$1" && -x "$1/bin/java" && -x "$1/bin/javac" ]] || return 1
  JDK_MAJOR="$(java_major "$1")"
  [[ "$JDK_MAJOR" =~ ^[0-9]+$ ]] && (( JDK_MAJOR >= JAVA_NEEDED ))
}

# JAVA_DIR, JAVA_MAJOR, JAVA: NEO4J_JAVA_HOME if set; else the first of JAVA_HOME and the JDK on PATH that is new
# enough; else the newest JDK under /usr/lib/jvm.
find_java() {
  local dir best=0 path_jdk=""
  JAVA_DIR=""
  if [[ -n "${NEO4J_JAVA_HOME:-}" ]]; then
    jdk_ok "$NEO4J_JAVA_HOME" || die "NEO4J_JAVA_HOME=$NEO4J_JAVA_HOME is not a JDK $JAVA_NEEDED or newer (Neo4j $NEO4J_VERSION needs one)"
    JAVA_DIR="$NEO4J_JAVA_HOME"
  else
    if command -v javac >/dev/null; then path_jdk="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"; fi
    for dir in "${JAVA_HOME:-}" "$path_jdk"; do
      if jdk_ok "$dir"; then JAVA_DIR="$dir"; break; fi
    done
    if [[ -z "$JAVA_DIR" ]]; then
      for dir in /usr/lib/jvm/*/; do
        dir="${dir%/}"
        if jdk_ok "$dir" && (( JDK_MAJOR > best )); then JAVA_DIR="$dir"; best="$JDK_MAJOR"; fi
      done
    fi
  fi
  [[ -n "$JAVA_DIR" ]] || die "Neo4j $NEO4J_VERSION needs a JDK $JAVA_NEEDED or newer (java and javac): none in JAVA_HOME, on PATH or under /usr/lib/jvm. Install one (a Debian openjdk-$JAVA_NEEDED-jdk-headless where the release has it) or set NEO4J_JAVA_HOME"
  JAVA_MAJOR="$(java_major "$JAVA_DIR")"
  JAVA="$JAVA_DIR/bin/java"
}

# Hash of everything the build depends on; a change triggers a rebuild.
source_stamp() {
  { cat "$SRC_DIR/pom.xml" $(find "$SRC_DIR/src" -name '*.java' | sort); echo "$NEO4J_VERSION $JAVA_DIR"; } | sha256sum | cut -d' ' -f1
}

build() {
  find_java
  local stamp
  stamp="$(source_stamp)"
  if [[ -f "$BUILD_DIR/stamp" && "$(cat "$BUILD_DIR/stamp")" == "$stamp" ]]; then
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (Maven 3.8 or newer is required)"
  say "building the Neo4j $NEO4J_VERSION launcher in $BUILD_DIR with Java $JAVA_MAJOR ($JAVA_DIR) (first time: downloads Neo4j from Maven Central)"
  rm -rf "$BUILD_DIR"
  mkdir -p "$BUILD_DIR/classes"
  mvn -B -q -f "$SRC_DIR/pom.xml" dependency:copy-dependencies -Dneo4j.version="$NEO4J_VERSION" \
    -DoutputDirectory="$BUILD_DIR/lib" -DincludeScope=runtime >"$BUILD_DIR/maven.log" 2>&1 \
    || { tail -n 30 "$BUILD_DIR/maven.log" >&2; die "Maven could not resolve Neo4j $NEO4J_VERSION (log: $BUILD_DIR/maven.log)"; }
  "$JAVA_DIR/bin/javac" --release "$JAVA_NEEDED" -nowarn -cp "$BUILD_DIR/lib/*" -d "$BUILD_DIR/classes" \
    $(find "$SRC_DIR/src" -name '*.java') || die "javac failed"
  echo "$stamp" >"$BUILD_DIR/stamp"
  say "built ($(ls "$BUILD_DIR/lib" | wc -l) jars)"
}

# JVM flags beyond the heap: on Java 21+, Lucene's vector search uses the Vector API (Neo4j logs a warning without it)
# and Neo4j's native calls are allowed without a warning each.
jvm_flags() {
  if (( JAVA_MAJOR >= 21 )); then echo "--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED"; fi
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
  [[ -n "${JAVA:-}" ]] || find_java
  "$JAVA" -Xmx64m -XX:TieredStopAtLevel=1 -cp "$(classpath)" "$MAIN_CLASS" ping 2>&1
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
  say "Neo4j $NEO4J_VERSION is up: $URI (bolt on 127.0.0.1:$NEO4J_PORT only), user $NEO4J_USERNAME, database $NEO4J_DATABASE"
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
  # Patch releases of one line (5.26.x) share their data; another line would upgrade it, for good.
  local made_by=""
  if [[ -f "$VERSION_FILE" ]]; then made_by="$(cat "$VERSION_FILE")"
  elif [[ -d "$HOME_DIR/data" ]]; then made_by="5.26.x"  # made before the folder recorded its version: 5.26 only
  fi
  if [[ -n "$made_by" && "${made_by%.*}" != "${NEO4J_VERSION%.*}" && "${NEO4J_ALLOW_UPGRADE:-}" != 1 ]]; then
    die "the data in $HOME_DIR is Neo4j $made_by's; Neo4j $NEO4J_VERSION would upgrade it for good. Use another NEO4J_DIR, or NEO4J_ALLOW_UPGRADE=1 to upgrade it"
  fi
  mkdir -p "$HOME_DIR/logs"
  rm -f "$HOME_DIR/ready"
  echo "$NEO4J_VERSION" >"$VERSION_FILE"
  say "starting Neo4j $NEO4J_VERSION on Java $JAVA_MAJOR (heap $HEAP, page cache $NEO4J_PAGECACHE, data in $HOME_DIR)"
  # setsid + nohup: the server outlives this shell; stdin closed so it never waits on a terminal.
  # shellcheck disable=SC2046 # jvm_flags is a list of flags
  setsid nohup "$JAVA" "-Xmx$HEAP" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError $(jvm_flags) \
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
  java) find_java; echo "$JAVA_DIR (Java $JAVA_MAJOR, for Neo4j $NEO4J_VERSION)" ;;
  *) echo "usage: bash scripts/neo4j.sh start|stop|restart|status|env|build|java" >&2; exit 64 ;;
esac
