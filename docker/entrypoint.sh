#!/usr/bin/env bash
# Start one role of the ticketing image; every setting comes from the environment (see app/config.py).
#
#   web     apply the migrations of the served CONTEXTS, then serve HTTP with gunicorn on 0.0.0.0:$PORT
#   worker  run the Huey consumer, the sweep and (EVENT_TRANSPORT=nats) the NATS consumers
#   all     both in one container; with nothing configured it also starts the embedded MongoDB (no MONGODB_URI),
#           the demo Stripe server (no STRIPE_SECRET_KEY, when payments is served) and a local SMTP server keeping
#           the emails in the instance folder (no MAIL_SERVER, when notifications is served)
#
# SIGTERM or SIGINT stops the role cleanly: `all` forwards the signal to every process it started and waits for them.
# Anything after the role is passed on to gunicorn (web, all) or ignored (worker).
set -euo pipefail

PYTHON="${PYTHON:-python}"
PORT="${PORT:-8000}"
WEB_WORKERS="${WEB_WORKERS:-2}"
INSTANCE_PATH="${INSTANCE_PATH:-./instance}"
export PORT INSTANCE_PATH

# Metrics of every process in this container (gunicorn's workers, the worker) add up in one folder, emptied at start.
if [[ -z "${PROMETHEUS_MULTIPROC_DIR:-}" ]]; then
    export PROMETHEUS_MULTIPROC_DIR="$INSTANCE_PATH/metrics"
    rm -rf "$PROMETHEUS_MULTIPROC_DIR"
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi

log() { echo "entrypoint: $*" >&2; }

migrate() {
    log "applying migrations for ${CONTEXTS:-all contexts}"
    "$PYTHON" -m flask --app "app:create_app" db upgrade
}

# The app factory, not wsgi.py: the installed package is all the image holds.
gunicorn=("$PYTHON" -m gunicorn "app:create_app()" --bind "0.0.0.0:$PORT" --workers "$WEB_WORKERS" --threads 4
          --graceful-timeout 20)

serves_payments() {
    [[ -z "${CONTEXTS:-}" || ",${CONTEXTS// /}," == *",payments,"* ]]
}

serves_notifications() {
    [[ -z "${CONTEXTS:-}" || ",${CONTEXTS// /}," == *",notifications,"* ]]
}

wait_for_port() {
    "$PYTHON" -c "import sys; from app.platform.embedded import wait_for_port; wait_for_port('127.0.0.1', int(sys.argv[1]), 30)" "$1"
}

# --- all: several processes under one PID 1 ----------------------------------------------------------------------

children=()      # the app's processes, stopped first
services=()      # embedded servers they use, stopped last
stopping=0

stop_all() {
    stopping=1
    for pid in "${children[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${children[@]}"; do wait "$pid" 2>/dev/null || true; done
    for pid in "${services[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${services[@]}"; do wait "$pid" 2>/dev/null || true; done
}

start_embedded_services() {
    mkdir -p "$INSTANCE_PATH"
    if [[ -z "${MONGODB_URI:-}" ]]; then
        local port="${MONGODB_EMBEDDED_PORT:-27027}"
        log "MONGODB_URI is not set: starting the embedded MongoDB on 127.0.0.1:$port (data in $INSTANCE_PATH)"
        "$PYTHON" -m app.platform.embedded mongo --path "$INSTANCE_PATH/mongo.sqlite" --port "$port" &
        services+=("$!")
        wait_for_port "$port"
    fi
    if [[ -z "${MAIL_SERVER:-}" ]] && serves_notifications; then
        local mail_port="${MAIL_EMBEDDED_PORT:-8025}"
        log "MAIL_SERVER is not set: emails stay on a local SMTP server on 127.0.0.1:$mail_port ($INSTANCE_PATH/mail)"
        "$PYTHON" -m app.platform.smtp --dir "$INSTANCE_PATH/mail" --port "$mail_port" &
        services+=("$!")
        wait_for_port "$mail_port"
    fi
    if [[ -z "${STRIPE_SECRET_KEY:-}" ]] && serves_payments; then
        local port="${LOCALSTRIPE_PORT:-8420}"
        log "STRIPE_SECRET_KEY is not set: demo payments against localstripe on port $port"
        "$PYTHON" -m localstripe --port "$port" --from-scratch &
        services+=("$!")
        "$PYTHON" - "$port" "$PORT" <<'EOF'
import sys
from app.platform import localstripe
url = localstripe.base_url(int(sys.argv[1]))
localstripe.wait_ready(url, 30)
localstripe.register_webhook(url, f"http://127.0.0.1:{sys.argv[2]}/api/payments/webhook",
                             localstripe.DEMO_WEBHOOK_SECRET)
EOF
    fi
}

run_all() {
    trap 'log "stopping"; stop_all; exit 0' TERM INT
    start_embedded_services
    migrate
    "$PYTHON" -m app.worker &
    children+=("$!")
    "${gunicorn[@]}" "$@" &
    children+=("$!")
    # Whichever ends first (a crash, or the signal's trap) ends the container, so the orchestrator can restart it.
    set +e
    wait -n "${children[@]}"
    status=$?
    set -e
    if [[ $stopping -eq 0 ]]; then
        log "a process exited with status $status; stopping the others"
        stop_all
        exit "$status"
    fi
}

role="${1:-all}"
[[ $# -gt 0 ]] && shift
case "$role" in
    web)
        migrate
        exec "${gunicorn[@]}" "$@"
        ;;
    worker)
        exec "$PYTHON" -m app.worker
        ;;
    all)
        run_all "$@"
        ;;
    *)
        echo "usage: ticketing-entrypoint web|worker|all [gunicorn options]" >&2
        exit 64
        ;;
esac
