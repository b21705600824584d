#!/usr/bin/env bash
# Breaking news and live pages over Server-Sent Events (issue 12):
#   bash bench/sse.sh [--quick]
#
# Serves the demo paper (SQLite) with `broadsheet serve` on loopback, marks a
# free story live (straight in the database, before the server starts), then
#   1. holds BENCH_SSE_HOLD (10,000) connections to /events?story=… for 10 s
#      from bench/sse_client.py (Python asyncio, raw sockets) and reports how
#      many the node held, and its resident memory (VmRSS) before and with
#      them, per connection;
#   2. with BENCH_SSE_LATENCY (1,000) connections open, adds 20 updates, one
#      every ~0.3 s after the previous arrived everywhere, each written into
#      the database with its change event as another node would (so the time
#      includes this node's 500 ms change-event poll), and reports p50/p99 of
#      the time from the write to its arrival at every connection.
# The fd limit is raised with `ulimit -n` (each process needs HOLD + 256).
# Builds with BENCH_PROFILE (release; `debug` uses the dev build) into
# $CARGO_TARGET_DIR unless BENCH_NO_BUILD is set. Results: bench/out/sse.md.
# Bounded: a fixed number of connections, 10 s of holding, 20 posts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT=$ROOT/bench/out
mkdir -p "$OUT"
PROFILE=${BENCH_PROFILE:-release}
HOLD=${BENCH_SSE_HOLD:-10000}
LAT=${BENCH_SSE_LATENCY:-1000}
for a in "$@"; do
    case $a in
        --quick) HOLD=2000; LAT=200 ;;
        *) echo "unknown option $a" >&2; exit 2 ;;
    esac
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
# The limit is per process: the server and the client each hold HOLD sockets.
if (( NOFILE < HOLD + 256 )); then
    echo "the fd limit is $NOFILE: $HOLD connections need about $((HOLD + 256)) in the server and in the client; raise the hard limit (ulimit -Hn) or set BENCH_SSE_HOLD lower" >&2
    exit 1
fi
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
bench_setup sse curl sqlite3 python3

"$BIN" demo --data-dir "$WORK/paper" >/dev/null
DB=$WORK/paper/broadsheet.db
STORY=$(sqlite3 "$DB" "SELECT id FROM stories WHERE status='published' AND access='free' ORDER BY published_at DESC LIMIT 1")
sqlite3 "$DB" "INSERT INTO live_stories (story_id, started_at, seq) VALUES ($STORY, strftime('%s','now'), 0)"
PORT=$(free_port)
BROADSHEET_LOG=warn "$BIN" serve --no-demo --data-dir "$WORK/paper" --listen "127.0.0.1:$PORT" \
    --base-url "http://127.0.0.1:$PORT" --sse-max-connections $((HOLD + 100)) >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
rss() { awk '/VmRSS/ {print $2}' "/proc/$SERVER/status"; }
before=$(rss)
python3 bench/sse_client.py hold "$PORT" "$HOLD" "$STORY" 0 10 >"$WORK/hold.out" &
CLIENT=$!
# Memory with every connection open (measured while the client holds them).
for _ in $(seq 1 120); do
    grep -q '^opened' "$WORK/hold.out" 2>/dev/null && break
    sleep 0.5
done
sleep 2
with=$(rss)
wait "$CLIENT"
held=$(awk '/^opened/ {print $2}' "$WORK/hold.out")
refused=$(awk '/^opened/ {print $4}' "$WORK/hold.out")
alive=$(awk '/^alive/ {print $2}' "$WORK/hold.out")
sleep 1
python3 bench/sse_client.py latency "$PORT" "$LAT" "$STORY" 0 "$DB" 0 20 >"$WORK/lat.out"
lat=$(tail -1 "$WORK/lat.out")
RESULT=$OUT/sse.md
{
    echo
    echo "## $(date -u '+%Y-%m-%d %H:%M UTC'), profile $PROFILE, $(nproc) cores, fd limit $NOFILE"
    echo
    echo "- Held: $held of $HOLD connections opened (refused $refused), $alive still open after 10 s."
    echo "- Server VmRSS: $((before / 1024)) MiB before, $((with / 1024)) MiB with them: $(( (with - before) * 1024 / (held > 0 ? held : 1) )) bytes per connection."
    echo "- Update to $LAT connections (20 posts, written into the database with a change event: includes the 500 ms poll): $lat"
    echo "- Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee -a "$RESULT"
