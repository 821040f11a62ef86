#!/usr/bin/env bash
# Private PostgreSQL and Redis servers for the tests and `make cluster`, in a
# directory of their own, on loopback and free ports; never Debian's system
# services (scripts/deps.sh keeps those stopped).
#
#   services.sh start pg|redis|all [--dir D] [--no-fsync]
#   services.sh restart pg|redis [--dir D]   same port, so same URL (chaos tests)
#   services.sh stop [--dir D]               kills by pid file, removes what start made
#   services.sh status [--dir D]
#   services.sh url [--dir D]
#
# `start` and `url` print `export CHATHUB_TEST_PG=postgresql://postgres@127.0.0.1:PORT/postgres`
# and `export CHATHUB_TEST_REDIS=redis://127.0.0.1:PORT` on stdout (for
# `eval "$(scripts/services.sh start all --dir D)"`); timings and messages go to
# stderr. D defaults to $CHATHUB_SERVICES_DIR, else
# ${TMPDIR:-/tmp}/chathub-services-<uid>.
#
# PostgreSQL: initdb refuses to run as root, so as root every PostgreSQL
# command runs as user `postgres` (runuser) and D/pg belongs to it. Trust
# authentication: the server listens on 127.0.0.1 and a unix socket in D/pg
# only. --no-fsync sets fsync=off and full_page_writes=off — for tests only:
# they kill and restart processes, never the machine, and the page cache
# survives a process crash. synchronous_commit stays on: with it off a commit
# is acknowledged before its WAL leaves PostgreSQL's own memory, and a
# `restart pg` (an immediate stop, like a crash) loses acknowledged messages. Redis keeps nothing on disk (--save '',
# --appendonly no).
set -euo pipefail

die() { echo "services.sh: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

cmd=${1:-}; shift || true
what=
case "$cmd" in
  start|restart) what=${1:-}; shift || true
    case "$what" in pg|redis) ;; all) [ "$cmd" = start ] || die "restart pg|redis" ;;
      *) die "usage: $0 start pg|redis|all, or $0 restart pg|redis" ;; esac ;;
  stop|status|url) ;;
  *) echo "usage: $0 start pg|redis|all [--dir D] [--no-fsync] | restart pg|redis | stop | status | url [--dir D]" >&2
     exit 2 ;;
esac
DIR=${CHATHUB_SERVICES_DIR:-${TMPDIR:-/tmp}/chathub-services-$(id -u)}
FSYNC=on
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=${2:?--dir needs a directory}; shift 2 ;;
    --dir=*) DIR=${1#--dir=}; shift ;;
    --no-fsync) FSYNC=off; shift ;;
    *) die "unknown argument $1" ;;
  esac
done
case "$DIR" in /*) ;; *) DIR=$PWD/$DIR ;; esac
PG=$DIR/pg
REDIS=$DIR/redis

pg_bindir() {
  local d
  d=$(pg_config --bindir 2>/dev/null || true)
  [ -x "$d/pg_ctl" ] || d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -x "$d/pg_ctl" ] || die "PostgreSQL server binaries not found (scripts/deps.sh system installs postgresql)"
  echo "$d"
}

# Runs a PostgreSQL server command: as `postgres` when we are root.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A TCP port nobody listens on now, outside the ephemeral range (a start that
# still loses the race is retried with another).
free_port() {
  local p i
  for i in $(seq 1 50); do
    p=$((15000 + RANDOM % 17000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  die "no free port found"
}

# A killed daemon stays a zombie until init reaps it: that counts as gone.
pid_alive() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null && ! grep -qs '^State:.*Z' "/proc/$1/status"
}
pg_pid() { [ -f "$PG/data/postmaster.pid" ] && head -n 1 "$PG/data/postmaster.pid" || true; }
redis_pid() { [ -f "$REDIS/redis.pid" ] && cat "$REDIS/redis.pid" || true; }
pg_url() { echo "postgresql://postgres@127.0.0.1:$(cat "$PG/port")/postgres"; }
redis_url() { echo "redis://127.0.0.1:$(cat "$REDIS/port")"; }

pg_run() { # port
  local bin; bin=$(pg_bindir)
  local o="-c listen_addresses=127.0.0.1 -p $1 -k $PG -c max_connections=300 -c shared_buffers=64MB"
  o+=" -c deadlock_timeout=200ms"
  [ "$(cat "$PG/fsync")" = off ] && o+=" -c fsync=off -c full_page_writes=off"
  as_pg "$bin/pg_ctl" -D "$PG/data" -l "$PG/pg.log" -w -t 30 -o "$o" start >/dev/null
}

start_pg() {
  pid_alive "$(pg_pid)" && { echo "pg: already running ($(pg_url))" >&2; return 0; }
  local t0 bin port try; t0=$(now); bin=$(pg_bindir)
  mkdir -p "$PG"; chmod 755 "$DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PG"
  chmod 700 "$PG"
  echo "$FSYNC" >"$PG/fsync.tmp"; mv "$PG/fsync.tmp" "$PG/fsync"
  if [ ! -f "$PG/data/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$PG/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
      >"$PG/initdb.log" 2>&1 || { cat "$PG/initdb.log" >&2; die "pg: initdb failed"; }
  fi
  for try in 1 2 3; do
    port=$(free_port); echo "$port" >"$PG/port"
    if pg_run "$port"; then
      echo "pg: started on 127.0.0.1:$port in $(since "$t0") s (fsync=$FSYNC, data in $PG)" >&2
      return 0
    fi
  done
  tail -n 20 "$PG/pg.log" >&2; die "pg: could not start"
}

redis_run() { # port
  redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --dir "$REDIS" --pidfile "$REDIS/redis.pid" --logfile "$REDIS/redis.log" >/dev/null
  local i
  for i in $(seq 1 100); do
    redis-cli -p "$1" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.05
  done
  return 1
}

start_redis() {
  pid_alive "$(redis_pid)" && { echo "redis: already running ($(redis_url))" >&2; return 0; }
  command -v redis-server >/dev/null || die "redis-server not found (scripts/deps.sh system installs it)"
  local t0 port try; t0=$(now)
  mkdir -p "$REDIS"; chmod 700 "$REDIS"
  for try in 1 2 3; do
    port=$(free_port); echo "$port" >"$REDIS/port"
    rm -f "$REDIS/redis.pid"
    if redis_run "$port"; then
      echo "redis: started on 127.0.0.1:$port in $(since "$t0") s (no persistence)" >&2
      return 0
    fi
    pid_alive "$(redis_pid)" && kill -9 "$(redis_pid)"
  done
  tail -n 20 "$REDIS/redis.log" >&2; die "redis: could not start"
}

# Waits up to 10 s for pid to exit, then kills it.
reap() {
  local i
  for i in $(seq 1 100); do pid_alive "$1" || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}

stop_pg() { # fast|immediate
  local pid; pid=$(pg_pid)
  pid_alive "$pid" || return 0
  as_pg "$(pg_bindir)/pg_ctl" -D "$PG/data" -m "$1" -w -t 10 stop >/dev/null 2>&1 || kill -9 "$pid" 2>/dev/null || true
  reap "$pid"
}

stop_redis() {
  local pid; pid=$(redis_pid)
  pid_alive "$pid" || return 0
  kill -9 "$pid" 2>/dev/null || true
  reap "$pid"
  rm -f "$REDIS/redis.pid"
}

print_urls() {
  [ -f "$PG/port" ] && pid_alive "$(pg_pid)" && echo "export CHATHUB_TEST_PG=$(pg_url)"
  [ -f "$REDIS/port" ] && pid_alive "$(redis_pid)" && echo "export CHATHUB_TEST_REDIS=$(redis_url)"
  return 0
}

case "$cmd" in
  start)
    mkdir -p "$DIR"
    [ "$what" = redis ] || start_pg
    [ "$what" = pg ] || start_redis
    print_urls ;;
  restart)
    t0=$(now)
    if [ "$what" = pg ]; then
      [ -f "$PG/port" ] || die "pg was never started in $DIR"
      stop_pg immediate
      pg_run "$(cat "$PG/port")" || { tail -n 20 "$PG/pg.log" >&2; die "pg: restart failed"; }
    else
      [ -f "$REDIS/port" ] || die "redis was never started in $DIR"
      stop_redis
      redis_run "$(cat "$REDIS/port")" || { tail -n 20 "$REDIS/redis.log" >&2; die "redis: restart failed"; }
    fi
    echo "$what: restarted in $(since "$t0") s" >&2 ;;
  stop)
    stop_pg fast; stop_redis
    rm -rf "$PG" "$REDIS"
    rmdir "$DIR" 2>/dev/null || true ;;
  status)
    if pid_alive "$(pg_pid)"; then echo "pg: running, pid $(pg_pid), $(pg_url)"; else echo "pg: stopped"; fi
    if pid_alive "$(redis_pid)"; then echo "redis: running, pid $(redis_pid), $(redis_url)"; else echo "redis: stopped"; fi ;;
  url)
    print_urls ;;
esac
