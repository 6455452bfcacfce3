#!/usr/bin/env bash
# SmartAir launcher. Verbs:
#   ./start.sh local   set up (venv, database, schema) and run processor + bot + a simulated fleet locally;
#                      without BOT_TOKEN the bot talks to the sandbox: chat with it at http://127.0.0.1:8080
#   ./start.sh test    set up and run the whole test suite
#   ./start.sh setup   only create the venv, install, start local services if needed, migrate
#   ./start.sh lint    ruff check + ruff format --check + mypy on core/
#   ./start.sh migrate alembic upgrade head against DATABASE_URL
set -euo pipefail
cd "$(dirname "$0")"

VENV=${VENV:-.venv}

# pyproject.toml's pins (dependencies and the dev extra), one a line.
pins() {
    python3 -c '
import tomllib
with open("pyproject.toml", "rb") as file:
    project = tomllib.load(file)["project"]
print("\n".join(project["dependencies"] + project["optional-dependencies"]["dev"]))'
}

# SMARTAIR_VENV_CACHE=DIR (.ci/run sets it) keeps the dependencies in DIR/venv-<key>, installed once and
# reused by later runs with the same pins, as a CI cache would: <key> hashes the pins and the Python version,
# so a changed pin installs a new venv. That venv never holds the project: PYTHONPATH is this checkout, so the
# code tested, and every program the tests start, is the checkout's own (ensure_cached_venv checks it).
# mypy keeps its cache in DIR too.
if [ -n "${SMARTAIR_VENV_CACHE:-}" ]; then
    VENV=$SMARTAIR_VENV_CACHE/venv-$( (pins; python3 -VV) | sha256sum | cut -c1-16)
    export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
    export MYPY_CACHE_DIR=$SMARTAIR_VENV_CACHE/mypy
fi
PY="$VENV/bin/python"
export DATABASE_URL=${DATABASE_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/smartair}

log() { printf '[start.sh] %s\n' "$*" >&2; }

ensure_venv() {
    if [ -n "${SMARTAIR_VENV_CACHE:-}" ]; then ensure_cached_venv; return; fi
    if [ ! -x "$PY" ]; then
        log "creating virtualenv in $VENV"
        python3 -m venv "$VENV"
    fi
    # Re-installing is a no-op when nothing changed; it keeps a stale venv honest after a pull.
    "$PY" -m pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v '^WARNING: Location' >&2 || true
    "$PY" -c 'import aiogram, aiomqtt, sqlalchemy, asyncpg, alembic' || { log "install failed"; exit 1; }
}

# The cached dependencies (SMARTAIR_VENV_CACHE above), installed again when missing or broken: an install
# that never finished, a Python that went away, a pin not installed at its version. One run at a time checks
# and installs; the runs after it only read the venv.
ensure_cached_venv() {
    mkdir -p "$SMARTAIR_VENV_CACHE"
    exec 9>"$SMARTAIR_VENV_CACHE/lock"
    flock 9
    if [ ! -e "$VENV/installed" ] || ! pins | "$PY" -c "$PINNED_VERSIONS_INSTALLED" 2>/dev/null; then
        log "installing the pinned dependencies into $VENV (reused by later runs with the same pins)"
        rm -rf "$VENV"
        python3 -m venv "$VENV"
        pins >"$VENV/pins.txt"
        "$PY" -m pip install --quiet --disable-pip-version-check -r "$VENV/pins.txt" 2> >(grep -v '^WARNING: Location' >&2) \
            && pins | "$PY" -c "$PINNED_VERSIONS_INSTALLED" || { log "install failed"; exit 1; }
        touch "$VENV/installed"
    fi
    exec 9>&-
    "$PY" -c 'import sys, core; sys.exit(not core.__file__.startswith(sys.argv[1]))' "$PWD/" \
        || { log "the project does not import from this checkout ($PWD)"; exit 1; }
}

# Reads pins (name[extras]==version) on stdin; fails unless each is installed at its version.
PINNED_VERSIONS_INSTALLED='
import re, sys
from importlib.metadata import PackageNotFoundError, version
def installed(name):
    try:
        return version(name)
    except PackageNotFoundError:
        return None
pins = [re.fullmatch(r"([\w.-]+)(?:\[[\w,]+\])?==(\S+)", line.strip()).groups() for line in sys.stdin if line.strip()]
sys.exit(any(installed(name) != pinned for name, pinned in pins))'

ensure_postgres() {
    if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then return; fi
    log "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && return; sleep 1; done
    log "PostgreSQL did not start"; exit 1
}

# The shipped broker (authentication on, python -m processor.broker). Locally the server's account is
# MQTT_USERNAME/MQTT_PASSWORD from the environment or .env, else smartair-local with a password kept in var/.
ensure_mosquitto() {
    export MQTT_USERNAME=${MQTT_USERNAME:-$(sed -n 's/^MQTT_USERNAME=//p' .env 2>/dev/null)}
    export MQTT_PASSWORD=${MQTT_PASSWORD:-$(sed -n 's/^MQTT_PASSWORD=//p' .env 2>/dev/null)}
    if [ -z "$MQTT_USERNAME" ] || [ -z "$MQTT_PASSWORD" ]; then
        mkdir -p var
        [ -s var/mqtt-password ] || "$PY" -c 'import secrets; print(secrets.token_urlsafe(18))' >var/mqtt-password
        MQTT_USERNAME=smartair-local MQTT_PASSWORD=$(cat var/mqtt-password)
    fi
    if (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then return; fi
    log "starting Mosquitto (python -m processor.broker, data in var/mosquitto)"
    mkdir -p var/log
    "$PY" -m processor.broker --port 1883 --data var/mosquitto >>var/log/mosquitto.log 2>&1 &
    wait_for_port 1883
}

ensure_database() {
    local name=${DATABASE_URL##*/}
    name=${name%%\?*}
    if ! psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
        log "creating database $name"
        psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE \"$name\""
    fi
    "$PY" -m alembic upgrade head
}

setup() { ensure_venv; ensure_postgres; ensure_database; }

# Runs "$@" with Infisical's secrets in its environment: through `infisical run` where the CLI is installed
# (the child then skips the SDK), else the programs load them themselves at start (core/infisical.py). Both
# need the machine identity's INFISICAL_* settings; without them, "$@" runs as it is.
with_secrets() {
    if [ -n "${INFISICAL_CLIENT_ID:-}" ] && command -v infisical >/dev/null; then
        if [ -n "${INFISICAL_SITE_URL:-}" ]; then export INFISICAL_API_URL="${INFISICAL_SITE_URL%/}/api"; fi
        local token
        token=$(INFISICAL_DISABLE_UPDATE_CHECK=true infisical login --method=universal-auth \
            --client-id="$INFISICAL_CLIENT_ID" --client-secret="$INFISICAL_CLIENT_SECRET" --silent --plain) \
            || { log "Infisical login (universal auth) failed"; exit 1; }
        INFISICAL_TOKEN=$token INFISICAL_CLIENT_ID='' INFISICAL_DISABLE_UPDATE_CHECK=true \
            infisical run --projectId="$INFISICAL_PROJECT_ID" --env="$INFISICAL_ENVIRONMENT" -- "$@"
    else
        "$@"
    fi
}

# The browser test drives Debian's Chromium (Playwright's own browser download cannot work here).
ensure_chromium() {
    if command -v chromium >/dev/null; then return; fi
    if [ "$(id -u)" != 0 ]; then log "chromium is missing: apt-get install -y chromium fonts-noto-color-emoji"; return; fi
    log "installing chromium for the browser test"
    apt-get update -qq >/dev/null && apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
}

# Until the sandbox (pid $1) logged that it serves; it stops the script if the sandbox exits (port taken).
wait_for_sandbox() {
    for _ in $(seq 1 150); do
        grep -q "sandbox ready" var/log/sandbox.log && return
        kill -0 "$1" 2>/dev/null || { tail -n 3 var/log/sandbox.log >&2; exit 1; }
        sleep 0.2
    done
    log "the sandbox did not start: see var/log/sandbox.log"; exit 1
}

case "${1:-}" in
    setup) setup ;;
    migrate) ensure_venv; with_secrets "$PY" -m alembic upgrade head ;;
    test)
        shift
        ensure_venv; ensure_postgres; ensure_chromium
        # The suite mostly waits (programs starting, brokers, timeouts): six workers keep two cores busy.
        # A test file runs whole on one worker, and the files that talk to a package's bot all on one, so
        # each bot starts once (tests/kit/scheduling.py). TEST_WORKERS=0 runs everything in this process.
        exec "$PY" -m pytest -n "${TEST_WORKERS:-6}" --dist loadgroup "$@"
        ;;
    lint)
        ensure_venv
        "$VENV/bin/ruff" check . && "$VENV/bin/ruff" format --check . && "$VENV/bin/mypy" core
        ;;
    local)
        setup; ensure_mosquitto
        export BOT_TOKEN=${BOT_TOKEN:-}
        pids=()
        # Whatever way this ends (Ctrl-C, SIGTERM, a program that could not start), the others stop too.
        trap 'kill -TERM "${pids[@]}" 2>/dev/null; wait' INT TERM EXIT
        # --provision: each simulated device asks for a pairing code and prints it; `/add CODE` in the bot pairs it.
        fleet=(--devices "${SIM_DEVICES:-5}" --interval "${SIM_INTERVAL:-10}" --provision)
        if [ -n "$BOT_TOKEN" ] || [ -n "${INFISICAL_CLIENT_ID:-}" ]; then
            with_secrets "$PY" -m processor & pids+=($!)
            with_secrets "$PY" -m bot & pids+=($!)
            "$PY" -m device.simulate "${fleet[@]}" & pids+=($!)
        else
            # No Telegram (nor Infisical): the sandbox stands in for it, the page shows the devices' codes.
            # Each program is started directly, so that its pid is the one stopped; logs go to var/log.
            port=${SANDBOX_PORT:-8080}
            mkdir -p var/log
            "$PY" -m processor >>var/log/processor.log 2>&1 & pids+=($!)
            "$PY" -m sandbox >var/log/sandbox.log 2>&1 & pids+=($!)
            wait_for_sandbox "$!"
            BOT_TOKEN=$("$PY" -c 'from sandbox.settings import TOKEN; print(TOKEN)') \
                TELEGRAM_API_URL="http://127.0.0.1:$port" "$PY" -m bot >>var/log/bot.log 2>&1 & pids+=($!)
            "$PY" -m device.simulate "${fleet[@]}" --backfill 24 --sandbox "http://127.0.0.1:$port" \
                >>var/log/devices.log 2>&1 & pids+=($!)
            echo "SmartAir is running without Telegram: open http://127.0.0.1:$port to chat with the bot (logs in var/log, Ctrl-C stops)"
        fi
        wait
        ;;
    *)
        sed -n '2,8p' "$0" >&2
        exit 2
        ;;
esac
