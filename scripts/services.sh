#!/usr/bin/env bash
# Starts and stops the project-local PostgreSQL cluster and Redis server of one profile.
# Usage: scripts/services.sh start|stop|status DATA_DIR PG_PORT REDIS_PORT
# Everything lives under DATA_DIR and listens on 127.0.0.1 only.
set -euo pipefail

action=$1
data_dir=$(mkdir -p "$2" && cd "$2" && pwd)
pg_port=$3
redis_port=$4
pg_dir="$data_dir/pg"
redis_dir="$data_dir/redis"
db_user=xads
db_name=xads

pg_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$dir/pg_ctl" ] && { echo "$dir"; return; }
  done
  dirname "$(command -v pg_ctl)"
}

# PostgreSQL refuses to run as root: run it as the unprivileged postgres user then.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local bin; bin=$(pg_bin)
  mkdir -p "$pg_dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$pg_dir" && chmod 700 "$pg_dir"
  if [ ! -f "$pg_dir/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$pg_dir" -U "$db_user" --auth=trust --encoding=UTF8 --no-locale >/dev/null
    cat >>"$pg_dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$pg_dir'
shared_buffers = 512MB
work_mem = 32MB
maintenance_work_mem = 256MB
max_wal_size = 4GB
max_connections = 200
CONF
    [ "${PG_FAST_UNSAFE:-0}" = 1 ] && printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n' >>"$pg_dir/postgresql.conf"
  fi
  if ! as_pg "$bin/pg_ctl" -D "$pg_dir" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$pg_dir" -l "$pg_dir/server.log" -w -t 60 start >/dev/null
  fi
  if ! "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U "$db_user" -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='$db_name'" | grep -q 1; then
    "$bin/createdb" -h 127.0.0.1 -p "$pg_port" -U "$db_user" "$db_name"
  fi
}

start_redis() {
  mkdir -p "$redis_dir"
  if ! redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; then
    redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$redis_dir" \
      --appendonly yes --daemonize yes --save "" \
      --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log"
    for _ in $(seq 50); do
      redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1 && return
      sleep 0.1
    done
    echo "redis did not start; see $redis_dir/redis.log" >&2
    exit 1
  fi
}

stop_all() {
  local bin; bin=$(pg_bin)
  if [ -f "$pg_dir/PG_VERSION" ]; then
    as_pg "$bin/pg_ctl" -D "$pg_dir" -m fast -w stop >/dev/null 2>&1 || true
  fi
  redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
}

case "$action" in
  start) start_postgres; start_redis ;;
  stop) stop_all ;;
  status)
    pg_isready -h 127.0.0.1 -p "$pg_port" && redis-cli -h 127.0.0.1 -p "$redis_port" ping ;;
  *) echo "usage: $0 start|stop|status DATA_DIR PG_PORT REDIS_PORT" >&2; exit 2 ;;
esac
