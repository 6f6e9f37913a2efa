#!/usr/bin/env bash
# Local stack for the messaging hub: real Kafka, FerretDB (MongoDB wire
# protocol), etcd, Redis and an S3 server, all on 127.0.0.1.
#
# Why a script and not docker-compose: these machines have no Docker engine and
# can only reach Debian apt, npm, Maven Central, the Go proxy, PyPI and
# crates.io, so every server is installed from one of those and run as a plain
# background process. CI starts from a fresh clone (sometimes a fresh machine),
# so `up` must install whatever is missing, and must be cheap when nothing is.
#
# Usage: deploy/local/stack.sh COMMAND
#   up                 install what is missing, start every stopped server, wait
#                      until all are healthy, write .stack/env
#   down [--wipe]      stop every server; --wipe also deletes .stack/data
#   status             one line per server; exit 0 if all run, 3 otherwise
#   env                print .stack/env (KEY=VALUE lines)
#   logs [NAME] [-f]   tail one server's log (or all of them)
#   start NAME         start one server (kafka, mongo, etcd, redis, s3)
#   stop NAME          stop one server
#
# Environment: HUB_CACHE_DIR (fetched/built binaries, default
# ~/.cache/messaging-hub), HUB_STACK_DIR (data, logs, pids; default
# <repo>/.stack), HUB_KAFKA_PORT, HUB_KAFKA_CONTROLLER_PORT, HUB_MONGO_PORT,
# HUB_ETCD_PORT, HUB_ETCD_PEER_PORT, HUB_REDIS_PORT, HUB_S3_PORT,
# HUB_STACK_START_TIMEOUT (seconds per server, default 120),
# HUB_STACK_LOCK_TIMEOUT (seconds to wait for another stack.sh, default 1800).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)

# Cache lives outside the work tree so fresh clones and `git clean` keep it.
CACHE_DIR=${HUB_CACHE_DIR:-$HOME/.cache/messaging-hub}
BIN_DIR=$CACHE_DIR/bin
STACK_DIR=${HUB_STACK_DIR:-$REPO_ROOT/.stack}
DATA_DIR=$STACK_DIR/data
LOG_DIR=$STACK_DIR/logs
PID_DIR=$STACK_DIR/pids
ENV_FILE=$STACK_DIR/env
LOCK_FILE=$STACK_DIR/lock

HOST=127.0.0.1
# Ports are deliberately not the defaults (9092, 27017, 2379, 6379, 9000) so the
# stack never collides with system services, e.g. the etcd that installing
# Debian's etcd-server tries to start on 2379/2380.
KAFKA_PORT=${HUB_KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${HUB_KAFKA_CONTROLLER_PORT:-19093}
MONGO_PORT=${HUB_MONGO_PORT:-27117}
ETCD_PORT=${HUB_ETCD_PORT:-23790}
ETCD_PEER_PORT=${HUB_ETCD_PEER_PORT:-23800}
REDIS_PORT=${HUB_REDIS_PORT:-16379}
S3_PORT=${HUB_S3_PORT:-19000}

S3_ACCESS_KEY=hubadmin
S3_SECRET_KEY=hubadmin-secret-key
S3_REGION=us-east-1

START_TIMEOUT=${HUB_STACK_START_TIMEOUT:-120}
STOP_TIMEOUT=20

# Versions are read from the files that pin them, so bumping the pom or go.mod
# is enough to make the next `up` fetch/build the new one.
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$SCRIPT_DIR/kafka/pom.xml")
KAFKA_LIB=$CACHE_DIR/kafka-$KAFKA_VERSION/lib
FERRETDB_VERSION=$(awk '$1 == "require" && $2 == "github.com/FerretDB/FerretDB" { print $3 }' "$SCRIPT_DIR/ferretdb/go.mod")
# MinIO's Go module is refused by the Go proxy here (403), so S3 is versitygw,
# which checks V4 signatures (presigned URLs included) and does multipart.
VERSITYGW_VERSION=v1.7.0

SERVERS=(kafka mongo etcd redis s3)

# ---------------------------------------------------------------- helpers

say() { printf '%s\n' "$*"; }
die() { printf 'stack: %s\n' "$*" >&2; exit 1; }

# EPOCHREALTIME uses the locale's decimal separator; awk wants a dot.
now() { local t=$EPOCHREALTIME; printf '%s' "${t/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

is_server() { local s; for s in "${SERVERS[@]}"; do [[ $s == "$1" ]] && return 0; done; return 1; }
need_server() { is_server "${1:-}" || die "unknown server '${1:-}' (one of: ${SERVERS[*]})"; }

port_of() {
  case $1 in
    kafka) echo "$KAFKA_PORT" ;; mongo) echo "$MONGO_PORT" ;; etcd) echo "$ETCD_PORT" ;;
    redis) echo "$REDIS_PORT" ;; s3) echo "$S3_PORT" ;;
  esac
}

# Every port a server binds, so a start can refuse early when one is taken.
ports_of() {
  case $1 in
    kafka) echo "$KAFKA_PORT $KAFKA_CONTROLLER_PORT" ;;
    etcd) echo "$ETCD_PORT $ETCD_PEER_PORT" ;;
    *) port_of "$1" ;;
  esac
}

# A word that must appear in the process's command line: pid files survive
# crashes and reboots, and the pid in a stale one may now belong to anything.
marker_of() {
  case $1 in
    kafka) echo kafka.Kafka ;; mongo) echo hub-ferretdb ;; etcd) echo 'etcd --name n1' ;;
    redis) echo redis-server ;; s3) echo versitygw ;;
  esac
}

version_of() {
  case $1 in
    kafka) echo "Kafka $KAFKA_VERSION" ;;
    mongo) echo "FerretDB $FERRETDB_VERSION" ;;
    etcd) command -v etcd >/dev/null && echo "etcd $(etcd --version | awk 'NR == 1 { print $3 }')" || echo "etcd ?" ;;
    redis) command -v redis-server >/dev/null && echo "Redis $(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')" || echo "Redis ?" ;;
    s3) echo "versitygw $VERSITYGW_VERSION" ;;
  esac
}

pid_file() { echo "$PID_DIR/$1.pid"; }

# Prints the pid of NAME's server if it is alive and really is that server.
# Zombies count as dead: our orphans are reaped by PID 1, which in containers
# and micro-VMs may do so late or never.
live_pid() {
  local f pid
  f=$(pid_file "$1")
  [[ -r $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  proc_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$(marker_of "$1")" || return 1
  echo "$pid"
}

proc_alive() {
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ -n $state && $state != Z ]]
}

# Bash's /dev/tcp avoids depending on nc, which Debian does not install by default.
port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }

healthy() {
  local code
  case $1 in
    # The broker opens its port before it can serve requests; the log line
    # comes once it is fully started (metadata loaded, listeners enabled).
    kafka) grep -q 'Kafka Server started' "$LOG_DIR/kafka.log" 2>/dev/null && port_open "$KAFKA_PORT" ;;
    mongo) port_open "$MONGO_PORT" ;;
    etcd) curl -fsS -m 2 "http://$HOST:$ETCD_PORT/health" 2>/dev/null | grep -q '"health":"true"' ;;
    redis) [[ $(redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] ;;
    # Any HTTP status proves the gateway serves S3 requests (unsigned → 403).
    s3) code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://$HOST:$S3_PORT/" 2>/dev/null) || true
        [[ -n $code && $code != 000 ]] ;;
  esac
}

# Serialises up/down/start/stop across processes (two test runs calling `up`
# at once must not start two copies). fd 9 is closed in every server we start,
# otherwise the servers would inherit the lock and hold it forever.
take_lock() {
  mkdir -p "$STACK_DIR"
  exec 9>"$LOCK_FILE"
  if ! flock -n 9; then
    say "stack: another stack.sh is busy with $STACK_DIR; waiting for it…"
    # Generous: the holder may be a first `up` running apt and Go builds.
    flock -w "${HUB_STACK_LOCK_TIMEOUT:-1800}" 9 || die "timed out waiting for $LOCK_FILE"
  fi
}

# ---------------------------------------------------------------- installing

# Servers that come from Debian. Only runs apt when a binary is missing, since
# apt-get update is slow and needs root.
ensure_debian_packages() {
  local pkgs=()
  command -v etcd >/dev/null || pkgs+=(etcd-server)
  command -v redis-server >/dev/null || pkgs+=(redis-server)
  command -v redis-cli >/dev/null || pkgs+=(redis-tools)
  command -v curl >/dev/null || pkgs+=(curl)
  command -v java >/dev/null || pkgs+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || pkgs+=(maven)
  ((${#pkgs[@]})) || return 0

  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "need root (or sudo) to apt-get install ${pkgs[*]}"
    sudo=(sudo)
  fi
  say "apt: installing ${pkgs[*]}…"
  # Package scripts would start a system etcd/redis on the default ports; a
  # policy-rc.d that answers 101 ("action forbidden") stops that. Leave an
  # existing one (Docker-style images ship their own) alone.
  local policy=/usr/sbin/policy-rc.d added_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    added_policy=1
  fi
  local rc=0
  {
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
  } >"$LOG_DIR/apt.log" 2>&1 || rc=$?
  ((added_policy)) && "${sudo[@]}" rm -f "$policy"
  if ((rc)); then
    tail -n 30 "$LOG_DIR/apt.log" >&2
    die "apt-get install ${pkgs[*]} failed (full log: $LOG_DIR/apt.log)"
  fi
  local tool
  for tool in etcd redis-server redis-cli curl java mvn; do
    command -v "$tool" >/dev/null || die "$tool is still not on PATH after apt-get install ${pkgs[*]}"
  done
}

need_tool() { command -v "$1" >/dev/null || die "$1 is required ($2)"; }

# A stamp next to each cached artefact records the inputs it was made from;
# a mismatch (pom/go.mod/main.go edited) triggers a refetch/rebuild.
stamp_ok() { [[ -f $1 && $(<"$1") == "$2" ]]; }

ensure_kafka() {
  local stamp=$KAFKA_LIB/.stamp want
  want=$(sha256sum "$SCRIPT_DIR/kafka/pom.xml" | cut -d' ' -f1)
  if stamp_ok "$stamp" "$want" && [[ -f $KAFKA_LIB/kafka_2.13-$KAFKA_VERSION.jar ]]; then return 0; fi
  need_tool mvn "fetches Kafka's jars from Maven Central"
  say "kafka: fetching jars for Kafka $KAFKA_VERSION from Maven Central…"
  local t0 tmp
  t0=$(now)
  # Copy into a fresh directory and swap: copy-dependencies never deletes, so
  # reusing the old dir would leave jars of another version on the classpath.
  mkdir -p "${KAFKA_LIB%/*}"
  tmp=$(mktemp -d "${KAFKA_LIB%/*}/lib.XXXXXX")
  # An empty outputDirectory would make mvn copy the jars next to the pom.
  [[ -n $tmp && -d $tmp ]] || die "kafka: could not create a temp dir under ${KAFKA_LIB%/*}"
  if ! mvn -q -B -f "$SCRIPT_DIR/kafka/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$tmp" -DincludeScope=runtime >"$LOG_DIR/kafka-fetch.log" 2>&1; then
    rm -rf "$tmp"
    tail -n 30 "$LOG_DIR/kafka-fetch.log" >&2
    die "kafka: mvn dependency:copy-dependencies failed (log: $LOG_DIR/kafka-fetch.log)"
  fi
  echo "$want" >"$tmp/.stamp"
  rm -rf "$KAFKA_LIB"
  mv "$tmp" "$KAFKA_LIB"
  local jars=("$KAFKA_LIB"/*.jar)
  say "kafka: jars ready in $(since "$t0")s (${#jars[@]} jars)"
}

ensure_ferretdb() {
  local bin=$BIN_DIR/hub-ferretdb stamp=$BIN_DIR/hub-ferretdb.stamp want
  want=$(cd "$SCRIPT_DIR/ferretdb" && cat *.go go.mod go.sum | sha256sum | cut -d' ' -f1)
  if [[ -x $bin ]] && stamp_ok "$stamp" "$want"; then return 0; fi
  need_tool go "builds FerretDB"
  say "mongo: building hub-ferretdb (FerretDB $FERRETDB_VERSION)…"
  local t0
  t0=$(now)
  mkdir -p "$BIN_DIR"
  # Build to a temp name and rename, so a failed build never leaves half a binary.
  if ! (cd "$SCRIPT_DIR/ferretdb" && GOFLAGS=-buildvcs=false go build -o "$bin.tmp" .) \
      >"$LOG_DIR/mongo-build.log" 2>&1; then
    tail -n 30 "$LOG_DIR/mongo-build.log" >&2
    die "mongo: go build failed (log: $LOG_DIR/mongo-build.log)"
  fi
  mv -f "$bin.tmp" "$bin"
  echo "$want" >"$stamp"
  say "mongo: built in $(since "$t0")s"
}

ensure_versitygw() {
  local bin=$BIN_DIR/versitygw stamp=$BIN_DIR/versitygw.stamp
  if [[ -x $bin ]] && stamp_ok "$stamp" "$VERSITYGW_VERSION"; then return 0; fi
  need_tool go "builds versitygw"
  # A binary installed before stamps existed: trust the module version that
  # Go records in it rather than rebuilding (`versitygw --version` says "git").
  if [[ -x $bin ]] && go version -m "$bin" 2>/dev/null |
      grep -qE "^[[:space:]]+mod[[:space:]]+github.com/versity/versitygw[[:space:]]+$VERSITYGW_VERSION([[:space:]]|$)"; then
    echo "$VERSITYGW_VERSION" >"$stamp"
    return 0
  fi
  say "s3: building versitygw $VERSITYGW_VERSION…"
  local t0 tmp
  t0=$(now)
  tmp=$(mktemp -d "$CACHE_DIR/versitygw.XXXXXX")
  if ! GOBIN=$tmp GOFLAGS=-buildvcs=false go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION" \
      >"$LOG_DIR/s3-build.log" 2>&1; then
    rm -rf "$tmp"
    tail -n 30 "$LOG_DIR/s3-build.log" >&2
    die "s3: go install versitygw failed (log: $LOG_DIR/s3-build.log)"
  fi
  mkdir -p "$BIN_DIR"
  mv -f "$tmp/versitygw" "$bin"
  rm -rf "$tmp"
  echo "$VERSITYGW_VERSION" >"$stamp"
  say "s3: built in $(since "$t0")s"
}

ensure_installed() {
  case $1 in
    kafka) need_tool java "runs Kafka"; ensure_kafka ;;
    mongo) ensure_ferretdb ;;
    s3) ensure_versitygw ;;
    etcd | redis) ;; # from apt, see ensure_debian_packages
  esac
}

# ---------------------------------------------------------------- per-server setup

# KRaft combined mode (broker and controller in one JVM): no ZooKeeper, and one
# process is all a local stack needs. Regenerated on every start so port
# overrides take effect; the storage is formatted only once.
prepare_kafka() {
  local d=$DATA_DIR/kafka
  cat >"$d/server.properties" <<EOF
# Generated by deploy/local/stack.sh on every start; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$d/logs
num.partitions=6
auto.create.topics.enable=true
# One broker: every replication factor and ISR must be 1 or topics never get created.
default.replication.factor=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
min.insync.replicas=1
# Tests start consumers and expect assignment at once, not after 3 s.
group.initial.rebalance.delay.ms=0
EOF
  # The kafka_2.13 artefact has no log4j config; without one reload4j logs
  # nothing, and the readiness check needs the "Kafka Server started" line.
  cat >"$d/log4j.properties" <<'EOF'
# Generated by deploy/local/stack.sh: everything INFO and up to stdout (the log file).
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
# Per-request and state-change chatter would drown the useful lines.
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
EOF
  if [[ ! -f $d/logs/meta.properties ]]; then
    say "kafka: formatting storage…"
    local id
    id=$(java -Dlog4j.configuration="file:$d/log4j.properties" -cp "$KAFKA_LIB/*" kafka.tools.StorageTool random-uuid 2>>"$LOG_DIR/kafka-format.log" | tail -n 1)
    # Our log4j config logs to stdout, so make sure the last line is the id.
    [[ $id =~ ^[A-Za-z0-9_-]{22}$ ]] || { say "kafka: StorageTool random-uuid printed '$id'" >&2; return 1; }
    java -Dlog4j.configuration="file:$d/log4j.properties" -cp "$KAFKA_LIB/*" kafka.tools.StorageTool \
      format -t "$id" -c "$d/server.properties" >>"$LOG_DIR/kafka-format.log" 2>&1 ||
      { tail -n 30 "$LOG_DIR/kafka-format.log" >&2; return 1; }
  fi
}

# Prints the command line that runs NAME in the foreground.
command_of() {
  local d=$DATA_DIR/$1
  case $1 in
    kafka) printf '%s\0' java -Xmx512m -Xms256m -Djava.awt.headless=true \
        "-Dlog4j.configuration=file:$d/log4j.properties" -cp "$KAFKA_LIB/*" \
        kafka.Kafka "$d/server.properties" ;;
    mongo) printf '%s\0' "$BIN_DIR/hub-ferretdb" -listen "$HOST:$MONGO_PORT" -dir "$d" ;;
    # --logger=zap: etcd 3.4's default logger is deprecated and says so at start.
    etcd) printf '%s\0' etcd --name n1 --data-dir "$d" --logger=zap \
        --listen-client-urls "http://$HOST:$ETCD_PORT" --advertise-client-urls "http://$HOST:$ETCD_PORT" \
        --listen-peer-urls "http://$HOST:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://$HOST:$ETCD_PEER_PORT" \
        --initial-cluster "n1=http://$HOST:$ETCD_PEER_PORT" --initial-cluster-state new ;;
    # Test data is throwaway: no RDB/AOF writes. --dir only catches an explicit SAVE.
    redis) printf '%s\0' redis-server --port "$REDIS_PORT" --bind "$HOST" --save "" --appendonly no \
        --daemonize no --dir "$d" ;;
    # --keep-alive: real S3 keeps connections open and SDK agents reuse them;
    # --quiet: per-request lines would grow the log without bound under load.
    s3) printf '%s\0' "$BIN_DIR/versitygw" --access "$S3_ACCESS_KEY" --secret "$S3_SECRET_KEY" \
        --region "$S3_REGION" --port "$HOST:$S3_PORT" --keep-alive --quiet posix "$d" ;;
  esac
}

# Starts NAME in the background. setsid gives it its own session and process
# group: it outlives the calling shell (and a Ctrl-C there), and `stop` can
# signal the whole group. No job control here, so the subshell is not a group
# leader and setsid execs in place: $! is the server's own pid.
launch() {
  local name=$1 d=$DATA_DIR/$1 logf=$LOG_DIR/$1.log cmd=()
  mapfile -d '' cmd < <(command_of "$name")
  # Keep one previous log: the readiness check greps this run's log only.
  [[ -f $logf ]] && mv -f "$logf" "$logf.1"
  (
    # Close every inherited descriptor above stderr (the lock on fd 9, pipes
    # of whoever ran us): a server holding the caller's pipe open would make
    # `npm run stack:up` or a test harness wait for output that never ends.
    for fd in "/proc/$BASHPID/fd/"*; do
      fd=${fd##*/}
      ((fd > 2)) && eval "exec $fd>&-"
    done
    cd "$d" && exec setsid "${cmd[@]}" >"$logf" 2>&1 </dev/null
  ) &
  echo $! >"$(pid_file "$name")"
}

write_env() {
  local tmp=$ENV_FILE.tmp.$$
  cat >"$tmp" <<EOF
KAFKA_BROKERS=$HOST:$KAFKA_PORT
MONGO_URL=mongodb://$HOST:$MONGO_PORT/
ETCD_HOSTS=http://$HOST:$ETCD_PORT
REDIS_URL=redis://$HOST:$REDIS_PORT
S3_ENDPOINT=http://$HOST:$S3_PORT
S3_ACCESS_KEY=$S3_ACCESS_KEY
S3_SECRET_KEY=$S3_SECRET_KEY
S3_REGION=$S3_REGION
EOF
  mv -f "$tmp" "$ENV_FILE" # readers never see a half-written file
}

# Signals NAME's process group and waits for it; escalates to SIGKILL after
# STOP_TIMEOUT. Kafka's controlled shutdown alone can take several seconds.
stop_pids() {
  local -A pids=()
  local name pid t0 deadline
  for name in "$@"; do
    if pid=$(live_pid "$name"); then
      pids[$name]=$pid
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    else
      rm -f "$(pid_file "$name")"
    fi
  done
  t0=$(now)
  deadline=$((SECONDS + STOP_TIMEOUT))
  for name in "${!pids[@]}"; do
    pid=${pids[$name]}
    while proc_alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    if proc_alive "$pid"; then
      say "$name: still running after ${STOP_TIMEOUT}s, sending SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      while proc_alive "$pid"; do sleep 0.1; done
    fi
    rm -f "$(pid_file "$name")"
    say "$name: stopped (pid $pid, $(since "$t0")s)"
  done
}

# ---------------------------------------------------------------- commands

print_table() {
  local name pid state rc=0
  printf '%-6s  %-16s  %-16s  %-8s  %s\n' SERVER VERSION ADDRESS STATUS PID
  for name in "${SERVERS[@]}"; do
    if pid=$(live_pid "$name"); then
      state=running
    else
      pid=- state=stopped rc=3
    fi
    printf '%-6s  %-16s  %-16s  %-8s  %s\n' "$name" "$(version_of "$name")" "$HOST:$(port_of "$name")" "$state" "$pid"
  done
  return $rc
}

# Starts the given servers (those not already running), waits for all of them
# in parallel and reports each as it becomes healthy. Failures are returned in
# START_FAILED, not the exit status: callers must not write `start_servers ||`,
# since bash turns off `set -e` inside a function called from such a test.
START_FAILED=()
start_servers() {
  local name port pending=() failed=()
  START_FAILED=()
  for name in "$@"; do
    live_pid "$name" >/dev/null && { say "$name: already running"; continue; }
    rm -f "$(pid_file "$name")"
    pending+=("$name")
  done
  ((${#pending[@]})) || return 0

  mkdir -p "$LOG_DIR" "$PID_DIR" "$CACHE_DIR" "$BIN_DIR"
  ensure_debian_packages
  for name in "${pending[@]}"; do ensure_installed "$name"; done

  local -A started=()
  for name in "${pending[@]}"; do
    for port in $(ports_of "$name"); do
      if port_open "$port"; then
        say "$name: FAILED: $HOST:$port is already in use by a process this stack did not start" >&2
        failed+=("$name")
        continue 2
      fi
    done
    # etcd wants its data dir private (it warns otherwise); no reason for
    # the others to be readable either.
    mkdir -p "$DATA_DIR"
    [[ -d $DATA_DIR/$name ]] || mkdir -m 700 "$DATA_DIR/$name"
    if [[ $name == kafka ]] && ! prepare_kafka; then
      say "kafka: FAILED: formatting the storage failed (log: $LOG_DIR/kafka-format.log)" >&2
      failed+=(kafka)
      continue
    fi
    say "$name: starting on $HOST:$(port_of "$name")…"
    launch "$name"
    started[$name]=$(now)
  done

  local deadline=$((SECONDS + START_TIMEOUT)) why
  while ((${#started[@]})); do
    for name in "${!started[@]}"; do
      why=
      if healthy "$name"; then
        say "$name: started in $(since "${started[$name]}")s (pid $(<"$(pid_file "$name")"))"
        unset "started[$name]"
        continue
      fi
      if ! live_pid "$name" >/dev/null; then
        why="exited during start-up"
      elif ((SECONDS >= deadline)); then
        why="not healthy after ${START_TIMEOUT}s"
      fi
      if [[ -n $why ]]; then
        {
          say "$name: FAILED: $why. Last 30 lines of $LOG_DIR/$name.log:"
          tail -n 30 "$LOG_DIR/$name.log" 2>/dev/null | sed 's/^/    /'
        } >&2
        stop_pids "$name" >/dev/null # never leave a half-started server behind
        failed+=("$name")
        unset "started[$name]"
      fi
    done
    ((${#started[@]})) && sleep 0.2
  done

  if ((${#failed[@]})); then
    say "stack: failed to start: ${failed[*]}" >&2
    START_FAILED=("${failed[@]}")
  fi
}

cmd_up() {
  take_lock
  local name t0 stopped=()
  t0=$(now)
  for name in "${SERVERS[@]}"; do live_pid "$name" >/dev/null || stopped+=("$name"); done
  if ((${#stopped[@]} == 0)); then
    say "stack: all servers already running; nothing to do."
  else
    start_servers "${stopped[@]}"
    if ((${#START_FAILED[@]})); then
      print_table >&2 || true
      exit 1
    fi
    say "stack: up in $(since "$t0")s"
  fi
  write_env
  print_table || true
  say "settings: $ENV_FILE"
}

cmd_start() {
  need_server "${1:-}"
  take_lock
  start_servers "$1"
  ((${#START_FAILED[@]} == 0)) || exit 1
  write_env
}

cmd_stop() {
  need_server "${1:-}"
  take_lock
  live_pid "$1" >/dev/null || say "$1: not running"
  stop_pids "$1"
}

cmd_down() {
  local wipe=0
  case ${1:-} in --wipe) wipe=1 ;; "") ;; *) die "usage: stack.sh down [--wipe]" ;; esac
  take_lock
  # Signal all at once: shutdowns then overlap instead of adding up.
  stop_pids "${SERVERS[@]}"
  local name left=()
  for name in "${SERVERS[@]}"; do live_pid "$name" >/dev/null && left+=("$name"); done
  ((${#left[@]} == 0)) || die "still running after down: ${left[*]}"
  # The settings file means "the stack is up"; leaving it would point
  # consumers at ports nobody listens on.
  rm -f "$ENV_FILE"
  if ((wipe)); then
    rm -rf "$DATA_DIR"
    say "stack: down, data wiped"
  else
    say "stack: down (data kept in $DATA_DIR; 'down --wipe' deletes it)"
  fi
}

cmd_status() {
  local rc=0
  print_table || rc=$?
  exit $rc
}

cmd_env() {
  [[ -f $ENV_FILE ]] || die "no $ENV_FILE: the stack is not up (run: bash deploy/local/stack.sh up)"
  cat "$ENV_FILE"
}

cmd_logs() {
  local name=${1:-} follow=()
  [[ $name == -f ]] && { follow=(-f); name=${2:-}; }
  [[ ${2:-} == -f ]] && follow=(-f)
  if [[ -z $name ]]; then
    ((${#follow[@]} == 0)) || die "usage: stack.sh logs NAME -f"
    for name in "${SERVERS[@]}"; do
      say "==> $LOG_DIR/$name.log <=="
      tail -n 20 "$LOG_DIR/$name.log" 2>/dev/null || say "(no log yet)"
    done
    return 0
  fi
  need_server "$name"
  [[ -f $LOG_DIR/$name.log ]] || die "no log for $name yet ($LOG_DIR/$name.log)"
  tail -n 200 "${follow[@]}" "$LOG_DIR/$name.log"
}

usage() {
  sed -n '/^# Usage:/,/^#   stop NAME/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

main() {
  local sub=${1:-}
  (($#)) && shift
  case $sub in
    up) cmd_up ;;
    down) cmd_down "$@" ;;
    status) cmd_status ;;
    env) cmd_env ;;
    logs) cmd_logs "$@" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
