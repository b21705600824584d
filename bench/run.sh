#!/usr/bin/env bash
# Broadsheet benchmark: bash bench/run.sh [--quick] [--no-big]   (env: BENCH_BIN, BENCH_NO_BUILD, BENCH_ROUNDS, BENCH_DURATION, BENCH_CONNECTIONS)
#
# On one machine and in one run: serves the demo paper with `broadsheet serve`
# and the same story page's bytes as a static file from nginx, and loads both
# alternately with wrk on loopback (story page, home page, section front; each
# against the static file). Also: the view beacon's throughput, peak RSS of
# the server with the demo paper and with a 100,000-story paper, and the time
# from start to the first served request. Results: bench/out/results.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT=$ROOT/bench/out
mkdir -p "$OUT"
DURATION=${BENCH_DURATION:-10}
ROUNDS=${BENCH_ROUNDS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
BIG=1
for a in "$@"; do
    case $a in
        --quick) DURATION=3; ROUNDS=1 ;;
        --no-big) BIG=0 ;;
        *) echo "unknown option $a" >&2; exit 2 ;;
    esac
done

BROWSER_UA="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
need() { command -v "$1" >/dev/null 2>&1; }
if ! need nginx || ! need wrk || ! need curl; then
    echo "installing nginx, wrk, curl (Debian packages)"
    SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo -n"
    $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk curl >/dev/null \
        || $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx wrk curl >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# BENCH_BIN: another build to measure (e.g. an older commit's, to compare
# the same rows before and after a change in one sitting); no build then.
if [[ -n "${BENCH_BIN:-}" ]]; then
    BIN=$BENCH_BIN
else
    [[ -n "${BENCH_NO_BUILD:-}" ]] || cargo build --release --locked -p broadsheet >/dev/null
    BIN=$ROOT/target/release/broadsheet
fi
WORK=$(mktemp -d /tmp/bs-bench.XXXXXX)
chmod 755 "$WORK"  # nginx workers may run as another user
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    [[ -f $WORK/nginx.pid ]] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }

# Starts `broadsheet serve` on DIR; sets SERVER_PID, SERVER_URL, START_MS (launch to first 200 on /).
start_server() {
    local dir=$1 port
    port=$(free_port)
    local t0; t0=$(now_ms)
    BROADSHEET_LOG=warn "$BIN" serve --no-demo --data-dir "$dir" --listen "127.0.0.1:$port" >"$WORK/serve-$port.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    SERVER_URL="http://127.0.0.1:$port"
    for _ in $(seq 1 6000); do
        if curl -fs -o /dev/null "$SERVER_URL/"; then break; fi
        sleep 0.01
    done
    START_MS=$(( $(now_ms) - t0 ))
}
stop_server() { kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; }
peak_rss_mb() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

# wrk → "rps p50_ms p99_ms"
load() {
    local url=$1 out
    # A browser's User-Agent: wrk's own is (rightly) ignored as a bot, and the
    # beacon must really count for its row to mean anything.
    out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency -H "User-Agent: $BROWSER_UA" "$url")
    local rps p50 p99
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    echo "$rps $(to_ms "$p50") $(to_ms "$p99")"
}
to_ms() { # wrk prints 1.23ms / 450.00us / 1.02s
    local v=$1
    case $v in
        *us) awk -v x="${v%us}" 'BEGIN {printf "%.3f", x/1000}' ;;
        *ms) awk -v x="${v%ms}" 'BEGIN {printf "%.3f", x}' ;;
        *s) awk -v x="${v%s}" 'BEGIN {printf "%.3f", x*1000}' ;;
        *) echo "$v" ;;
    esac
}

echo "== first start on an empty data dir (serve makes the demo, then opens)"
FIRST_PORT=$(free_port)
T0=$(now_ms)
BROADSHEET_LOG=warn "$BIN" serve --data-dir "$WORK/first" --listen "127.0.0.1:$FIRST_PORT" >"$WORK/first.log" 2>&1 &
FIRST_PID=$!
PIDS+=("$FIRST_PID")
for _ in $(seq 1 12000); do
    if curl -fs -o /dev/null "http://127.0.0.1:$FIRST_PORT/"; then break; fi
    sleep 0.01
done
FIRST_MS=$(( $(now_ms) - T0 ))
kill -TERM "$FIRST_PID"; wait "$FIRST_PID" 2>/dev/null || true
rm -rf "$WORK/first"

echo "== demo paper (default size)"
T0=$(now_ms)
"$BIN" demo --data-dir "$WORK/demo" >/dev/null
DEMO_MS=$(( $(now_ms) - T0 ))
start_server "$WORK/demo"
DEMO_START_MS=$START_MS
BS=$SERVER_URL
BS_PID=$SERVER_PID
HOME_HTML=$(curl -fs "$BS/")
STORY=$(grep -oE 'href="/[a-z/-]+-[0-9]+"' <<<"$HOME_HTML" | head -1 | cut -d'"' -f2)
SECTION=/news
STORY_ID=${STORY##*-}
echo "story: $STORY"

mkdir -p "$WORK/www"
curl -fs "$BS$STORY" -o "$WORK/www/story.html"
curl -fs "$BS/" -o "$WORK/www/home.html"
curl -fs "$BS$SECTION" -o "$WORK/www/section.html"
BYTES=$(stat -c %s "$WORK/www/story.html")
HOME_BYTES=$(stat -c %s "$WORK/www/home.html")
SECTION_BYTES=$(stat -c %s "$WORK/www/section.html")
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
    types { text/html html; }
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
mkdir -p "$WORK/ngtmp"
"$NGINX" -c "$WORK/nginx.conf" -e "$WORK/nginx-error.log" 2>/dev/null || "$NGINX" -c "$WORK/nginx.conf"
sleep 0.5
STATIC=http://127.0.0.1:$NGPORT/story.html
curl -fs -o /dev/null "$STATIC" || { echo "nginx does not serve $STATIC" >&2; cat "$WORK/nginx-error.log" >&2; exit 1; }
# Warm every page once.
for u in "$BS$STORY" "$BS/" "$BS$SECTION"; do curl -fs -o /dev/null "$u"; done

declare -A SUM_RPS SUM_P50 SUM_P99
add() { SUM_RPS[$1]=$(awk -v a="${SUM_RPS[$1]:-0}" -v b="$2" 'BEGIN{print a+b}'); SUM_P50[$1]=$(awk -v a="${SUM_P50[$1]:-0}" -v b="$3" 'BEGIN{print a+b}'); SUM_P99[$1]=$(awk -v a="${SUM_P99[$1]:-0}" -v b="$4" 'BEGIN{print a+b}'); }
for round in $(seq 1 "$ROUNDS"); do
    for target in story home section beacon; do
        static=$STATIC
        case $target in
            story) url=$BS$STORY ;;
            home) url=$BS/; static=http://127.0.0.1:$NGPORT/home.html ;;
            section) url=$BS$SECTION; static=http://127.0.0.1:$NGPORT/section.html ;;
            beacon) url=$BS/v/$STORY_ID.gif ;;
        esac
        # Alternate: static (the same page's bytes), then ours, back to back.
        read -r r a b < <(load "$static"); add "static-$target" "$r" "$a" "$b"
        read -r r a b < <(load "$url"); add "$target" "$r" "$a" "$b"
        echo "round $round $target: static ${SUM_RPS[static-$target]} / ours ${SUM_RPS[$target]} (cumulative)"
    done
done
DEMO_RSS=$(peak_rss_mb "$BS_PID")
stop_server

avg() { awk -v s="$1" -v n="$ROUNDS" 'BEGIN{printf "%.0f", s/n}'; }
avgf() { awk -v s="$1" -v n="$ROUNDS" 'BEGIN{printf "%.2f", s/n}'; }

BIG_LINE="(skipped: --no-big)"
if [[ $BIG == 1 ]]; then
    echo "== 100,000-story paper"
    T0=$(now_ms)
    "$BIN" demo --data-dir "$WORK/big" --stories 100000 >/dev/null
    BIG_DEMO_MS=$(( $(now_ms) - T0 ))
    start_server "$WORK/big"
    BIG_START_MS=$START_MS
    BIG_STORY=$(curl -fs "$SERVER_URL/" | grep -oE 'href="/[a-z/-]+-[0-9]+"' | head -1 | cut -d'"' -f2)
    read -r bhr _ _ < <(load "$SERVER_URL/")
    read -r bsr _ _ < <(load "$SERVER_URL$BIG_STORY")
    read -r bpr _ _ < <(load "$SERVER_URL$SECTION?page=200")
    BIG_RSS=$(peak_rss_mb "$SERVER_PID")
    stop_server
    BIG_LINE="demo generated in $(awk -v m="$BIG_DEMO_MS" 'BEGIN{printf "%.1f", m/1000}') s; start to first request $BIG_START_MS ms; peak RSS $BIG_RSS MB after loading home ($bhr req/s), a story ($bsr req/s) and /news?page=200 ($bpr req/s); database $(du -sh "$WORK/big" | cut -f1)"
fi

{
    echo "## Run of $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores ($(uname -m)), binary $BIN"
    echo
    echo "wrk -t1 -c$CONNS -d${DURATION}s, $ROUNDS round(s) alternating static/ours, each page against nginx serving its own bytes (the beacon against the story page's); story page $BYTES bytes, home $HOME_BYTES, section $SECTION_BYTES; nginx $("$NGINX" -v 2>&1 | cut -d/ -f2), wrk on loopback."
    echo
    echo "| page | ours req/s | static req/s | ratio | ours p50 ms | static p50 ms | ours p99 ms | static p99 ms |"
    echo "|---|---|---|---|---|---|---|---|"
    for t in story home section beacon; do
        o=$(avg "${SUM_RPS[$t]}"); s=$(avg "${SUM_RPS[static-$t]}")
        ratio=$(awk -v o="$o" -v s="$s" 'BEGIN{printf "%.2f", o/s}')
        echo "| $t | $o | $s | **$ratio** | $(avgf "${SUM_P50[$t]}") | $(avgf "${SUM_P50[static-$t]}") | $(avgf "${SUM_P99[$t]}") | $(avgf "${SUM_P99[static-$t]}") |"
    done
    echo
    echo "- first start on an empty data dir (\`serve\` makes the demo paper, then answers): first 200 on / after $(awk -v m="$FIRST_MS" 'BEGIN{printf "%.1f", m/1000}') s"
    echo "- demo paper (360 stories): generated in $(awk -v m="$DEMO_MS" 'BEGIN{printf "%.1f", m/1000}') s; start to first request $DEMO_START_MS ms; peak RSS $DEMO_RSS MB after the load above"
    echo "- 100,000 stories: $BIG_LINE"
    echo
} | tee -a "$OUT/results.md"
