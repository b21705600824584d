#!/usr/bin/env bash
# Mixed-traffic benchmark: bash bench/mixed.sh [--no-big]
#
# In one run on one machine, against `broadsheet serve` and nginx serving the
# same bytes (access logs off on both sides unless said):
#   one      one story page again and again (today's figure)
#   pages    every story of the demo paper, one chosen at random per request
#   beacons  the same with 20% view beacons from distinct signed readers
#   logged   pages, with the access log on (BROADSHEET_LOG=info)
#   big-*    the same two over the 100,000-story paper's 1,000 newest stories
# plus the cold-render time of every demo story page (p50/p99), the server's
# memory at the end of each run, and /metrics counters. Results go to
# bench/out/mixed.md. Settings: BENCH_DURATION (s, 8), BENCH_ROUNDS (2),
# BENCH_CONNECTIONS (32), BEACON_PCT (20).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT=$ROOT/bench/out
mkdir -p "$OUT"
DURATION=${BENCH_DURATION:-8}
ROUNDS=${BENCH_ROUNDS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
PCT=${BEACON_PCT:-20}
BIG=1
for a in "$@"; do
    case $a in
        --no-big) BIG=0 ;;
        *) echo "unknown option $a" >&2; exit 2 ;;
    esac
done
BROWSER_UA="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
for t in nginx wrk curl python3; do
    command -v "$t" >/dev/null 2>&1 || [[ -x /usr/sbin/$t ]] || { echo "needs $t (apt-get install -y nginx-light wrk curl)" >&2; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
[[ -n "${BENCH_NO_BUILD:-}" ]] || cargo build --release --locked -p broadsheet >/dev/null
BIN=$TARGET/release/broadsheet
WORK=$(mktemp -d /tmp/bs-mixed.XXXXXX)
chmod 755 "$WORK"
SERVER_PID=""
cleanup() {
    [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null || true
    [[ -f $WORK/nginx.pid ]] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_server DIR LOGLEVEL: sets SERVER_PID, BS. The view cap is raised
# because every wrk connection comes from 127.0.0.1 (one "client").
# /metrics on the public listener needs the bearer token (--metrics-token).
METRICS_TOKEN=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
start_server() {
    local port; port=$(free_port)
    BROADSHEET_LOG=$2 "$BIN" serve --no-demo --data-dir "$1" --listen "127.0.0.1:$port" \
        --metrics-token "$METRICS_TOKEN" \
        --views-per-client 100000000 --rankings-every-secs 10 >"$WORK/serve-$port.log" 2>&1 &
    SERVER_PID=$!
    BS=http://127.0.0.1:$port
    for _ in $(seq 1 6000); do curl -fs -o /dev/null "$BS/healthz" && break; sleep 0.01; done
}
stop_server() { kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }
mem() { awk '/VmRSS/ {r=$2} /VmHWM/ {h=$2} END {printf "%.0f/%.0f", r/1024, h/1024}' "/proc/$1/status"; }

# Story ids and paths, newest first, straight from the database file.
list_stories() { # DB LIMIT -> "id path" lines
    python3 - "$1" "$2" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
rows = db.execute("""SELECT s.id, sec.path, s.slug FROM stories s JOIN sections sec ON sec.id = s.section_id
    WHERE s.status = 'published' ORDER BY s.published_at DESC, s.id DESC LIMIT ?""", (int(sys.argv[2]),))
for i, path, slug in rows:
    print(f"{i} /{path}/{slug}-{i}")
PY
}

# Signed reader cookies: what the beacon hands a new reader.
make_cookies() { # URL STORY N -> file
    python3 - "$1" "$2" "$3" <<'PY'
import http.client, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port)
ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
for _ in range(int(sys.argv[3])):
    c.request("GET", f"/v/{sys.argv[2]}.gif", headers={"User-Agent": ua})
    r = c.getresponse(); r.read()
    v = r.getheader("Set-Cookie", "")
    if v.startswith("bsr="):
        print(v.split(";")[0][4:])
PY
}

# Copies every listed page's bytes for nginx: www/p/<n>.html; writes the
# static paths file.
mirror() { # PATHS OUT_PATHS
    local n=0
    mkdir -p "$WORK/www/p"
    : >"$2"
    while read -r id path; do
        curl -fs "$BS$path" -o "$WORK/www/p/$n.html"
        echo "$id /p/$n.html" >>"$2"
        n=$((n + 1))
    done <"$1"
}

NGPORT=$(free_port)
cat >"$WORK/nginx.conf" <<NGINX
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    types { text/html html; image/gif gif; }
    client_body_temp_path $WORK/ngtmp;
    proxy_temp_path $WORK/ngtmp;
    fastcgi_temp_path $WORK/ngtmp;
    uwsgi_temp_path $WORK/ngtmp;
    scgi_temp_path $WORK/ngtmp;
    server {
        listen 127.0.0.1:$NGPORT;
        root $WORK/www;
        location / { etag on; }
    }
}
NGINX
mkdir -p "$WORK/ngtmp" "$WORK/www"
printf 'GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;' >"$WORK/www/v.gif"
"$NGINX" -c "$WORK/nginx.conf" -e "$WORK/nginx-error.log" 2>/dev/null || "$NGINX" -c "$WORK/nginx.conf"
STATIC=http://127.0.0.1:$NGPORT

# wrk → "rps p50_ms p99_ms"
to_ms() {
    local v=$1
    case $v in
        *us) awk -v x="${v%us}" 'BEGIN {printf "%.2f", x/1000}' ;;
        *ms) awk -v x="${v%ms}" 'BEGIN {printf "%.2f", x}' ;;
        *s) awk -v x="${v%s}" 'BEGIN {printf "%.2f", x*1000}' ;;
        *) echo "$v" ;;
    esac
}
run_wrk() { # BASE PATHS PCT STATICFLAG [URL for one page]
    local out
    if [[ -n ${5:-} ]]; then
        out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency -H "User-Agent: $BROWSER_UA" "$5")
    else
        out=$(PATHS_FILE=$2 COOKIES_FILE=$WORK/cookies BEACON_PCT=$3 STATIC=$4 \
            wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency -s "$ROOT/bench/mixed.lua" \
            -H "User-Agent: $BROWSER_UA" "$1")
    fi
    echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(to_ms "$(awk '$1=="50%" {print $2}' <<<"$out")") $(to_ms "$(awk '$1=="99%" {print $2}' <<<"$out")")"
}
ROWS=()
row() { # NAME ours(rps p50 p99) static(rps p50 p99) mem
    local name=$1; shift
    local o=$1 op50=$2 op99=$3 s=$4 sp50=$5 sp99=$6 m=$7
    local ratio; ratio=$(awk -v o="$o" -v s="$s" 'BEGIN{printf "%.2f", o/s}')
    ROWS+=("| $name | $(printf %.0f "$o") | $(printf %.0f "$s") | **$ratio** | $op50 | $sp50 | $op99 | $sp99 | $m |")
    echo "${ROWS[-1]}"
}

echo "== demo paper"
"$BIN" demo --data-dir "$WORK/demo" >/dev/null
start_server "$WORK/demo" warn
list_stories "$WORK/demo/broadsheet.db" 100000 >"$WORK/demo.paths" 2>/dev/null \
    || list_stories "$(ls "$WORK"/demo/*.db | head -1)" 100000 >"$WORK/demo.paths"
N_DEMO=$(wc -l <"$WORK/demo.paths")
# Cold renders: every story page once, on a cache that has never seen it.
COLD=$(while read -r _ path; do curl -fs -o /dev/null -w '%{time_starttransfer}\n' "$BS$path"; done <"$WORK/demo.paths" \
    | sort -n | awk '{a[NR]=$1} END {printf "p50 %.2f ms, p99 %.2f ms (n=%d)", a[int(NR*0.5)]*1000, a[int(NR*0.99)]*1000, NR}')
HOT=$(while read -r _ path; do curl -fs -o /dev/null -w '%{time_starttransfer}\n' "$BS$path"; done <"$WORK/demo.paths" \
    | sort -n | awk '{a[NR]=$1} END {printf "p50 %.2f ms, p99 %.2f ms", a[int(NR*0.5)]*1000, a[int(NR*0.99)]*1000}')
echo "cold story renders: $COLD; the same pages cached: $HOT"
mirror "$WORK/demo.paths" "$WORK/demo.static"
FIRST_ID=$(head -1 "$WORK/demo.paths" | cut -d' ' -f1)
FIRST=$(head -1 "$WORK/demo.paths" | cut -d' ' -f2)
make_cookies "$BS" "$FIRST_ID" 5000 >"$WORK/cookies"
echo "$(wc -l <"$WORK/cookies") signed reader cookies"

declare -A R
acc() { R[$1]="${R[$1]:-} $2"; }
for round in $(seq 1 "$ROUNDS"); do
    acc one-static "$(run_wrk "$STATIC" "" 0 1 "$STATIC/p/0.html")"
    acc one "$(run_wrk "$BS" "" 0 0 "$BS$FIRST")"
    acc pages-static "$(run_wrk "$STATIC" "$WORK/demo.static" 0 1)"
    acc pages "$(run_wrk "$BS" "$WORK/demo.paths" 0 0)"
    acc beacons-static "$(run_wrk "$STATIC" "$WORK/demo.static" "$PCT" 1)"
    acc beacons "$(run_wrk "$BS" "$WORK/demo.paths" "$PCT" 0)"
    echo "round $round done"
done
DEMO_MEM=$(mem "$SERVER_PID")
METRICS=$(curl -fs -H "Authorization: Bearer $METRICS_TOKEN" "$BS/metrics" | grep -E '^broadsheet_(views_counted_total|views_refused_total|views_dropped_total|page_renders_total|fragment_renders_total|page_cache_hit_ratio|page_cache_bytes)' | tr '\n' ';' || true)
stop_server
# The access log on (info): pages only.
start_server "$WORK/demo" info
while read -r _ path; do curl -fs -o /dev/null "$BS$path"; done <"$WORK/demo.paths"
for round in $(seq 1 "$ROUNDS"); do
    acc logged-static "$(run_wrk "$STATIC" "$WORK/demo.static" 0 1)"
    acc logged "$(run_wrk "$BS" "$WORK/demo.paths" 0 0)"
done
stop_server

avg3() { awk '{for (i=1;i<=NF;i++) s[(i-1)%3]+=$i; n=NF/3} END {printf "%.0f %.2f %.2f", s[0]/n, s[1]/n, s[2]/n}' <<<"$1"; }
spread() { awk '{lo=1e18; hi=0; for (i=1;i<=NF;i+=3) { if ($i<lo) lo=$i; if ($i>hi) hi=$i } printf "%.0f–%.0f", lo, hi}' <<<"$1"; }
for t in one pages beacons logged; do
    read -r o a b <<<"$(avg3 "${R[$t]}")"
    read -r s c d <<<"$(avg3 "${R[$t-static]}")"
    m=$DEMO_MEM; [[ $t == logged ]] && m="-"
    row "$t (ours $(spread "${R[$t]}"), nginx $(spread "${R[$t-static]}"))" "$o" "$a" "$b" "$s" "$c" "$d" "$m"
done

if [[ $BIG == 1 ]]; then
    echo "== 100,000-story paper"
    "$BIN" demo --data-dir "$WORK/big" --stories 100000 >/dev/null
    start_server "$WORK/big" warn
    DB=$(ls "$WORK"/big/*.db | head -1)
    list_stories "$DB" 1000 >"$WORK/big.paths"
    rm -rf "$WORK/www/p"
    mirror "$WORK/big.paths" "$WORK/big.static"
    for round in $(seq 1 "$ROUNDS"); do
        acc big-pages-static "$(run_wrk "$STATIC" "$WORK/big.static" 0 1)"
        acc big-pages "$(run_wrk "$BS" "$WORK/big.paths" 0 0)"
        acc big-beacons-static "$(run_wrk "$STATIC" "$WORK/big.static" "$PCT" 1)"
        acc big-beacons "$(run_wrk "$BS" "$WORK/big.paths" "$PCT" 0)"
    done
    BIG_MEM=$(mem "$SERVER_PID")
    stop_server
    for t in big-pages big-beacons; do
        read -r o a b <<<"$(avg3 "${R[$t]}")"
        read -r s c d <<<"$(avg3 "${R[$t-static]}")"
        row "$t (ours $(spread "${R[$t]}"), nginx $(spread "${R[$t-static]}"))" "$o" "$a" "$b" "$s" "$c" "$d" "$BIG_MEM"
    done
fi

{
    echo "## Mixed traffic, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "wrk -t1 -c$CONNS -d${DURATION}s, $ROUNDS round(s), nginx and ours back to back; $N_DEMO demo stories; beacons $PCT% from $(wc -l <"$WORK/cookies") signed readers; log level warn unless 'logged'."
    echo
    echo "| run (req/s spread) | ours req/s | nginx req/s | ratio | ours p50 ms | nginx p50 ms | ours p99 ms | nginx p99 ms | RSS/peak MB |"
    echo "|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "- cold story page renders (demo paper, first request of each page): $COLD; cached: $HOT"
    echo "- /metrics after the demo runs: $METRICS"
    echo
} | tee -a "$OUT/mixed.md"
