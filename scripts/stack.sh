#!/usr/bin/env bash
# The whole stack: PostgreSQL, Redis, web (gunicorn), Celery worker and Celery beat.
# Usage: scripts/stack.sh foreground|background|stop DATA_DIR PG_PORT REDIS_PORT WEB_PORT
# DATABASE_URL and REDIS_URL come from the environment (the Makefile sets them).
set -euo pipefail

action=$1 data_dir=$2 pg_port=$3 redis_port=$4 web_port=$5
bin=.venv/bin
mkdir -p "$data_dir"
run_dir=$(cd "$data_dir" && pwd)/procs
mkdir -p "$run_dir"
web_url="http://127.0.0.1:$web_port"
export PUBLIC_URL=${PUBLIC_URL:-$web_url}

# --preload: Django starts once in the master and the workers are forked from it (see
# dashboard/wsgi.py): starting it in each of 3 workers cost ~3 s more CPU per start.
web_cmd=("$bin/gunicorn" dashboard.wsgi --preload --bind "127.0.0.1:$web_port"
  --workers "${WEB_WORKERS:-3}" --access-logfile - --graceful-timeout 5)
# One worker process more than cores: each waits on PostgreSQL for about a third of a batch,
# and on 2 cores 3 processes stored ~15% more envelopes/s than 2 (bench/ingest.py).
worker_cmd=("$bin/celery" -A dashboard worker -Q ingest,alerts --loglevel INFO --concurrency "${WORKER_CONCURRENCY:-3}"
  --hostname "worker-$web_port@%h")
beat_cmd=("$bin/celery" -A dashboard beat --loglevel INFO)

prepare() {
  scripts/services.sh start "$data_dir" "$pg_port" "$redis_port"
  "$bin/python" manage.py migrate --no-input -v0
  "$bin/python" manage.py collectstatic --no-input -v0
}

welcome() {
  local token
  token=$("$bin/python" manage.py create_token "make-run-$(date +%s)" --scopes ingest,read | tail -1)
  cat <<TXT

  Dashboard:  $web_url/   (API docs: $web_url/api/v1/docs)
  $("$bin/python" manage.py ensure_admin)
  API token (ingest, read): $token

  Send one envelope:
  curl -sS -X POST $web_url/api/v1/ingest -H 'Authorization: Bearer $token' \\
    -H 'Content-Type: application/json' \\
    -d '[{"status": 400, "url": "https://ads-api.x.com/12/accounts/hkk5/campaigns", "body": {"errors": [{"code": "INVALID_PARAMETER", "parameter": "start_time", "message": "Expected time, got \"\" for start_time"}], "request": {"params": {"account_id": "hkk5"}}}}]'
  Then read it back:
  curl -sS '$web_url/api/v1/errors/summary?group_by=code' -H 'Authorization: Bearer $token'

TXT
}

alive() { [ -f "$run_dir/$1.pid" ] && kill -0 "$(cat "$run_dir/$1.pid")" 2>/dev/null; }

start_background() {
  local name=$1; shift
  alive "$name" && return
  setsid "$@" >>"$run_dir/$name.log" 2>&1 < /dev/null &
  echo $! >"$run_dir/$name.pid"
}

wait_ready() {
  for _ in $(seq 120); do
    if curl -fsS -o /dev/null "$web_url/api/v1/openapi.json" 2>/dev/null &&
      "$bin/celery" -A dashboard inspect ping -d "worker-$web_port@$(hostname)" -t 1 >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.5
  done
  echo "the stack did not become ready; logs are in $run_dir" >&2
  return 1
}

stop_apps() {
  local name pid
  for name in beat worker web; do
    if alive "$name"; then
      pid=$(cat "$run_dir/$name.pid")
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$run_dir/$name.pid"
  done
}

case "$action" in
  foreground)
    prepare
    welcome
    # Ctrl-C stops the app processes, then PostgreSQL and Redis.
    trap 'trap - INT TERM EXIT; kill $(jobs -p) 2>/dev/null; wait
          scripts/services.sh stop "$data_dir" "$pg_port" "$redis_port"' INT TERM EXIT
    "${worker_cmd[@]}" &
    "${beat_cmd[@]}" --schedule "$CELERY_BEAT_SCHEDULE_FILENAME" &
    "${web_cmd[@]}" &
    wait
    ;;
  background)
    prepare
    stop_apps  # running app processes are restarted, so that they run the current code
    start_background web "${web_cmd[@]}"
    start_background worker "${worker_cmd[@]}"
    start_background beat "${beat_cmd[@]}" --schedule "$CELERY_BEAT_SCHEDULE_FILENAME"
    wait_ready
    echo "stack is up at $web_url (logs in $run_dir); 'make down' stops it"
    ;;
  stop)
    stop_apps
    scripts/services.sh stop "$data_dir" "$pg_port" "$redis_port"
    ;;
  *) echo "usage: $0 foreground|background|stop DATA_DIR PG_PORT REDIS_PORT WEB_PORT" >&2; exit 2 ;;
esac
