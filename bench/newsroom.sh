#!/usr/bin/env bash
# Newsroom timings: bash bench/newsroom.sh [RUNS]
# Publish → story on the home page and section front (same node, and another
# node on the same database), and the editor's save round trip, on SQLite and
# PostgreSQL. Appends to bench/out/newsroom.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
RUNS=${1:-15}
mkdir -p bench/out
[[ -n "${BENCH_NO_BUILD:-}" ]] || cargo build --release --locked -p broadsheet >/dev/null
BIN=$ROOT/target/release/broadsheet
WORK=$(mktemp -d /tmp/bs-nr.XXXXXX)
PIDS=()
PGDIR=""
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    [[ -n $PGDIR ]] && bash scripts/pg-throwaway.sh stop "$PGDIR" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
serve() { # serve DATA_DIR EXTRA... -> prints URL
    local p; p=$(port)
    BROADSHEET_LOG=warn "$BIN" serve --no-demo --data-dir "$1" --listen "127.0.0.1:$p" "${@:2}" >"$WORK/serve-$p.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 500); do curl -fs -o /dev/null "http://127.0.0.1:$p/healthz" && break; sleep 0.02; done
    echo "http://127.0.0.1:$p"
}
# The demo prints each role's login once ("  editor USER password PASSWORD  (NAME)").
editor_login() { awk '$1=="editor" && $3=="password" {print $2, $4; exit}' "$1"; }

{
    echo "## Newsroom timings, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores"
    echo
    echo "Medians over $RUNS stories, milliseconds, measured from the moment the publish request returns. Node B is a second \`broadsheet serve\` process on the same database (it learns of the publish from change events, polled every 500 ms)."
    echo
    echo "| backend | runs | save round trip | A: home | A: section | B: home | B: section | B: worst home |"
    echo "|---|---|---|---|---|---|---|---|"
} | tee -a bench/out/newsroom.md

# SQLite: two processes on one file.
"$BIN" demo --data-dir "$WORK/sqlite" --stories 60 >"$WORK/demo-sqlite.out"
A=$(serve "$WORK/sqlite"); B=$(serve "$WORK/sqlite")
read -r U P < <(editor_login "$WORK/demo-sqlite.out")
python3 bench/newsroom.py "$A" "$B" "$U" "$P" sqlite "$RUNS" | tee -a bench/out/newsroom.md

# PostgreSQL: a throwaway cluster.
eval "$(bash scripts/pg-throwaway.sh start | sed 's/^/export /')"
PGDIR=$PG_DIR
"$BIN" demo --data-dir "$WORK/pg" --database-url "$DATABASE_URL" --stories 60 >"$WORK/demo-pg.out"
A=$(serve "$WORK/pg" --database-url "$DATABASE_URL"); B=$(serve "$WORK/pg" --database-url "$DATABASE_URL")
read -r U P < <(editor_login "$WORK/demo-pg.out")
python3 bench/newsroom.py "$A" "$B" "$U" "$P" postgres "$RUNS" | tee -a bench/out/newsroom.md
echo | tee -a bench/out/newsroom.md
