#!/usr/bin/env bash
# Where the cycles go on cached hits: bash bench/profile.sh [pages|beacons|logged]
#
# Makes the demo paper, serves it with the release binary (BROADSHEET_LOG
# warn, or info for "logged"), requests every story page once (so all are
# cached), then runs wrk with bench/mixed.lua (every story at random; with
# "beacons" 20 % view beacons from 2,000 signed readers) while `perf record
# -g` samples the server, and prints the flat profile (self time by symbol)
# and the top call chains. Settings: PROFILE_SECS (10), BENCH_CONNECTIONS
# (32). Needs perf (apt-get install -y linux-perf), wrk, curl, python3, and a
# release build (BENCH_NO_BUILD=1 to use the one there).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
MODE=${1:-pages}
SECS=${PROFILE_SECS:-10}
CONNS=${BENCH_CONNECTIONS:-32}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
[[ -n "${BENCH_NO_BUILD:-}" ]] || cargo build --release --locked -p broadsheet >/dev/null
BIN=$TARGET/release/broadsheet
WORK=$(mktemp -d /tmp/bs-profile.XXXXXX)
PID=""
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
UA="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
LEVEL=warn; [[ $MODE == logged ]] && LEVEL=info
PCT=0; [[ $MODE == beacons ]] && PCT=20
"$BIN" demo --data-dir "$WORK/demo" >/dev/null
BROADSHEET_LOG=$LEVEL "$BIN" serve --no-demo --data-dir "$WORK/demo" --listen "127.0.0.1:$PORT" \
    --views-per-client 100000000 --rankings-every-secs 10 >"$WORK/serve.log" 2>&1 &
PID=$!
BS=http://127.0.0.1:$PORT
for _ in $(seq 1 3000); do curl -fs -o /dev/null "$BS/healthz" && break; sleep 0.01; done
python3 - "$WORK/demo/broadsheet.db" >"$WORK/paths" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
for i, path, slug in db.execute("""SELECT s.id, sec.path, s.slug FROM stories s JOIN sections sec
        ON sec.id = s.section_id WHERE s.status = 'published'"""):
    print(f"{i} /{path}/{slug}-{i}")
PY
while read -r _ path; do curl -fs -o /dev/null "$BS$path"; done <"$WORK/paths"
: >"$WORK/cookies"
if [[ $PCT -gt 0 ]]; then
    python3 - "$BS" "$(head -1 "$WORK/paths" | cut -d' ' -f1)" >"$WORK/cookies" <<'PY'
import http.client, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1]); c = http.client.HTTPConnection(u.hostname, u.port)
for _ in range(2000):
    c.request("GET", f"/v/{sys.argv[2]}.gif", headers={"User-Agent": "Mozilla/5.0 Chrome/126.0"})
    r = c.getresponse(); r.read(); v = r.getheader("Set-Cookie", "")
    if v.startswith("bsr="): print(v.split(";")[0][4:])
PY
fi
perf record -F 999 -g -p "$PID" -o "$WORK/perf.data" -- sleep "$SECS" >/dev/null 2>&1 &
PERF=$!
PATHS_FILE=$WORK/paths COOKIES_FILE=$WORK/cookies BEACON_PCT=$PCT \
    wrk -t1 -c"$CONNS" -d"${SECS}s" --latency -s "$ROOT/bench/mixed.lua" -H "User-Agent: $UA" "$BS" \
    | grep -E "Requests/sec|50%|99%"
wait "$PERF" || true
echo "== self time by symbol (server process, $MODE)"
perf report -i "$WORK/perf.data" --no-children --sort symbol --percent-limit 0.7 --stdio 2>/dev/null \
    | grep -E '^ +[0-9]' | head -45
echo "== by shared object"
perf report -i "$WORK/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -8
