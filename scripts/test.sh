#!/usr/bin/env bash
# Broadsheet's test command: bash scripts/test.sh [STAGE ...]
#
# Installs what the checks need (if missing), then runs the stages in order:
#   fmt              cargo fmt --all -- --check
#   clippy           clippy's lints, -D warnings, on every target of the workspace, as
#                    it builds them for the tests (cargo test --workspace --all-targets
#                    --no-run with clippy-driver as RUSTC_WORKSPACE_WRAPPER; see below)
#   tests-sqlite     cargo test --workspace with BROADSHEET_TEST_BACKEND=sqlite
#   tests-postgres   cargo test --workspace with BROADSHEET_TEST_BACKEND=postgres and
#                    BROADSHEET_TEST_DATABASE_URL=<admin URL of a throwaway cluster>
#   api-schema       schemathesis (PyPI) against the Content API's OpenAPI document,
#                    served by the dev binary from a small demo paper
#   browser-sqlite   browser/check.mjs against the binary, SQLite backend
#   browser-postgres browser/check.mjs against the binary, PostgreSQL backend
#                    (alongside browser-sqlite when both run; see PAIR_BROWSERS)
# With STAGE arguments only those stages run (e.g. `bash scripts/test.sh fmt clippy`).
# Every stage runs even if an earlier one failed. The last line printed is
# "N passed, M failed" (counting stages); the exit status is 1 if any failed.
#
# Environment: CI (set: CARGO_PROFILE_DEV_DEBUG=0, CARGO_INCREMENTAL=0),
# BROADSHEET_SKIP_INSTALL=1 (check nothing, install nothing), CARGO_TARGET_DIR,
# BROADSHEET_BROWSER_SERIAL=1 (the browser stages one after the other),
# BROADSHEET_BIN=PATH (browser stages use this binary and skip the release
# build; e.g. browser/fake-broadsheet.mjs to test the harness itself).

set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
ROOT=$PWD
ALL_STAGES=(fmt clippy tests-sqlite tests-postgres api-schema browser-sqlite browser-postgres)
RUN_START=$SECONDS

if [[ -n "${CI:-}" ]]; then
    # Smaller and faster clean builds; values already set in the environment win.
    export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}"
    export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
    export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
fi
# Keep the process environment's DATABASE_URL out of the build and the tests.
unset DATABASE_URL

# Clippy lints the workspace's crates while they are built for the tests:
# clippy-driver is rustc with the lints added, set as the wrapper of the
# workspace's crates only (dependencies are built by rustc as always). This is
# what `cargo clippy` does, but in a build that makes code: `cargo clippy`
# type-checks every dependency a second time without making code, which was
# ten minutes of CI's forty. Every cargo command below runs with the same
# wrapper and arguments, so none rebuilds what another built; a lint that
# fails therefore fails the test stages' build too. Without clippy-driver
# (no clippy component), the clippy stage says so and fails, the others run.
CLIPPY_DRIVER=$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver 2>/dev/null || true)
if [[ -n "$CLIPPY_DRIVER" ]]; then
    export RUSTC_WORKSPACE_WRAPPER="$CLIPPY_DRIVER"
    export CLIPPY_ARGS="-Dwarnings__CLIPPY_HACKERY__"
fi
LOCKED=()
[[ -f Cargo.lock ]] && LOCKED=(--locked)

# ------------------------------------------------------------------ helpers

say() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
elapsed() { printf '%ss' "$((SECONDS - $1))"; }

as_root() {
    if [[ "$(id -u)" -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        echo "not root and no sudo: cannot run: $*" >&2
        return 1
    fi
}

want() { # is stage $1 selected?
    local s
    for s in "${STAGES[@]}"; do
        [[ "$s" == "$1" ]] && return 0
    done
    return 1
}

# ------------------------------------------------------------------ arguments

STAGES=()
if (($# == 0)); then
    STAGES=("${ALL_STAGES[@]}")
else
    for arg in "$@"; do
        case " ${ALL_STAGES[*]} " in
            *" $arg "*) STAGES+=("$arg") ;;
            *)
                echo "unknown stage '$arg'; stages: ${ALL_STAGES[*]}" >&2
                exit 2
                ;;
        esac
    done
fi
NEED_PG=0
NEED_BROWSER=0
if want tests-postgres || want browser-postgres; then NEED_PG=1; fi
if want browser-sqlite || want browser-postgres; then NEED_BROWSER=1; fi

# ------------------------------------------------------------------ installs

pg_bindir() {
    local d
    d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    [[ -x "$d/initdb" ]] && printf '%s\n' "$d"
}

install_apt() {
    local missing=() t
    if ((NEED_PG)); then
        pg_bindir >/dev/null || missing+=(postgresql)
        command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
    fi
    if ((NEED_BROWSER)); then
        [[ -x /usr/bin/chromium ]] || missing+=(chromium)
        command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
    fi
    ((${#missing[@]})) || return 0
    say "install: apt-get install ${missing[*]}"
    t=$SECONDS
    if ! as_root apt-get update -qq >/tmp/broadsheet-apt.log 2>&1 ||
        ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >>/tmp/broadsheet-apt.log 2>&1; then
        echo "apt-get failed (the stages that need ${missing[*]} will fail):" >&2
        tail -n 20 /tmp/broadsheet-apt.log >&2
        return 1
    fi
    note "installed in $(elapsed "$t")"
}

install_npm() {
    local want_sum have_sum="" t
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        echo "node and npm are needed for the browser checks (Node.js 20 or later)" >&2
        return 1
    fi
    want_sum=$(cat browser/package.json browser/package-lock.json | sha256sum | cut -d' ' -f1)
    [[ -f browser/node_modules/.broadsheet-lock-sum ]] && have_sum=$(cat browser/node_modules/.broadsheet-lock-sum)
    [[ "$want_sum" == "$have_sum" ]] && return 0
    say "install: npm ci in browser/"
    t=$SECONDS
    # --ignore-scripts: vnu-jar's postinstall would try to download a Java
    # runtime; the Debian one is used instead.
    if ! (cd browser && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error --silent); then
        echo "npm ci failed" >&2
        return 1
    fi
    printf '%s\n' "$want_sum" >browser/node_modules/.broadsheet-lock-sum
    note "installed in $(elapsed "$t")"
}

# The Python fixtures of the integration tests, in one shared venv
# (.venv-test, or $BROADSHEET_TEST_VENV): aiosmtpd, the SMTP sink of the
# reader mail tests (tests/it/readers.rs), and localstripe, the fake Stripe
# of the subscription tests (tests-fixtures/stripe_shim.py runs it), feedparser
# (the feed tests) and schemathesis (the api-schema stage). Made only
# if missing; python3-venv comes from apt if `python3 -m venv` cannot make one.
ensure_test_venv() {
    local venv=${BROADSHEET_TEST_VENV:-$ROOT/.venv-test} t
    if [[ -x "$venv/bin/python" ]] && "$venv/bin/python" -c 'import aiosmtpd, localstripe, feedparser, schemathesis' >/dev/null 2>&1; then
        return 0
    fi
    say "install: aiosmtpd and localstripe into $venv"
    t=$SECONDS
    if [[ ! -x "$venv/bin/pip" ]]; then
        rm -rf "$venv"
        if ! python3 -m venv "$venv" >/tmp/broadsheet-venv.log 2>&1; then
            rm -rf "$venv"
            as_root apt-get update -qq >>/tmp/broadsheet-venv.log 2>&1
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                python3-venv >>/tmp/broadsheet-venv.log 2>&1
            if ! python3 -m venv "$venv" >>/tmp/broadsheet-venv.log 2>&1; then
                echo "cannot make a Python venv at $venv (the mail and subscription tests will fail):" >&2
                tail -n 20 /tmp/broadsheet-venv.log >&2
                return 1
            fi
        fi
    fi
    if ! "$venv/bin/pip" install -q aiosmtpd localstripe feedparser 'schemathesis==4.32.5' >>/tmp/broadsheet-venv.log 2>&1; then
        echo "pip install aiosmtpd localstripe failed (the mail and subscription tests will fail):" >&2
        tail -n 20 /tmp/broadsheet-venv.log >&2
        return 1
    fi
    note "installed in $(elapsed "$t")"
}

# The OpenID provider the social sign-in tests start (tests/it/oidc.rs):
# oidc-provider from npm in tests-fixtures/, installed when missing or when
# tests-fixtures/package-lock.json changed.
ensure_oidc_provider() {
    local want_sum have_sum="" t
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        echo "node and npm are needed for the social sign-in tests (Node.js 20 or later)" >&2
        return 1
    fi
    want_sum=$(cat tests-fixtures/package.json tests-fixtures/package-lock.json | sha256sum | cut -d' ' -f1)
    [[ -f tests-fixtures/node_modules/.broadsheet-lock-sum ]] &&
        have_sum=$(cat tests-fixtures/node_modules/.broadsheet-lock-sum)
    [[ "$want_sum" == "$have_sum" && -f tests-fixtures/node_modules/oidc-provider/package.json ]] && return 0
    say "install: npm ci in tests-fixtures/ (oidc-provider)"
    t=$SECONDS
    if ! (cd tests-fixtures && npm ci --no-audit --no-fund --loglevel=error --silent); then
        echo "npm ci in tests-fixtures/ failed: the social sign-in tests will fail" >&2
        return 1
    fi
    printf '%s\n' "$want_sum" >tests-fixtures/node_modules/.broadsheet-lock-sum
    note "installed in $(elapsed "$t")"
}

if [[ "${BROADSHEET_SKIP_INSTALL:-}" != 1 ]]; then
    install_apt
    if ((NEED_BROWSER)); then install_npm; fi
    if want tests-sqlite || want tests-postgres || want api-schema; then
        ensure_test_venv
        ensure_oidc_provider
    fi
    # The browser checks' reader journey mails through aiosmtpd and pays
    # through localstripe (browser/check.mjs starts both).
    if ((NEED_BROWSER)); then ensure_test_venv; fi
fi

# ------------------------------------------------------------------ PostgreSQL

PG_DIR=""
PG_URL_BASE=""   # postgres://postgres@127.0.0.1:PORT
PG_STATE=none    # none | up | failed

pg_up() {
    local out line
    case "$PG_STATE" in
        up) return 0 ;;
        failed) return 1 ;;
    esac
    say "start a throwaway PostgreSQL cluster"
    if ! out=$(bash scripts/pg-throwaway.sh start); then
        PG_STATE=failed
        return 1
    fi
    while IFS= read -r line; do
        case "$line" in
            PG_DIR=*) PG_DIR=${line#PG_DIR=} ;;
            PG_PORT=*) PG_URL_BASE="postgres://postgres@127.0.0.1:${line#PG_PORT=}" ;;
        esac
    done <<<"$out"
    PG_STATE=up
    note "$PG_URL_BASE/postgres (data in $PG_DIR)"
}

pg_down() {
    if [[ -n "$PG_DIR" ]]; then
        bash scripts/pg-throwaway.sh stop "$PG_DIR" || true
        PG_DIR=""
        PG_STATE=none
    fi
}

cleanup() {
    if [[ -n "${PAIR_PID:-}" ]] && kill -0 "$PAIR_PID" 2>/dev/null; then
        pkill -P "$PAIR_PID" 2>/dev/null
        kill "$PAIR_PID" 2>/dev/null
    fi
    pg_down
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ stages

stage_fmt() { cargo fmt --all -- --check; }

stage_clippy() {
    if [[ -z "$CLIPPY_DRIVER" ]]; then
        echo "clippy-driver not found: rustup component add clippy" >&2
        return 1
    fi
    cargo test --workspace --all-targets --no-run "${LOCKED[@]}"
}

stage_tests_sqlite() {
    env -u BROADSHEET_TEST_DATABASE_URL BROADSHEET_TEST_BACKEND=sqlite cargo test --workspace
}

stage_tests_postgres() {
    pg_up || return 1
    BROADSHEET_TEST_BACKEND=postgres BROADSHEET_TEST_DATABASE_URL="$PG_URL_BASE/postgres" \
        cargo test --workspace
}

TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
# The browser checks use the binary the Rust tests already built (dev profile,
# dependencies optimised): a release build would add minutes to CI and the
# checks measure behaviour, not speed. BROADSHEET_BROWSER_PROFILE=release to
# check the release binary instead.
PROFILE=${BROADSHEET_BROWSER_PROFILE:-dev}
if [[ $PROFILE == release ]]; then BIN="$TARGET_DIR/release/broadsheet"; else BIN="$TARGET_DIR/debug/broadsheet"; fi
RELEASE_STATE=none # none | ok | failed
if [[ -n "${BROADSHEET_BIN:-}" ]]; then
    BIN=$BROADSHEET_BIN
    RELEASE_STATE=ok
    echo "BROADSHEET_BIN is set: browser checks use $BIN (no release build)"
fi

build_release() {
    local t
    case "$RELEASE_STATE" in
        ok) return 0 ;;
        failed)
            echo "the release build failed (see above): no browser checks" >&2
            return 1
            ;;
    esac
    # The dev binary as the Rust tests build it (`cargo test` compiles the
    # dependencies with the features the dev-dependencies add, and `cargo
    # build -p broadsheet` without them, which recompiled a dozen crates for
    # three minutes in CI): after the test stages this is a no-op.
    local build=(cargo build --profile "$PROFILE" "${LOCKED[@]}" -p broadsheet)
    [[ $PROFILE == dev ]] && build=(cargo test --workspace --no-run "${LOCKED[@]}")
    say "build the binary: ${build[*]}"
    t=$SECONDS
    if "${build[@]}"; then
        RELEASE_STATE=ok
        note "built in $(elapsed "$t")"
    else
        RELEASE_STATE=failed
        echo "the release build failed: no browser checks" >&2
        return 1
    fi
}

# The Content API against its own OpenAPI document: every check schemathesis
# has on every operation, but one: a story list's `cursor` is an opaque token
# only the API makes, so a random string the schema allows is rightly
# refused (400 bad_cursor); that list is checked for everything else.
stage_api_schema() {
    build_release || return 1
    local venv=${BROADSHEET_TEST_VENV:-$ROOT/.venv-test} dir port pid rc=0 up=0
    dir=$(mktemp -d /tmp/bs-api-schema.XXXXXX)
    if ! "$BIN" demo --stories 40 --data-dir "$dir" >/dev/null; then
        rm -rf "$dir"
        return 1
    fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    BROADSHEET_LOG=warn "$BIN" serve --no-demo --data-dir "$dir" --listen "127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 300); do
        if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
            "http://127.0.0.1:$port/healthz" 2>/dev/null; then up=1; break; fi
        sleep 0.1
    done
    if ((up)); then
        local st=("$venv/bin/schemathesis" run "http://127.0.0.1:$port/api/v1/openapi.json"
            -n 25 --generation-deterministic --request-timeout 10)
        "${st[@]}" --checks all --exclude-checks positive_data_acceptance || rc=1
        "${st[@]}" --checks positive_data_acceptance --exclude-path /api/v1/stories || rc=1
    else
        echo "the server did not start:" >&2
        cat "$dir/serve.log" >&2
        rc=1
    fi
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rm -rf "$dir"
    return $rc
}

stage_browser_sqlite() {
    build_release || return 1
    node browser/check.mjs --bin "$BIN" --out browser/out/sqlite
}

stage_browser_postgres() {
    build_release || return 1
    pg_up || return 1
    PGOPTIONS='-c client_min_messages=warning' "$(pg_bindir)/psql" -X -q -v ON_ERROR_STOP=1 "$PG_URL_BASE/postgres" \
        -c 'drop database if exists bs_browser' -c 'create database bs_browser' || return 1
    node browser/check.mjs --bin "$BIN" --database-url "$PG_URL_BASE/bs_browser" --out browser/out/postgres
}

# The two browser stages run side by side when both are chosen: each is a
# browser and a server waiting on each other (one keeps two cores about 60 %
# busy), so the pair takes little longer than one. The PostgreSQL one starts
# with the SQLite one, its output kept and printed when its turn comes.
# BROADSHEET_BROWSER_SERIAL=1 runs them one after the other.
PAIR_PID=""
PAIR_LOG=""
if want browser-sqlite && want browser-postgres && [[ -z "${BROADSHEET_BROWSER_SERIAL:-}" ]]; then
    PAIR_BROWSERS=1
else
    PAIR_BROWSERS=0
fi

start_browser_postgres_alongside() {
    # The binary and the cluster are made (and later stopped) by this shell.
    build_release && pg_up
    PAIR_LOG=$(mktemp /tmp/broadsheet-browser-postgres.XXXXXX)
    (
        trap - EXIT
        stage_browser_postgres
    ) >"$PAIR_LOG" 2>&1 &
    PAIR_PID=$!
    note "browser-postgres runs alongside (pid $PAIR_PID); its output follows when it ends"
}

stage_browser_postgres_alongside() {
    local rc=0
    [[ -n "$PAIR_PID" ]] || return 1
    wait "$PAIR_PID" || rc=$?
    cat "$PAIR_LOG"
    rm -f "$PAIR_LOG"
    return $rc
}

PASSED=0
FAILED=0
REPORT=()
n=0
for stage in "${STAGES[@]}"; do
    n=$((n + 1))
    say "[$n/${#STAGES[@]}] $stage"
    t=$SECONDS
    fn="stage_${stage//-/_}"
    if ((PAIR_BROWSERS)); then
        case "$stage" in
            browser-sqlite) start_browser_postgres_alongside ;;
            browser-postgres)
                fn=stage_browser_postgres_alongside
                note "(started with browser-sqlite; the time below is the wait after it)"
                ;;
        esac
    fi
    if "$fn"; then
        PASSED=$((PASSED + 1))
        REPORT+=("$(printf 'PASS  %-17s %5ss' "$stage" "$((SECONDS - t))")")
        note "$stage passed in $(elapsed "$t")"
    else
        FAILED=$((FAILED + 1))
        REPORT+=("$(printf 'FAIL  %-17s %5ss' "$stage" "$((SECONDS - t))")")
        note "$stage FAILED after $(elapsed "$t")"
    fi
done

pg_down

say "summary ($(elapsed "$RUN_START") in all)"
for line in "${REPORT[@]}"; do
    note "$line"
done
if ((NEED_BROWSER)); then
    note "screenshots and server logs: browser/out/<backend>/"
fi
echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
