#!/usr/bin/env bash
# Content API throughput (issue 13): bash bench/api.sh
#
# Serves the demo paper (SQLite) with `broadsheet serve` on 127.0.0.1 and
# the same JSON answers as static files from nginx, and loads both
# alternately with wrk (BENCH_DURATION s, BENCH_ROUNDS rounds, -t1
# -cBENCH_CONNECTIONS): the first page of /api/v1/stories (20 stories), a
# third page (by cursor), and one story (/api/v1/stories/<id>). The API is
# not page-cached: each answer is read from the database and serialised.
# Builds with BENCH_PROFILE (release; `debug` uses the dev build) unless
# BENCH_NO_BUILD is set. Results: a Markdown block, also appended to
# bench/out/api.md. Bounded: 3 URLs × rounds × 2 × duration.
# BENCH_API_LARGE=N first grows the demo paper to N published stories
# (bench/common.sh's grow_paper: copies of the demo's, bylines and tags
# too, spread over BENCH_LARGE_DAYS (1,500) days; at most BENCH_GEN_SECS
# (300) s of generating).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
PROFILE=${BENCH_PROFILE:-release}
DURATION=${BENCH_DURATION:-8}
ROUNDS=${BENCH_ROUNDS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
bench_setup api wrk curl nginx python3
mkdir -p "$ROOT/bench/out"

"$BIN" demo --data-dir "$WORK/demo" >/dev/null
PAPER="demo paper"
if [[ "${BENCH_API_LARGE:-0}" -gt 0 ]]; then
    DB=$WORK/demo/broadsheet.db
    LARGE=$BENCH_API_LARGE
    GEN_SECS=${BENCH_GEN_SECS:-300}
    DAYS=${BENCH_LARGE_DAYS:-1500}
    DEMO_STORIES=$(sqlite3 "$DB" "SELECT COUNT(*) FROM stories WHERE status='published'")
    grow_paper
    # Build the search index now, so the server does not rebuild it in the
    # background while it is measured.
    REINDEX=$("$BIN" reindex --data-dir "$WORK/demo" 2>&1 | tail -n 1)
    PAPER="$have published stories (grown from the demo in ${GEN} s, $(du -h "$DB" | cut -f1) database; index built first: $REINDEX)"
fi
PORT=$(free_port)
BROADSHEET_LOG=warn "$BIN" serve --no-demo --data-dir "$WORK/demo" --listen "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
SERVER=$!
BS=http://127.0.0.1:$PORT
for _ in $(seq 1 300); do curl -fs -o /dev/null "$BS/healthz" && break; sleep 0.05; done

mkdir -p "$WORK/www"
curl -fs "$BS/api/v1/stories" -o "$WORK/www/page1.json"
C2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["next_cursor"])' "$WORK/www/page1.json")
curl -fs "$BS/api/v1/stories?cursor=$C2" -o "$WORK/www/page2.json"
C3=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["next_cursor"])' "$WORK/www/page2.json")
curl -fs "$BS/api/v1/stories?cursor=$C3" -o "$WORK/www/page3.json"
ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"][0]["id"])' "$WORK/www/page1.json")
curl -fs "$BS/api/v1/stories/$ID" -o "$WORK/www/story.json"

NGPORT=$(free_port)
chmod 755 "$WORK" "$WORK/www"
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
    types { application/json json; }
    client_body_temp_path $WORK/ngtmp;
    proxy_temp_path $WORK/ngtmp;
    fastcgi_temp_path $WORK/ngtmp;
    uwsgi_temp_path $WORK/ngtmp;
    scgi_temp_path $WORK/ngtmp;
    server { listen 127.0.0.1:$NGPORT; root $WORK/www; location / { etag on; } }
}
NGINX
mkdir -p "$WORK/ngtmp"
NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
"$NGINX_BIN" -c "$WORK/nginx.conf" -e "$WORK/nginx-error.log" 2>/dev/null || "$NGINX_BIN" -c "$WORK/nginx.conf"
trap 'kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true; bench_cleanup' EXIT
sleep 0.3

load() { # url -> "rps p99_ms"
    wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "$1" | awk '
        /Requests\/sec/ {r=$2}
        $1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; p=v}
        END {printf "%s %.2f\n", r, p}'
}
declare -A OURS STATIC P99O P99S
rows=(page1 page3 story)
for round in $(seq 1 "$ROUNDS"); do
    for row in "${rows[@]}"; do
        case $row in
            page1) url="$BS/api/v1/stories"; file=page1.json ;;
            page3) url="$BS/api/v1/stories?cursor=$C3"; file=page3.json ;;
            story) url="$BS/api/v1/stories/$ID"; file=story.json ;;
        esac
        read -r s sp < <(load "http://127.0.0.1:$NGPORT/$file")
        read -r o op < <(load "$url")
        STATIC[$row]="${STATIC[$row]:-} $s"; OURS[$row]="${OURS[$row]:-} $o"
        P99S[$row]="${P99S[$row]:-} $sp"; P99O[$row]="${P99O[$row]:-} $op"
        echo "round $round $row: nginx $s req/s, ours $o req/s"
    done
done
{
    echo "### bench/api.sh, $(date -u +%Y-%m-%dT%H:%MZ), $PROFILE build, SQLite, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "$PAPER; wrk -t1 -c$CONNS -d${DURATION}s, $ROUNDS round(s), nginx serving the same JSON bytes before ours in each round."
    echo
    echo "| answer | bytes | ours req/s (rounds) | nginx req/s (rounds) | ratio per round | ours p99 ms | nginx p99 ms |"
    echo "|---|---|---|---|---|---|---|"
    for row in "${rows[@]}"; do
        case $row in page1) f=page1.json ;; page3) f=page3.json ;; story) f=story.json ;; esac
        ratios=$(paste <(tr ' ' '\n' <<<"${OURS[$row]}" | sed '/^$/d') <(tr ' ' '\n' <<<"${STATIC[$row]}" | sed '/^$/d') | awk '{printf "%s%.2f", (NR>1?", ":""), $1/$2}')
        echo "| $row | $(stat -c %s "$WORK/www/$f") |${OURS[$row]} |${STATIC[$row]} | $ratios |${P99O[$row]} |${P99S[$row]} |"
    done
    echo
} | tee -a "$ROOT/bench/out/api.md"
