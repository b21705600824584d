#!/usr/bin/env bash
# Paywall benchmark: bash bench/paywall.sh [--quick]
#
# One machine, one run: serves the demo paper with `broadsheet serve` and,
# for each of four readers, the exact bytes Broadsheet sends that reader as a
# static file from nginx; loads both alternately with wrk on loopback:
#   free     anonymous reader, free story (shared-cacheable page)
#   metered  anonymous reader with meter left, metered story (private;
#            the gate checks the signed cookie and reads the meter)
#   spent    anonymous reader whose meter is spent, metered story (the cut)
#   sub      signed-in subscriber, subscribers-only story (session and
#            entitlement read, then the full page)
#   nocookie a request without any cookie for a metered story from an
#            address that has started all its device meters today (wrk
#            and crawlers: the cut, and no cookie)
# After the first request of each reader the gate decides from the node's
# memory (gatecache.rs), so these rows measure the hot path.
# Reports req/s, p50, p99, the ratio ours/static (of the means, with the
# spread of the per-round ratios), the load average, and the meter decision
# cost (the server's broadsheet_meter_decision_seconds summary). Builds the
# release binary into $CARGO_TARGET_DIR (default ./target) unless
# BENCH_NO_BUILD is set. Results are appended to bench/out/paywall.md.
# Every load is bounded: BENCH_DURATION seconds (8) × BENCH_ROUNDS (2) × 10.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT=$ROOT/bench/out
mkdir -p "$OUT"
DURATION=${BENCH_DURATION:-8}
ROUNDS=${BENCH_ROUNDS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
for a in "$@"; do
    case $a in
        --quick) DURATION=3; ROUNDS=1 ;;
        *) echo "unknown option $a" >&2; exit 2 ;;
    esac
done
BROWSER_UA="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
for tool in nginx wrk curl sqlite3 python3; do
    command -v "$tool" >/dev/null 2>&1 || [[ -x /usr/sbin/$tool ]] || {
        echo "bench/paywall.sh needs $tool: apt-get install -y nginx-light wrk curl sqlite3 python3" >&2; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
[[ -n "${BENCH_NO_BUILD:-}" ]] || cargo build --release --locked -p broadsheet >/dev/null
BIN=$TARGET/release/broadsheet
WORK=$(mktemp -d /tmp/bs-paywall.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    [[ -f $WORK/nginx.pid ]] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
to_ms() {
    local v=$1
    case $v in
        *us) awk -v x="${v%us}" 'BEGIN {printf "%.3f", x/1000}' ;;
        *ms) awk -v x="${v%ms}" 'BEGIN {printf "%.3f", x}' ;;
        *s) awk -v x="${v%s}" 'BEGIN {printf "%.3f", x*1000}' ;;
        *) echo "$v" ;;
    esac
}
# load URL [COOKIE] → "rps p50_ms p99_ms"
load() {
    local url=$1 cookie=${2:-} out
    if [[ -n $cookie ]]; then
        out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency -H "User-Agent: $BROWSER_UA" -H "Cookie: $cookie" "$url")
    else
        out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency -H "User-Agent: $BROWSER_UA" "$url")
    fi
    echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(to_ms "$(awk '$1=="50%" {print $2}' <<<"$out")") $(to_ms "$(awk '$1=="99%" {print $2}' <<<"$out")")"
}

"$BIN" demo --data-dir "$WORK/demo" >/dev/null
DB=$WORK/demo/broadsheet.db
# A subscriber with a session: token, its SHA-256 stored, an entitlement.
TOKEN=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
HASH=$(python3 -c "import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest())" "$TOKEN")
NOW=$(date +%s)
sqlite3 "$DB" <<SQL
INSERT INTO readers (email, email_verified_at, display_name, created_at) VALUES ('bench@example.org', $NOW, 'Bench', $NOW);
INSERT INTO reader_sessions (token_hash, reader_id, created_at, expires_at, session_epoch)
    SELECT '$HASH', id, $NOW, $NOW + 86400, 0 FROM readers WHERE email = 'bench@example.org';
INSERT INTO reader_entitlements (reader_id, source, reference, starts_at, created_at)
    SELECT id, 'grant', 'bench', $NOW - 60, $NOW FROM readers WHERE email = 'bench@example.org';
SQL
path_of() { # access → the address of the newest published story of that access
    sqlite3 "$DB" "SELECT '/' || sec.path || '/' || s.slug || '-' || s.id FROM stories s JOIN sections sec ON sec.id = s.section_id WHERE s.status = 'published' AND s.access = '$1' ORDER BY s.published_at DESC LIMIT 1"
}
FREE=$(path_of free); METERED=$(path_of metered); SUBS=$(path_of subscribers)
OTHER=$(sqlite3 "$DB" "SELECT '/' || sec.path || '/' || s.slug || '-' || s.id FROM stories s JOIN sections sec ON sec.id = s.section_id WHERE s.status = 'published' AND s.access = 'metered' ORDER BY s.published_at DESC LIMIT 1 OFFSET 1")
PORT=$(free_port); MPORT=$(free_port)
BROADSHEET_LOG=warn "$BIN" serve --no-demo --data-dir "$WORK/demo" --listen "127.0.0.1:$PORT" \
    --metrics-listen "127.0.0.1:$MPORT" --meter-free 1 --meter-new-per-address 20 >"$WORK/serve.log" 2>&1 &
PIDS+=("$!")
BS=http://127.0.0.1:$PORT
for _ in $(seq 1 3000); do curl -fs -o /dev/null "$BS/" && break; sleep 0.01; done
cookie_of() { curl -fs -D - -o /dev/null "$1" | awk -F'[:;] *' 'tolower($1)=="set-cookie" && $2 ~ /^bsm=/ {print $2}'; }
# Meter left: a device that opened the metered story (it stays open).
LEFT=$(cookie_of "$BS$METERED")
# Meter spent (--meter-free 1): a device that opened another metered story.
SPENT=$(cookie_of "$BS$OTHER")
SUB="bs_reader=$TOKEN"
# Use up this address's new device meters for today (20, the default).
for _ in $(seq 1 25); do curl -fs -o /dev/null "$BS$METERED"; done
mkdir -p "$WORK/www" "$WORK/ngtmp"
fetch() { curl -fs -H "User-Agent: $BROWSER_UA" ${2:+-H "Cookie: $2"} "$BS$1" -o "$WORK/www/$3.html"; }
fetch "$FREE" "" free; fetch "$METERED" "$LEFT" metered; fetch "$METERED" "$SPENT" spent; fetch "$SUBS" "$SUB" sub
fetch "$METERED" "" nocookie
grep -q 'class="paywall"' "$WORK/www/nocookie.html" || { echo "the cookieless reader over the limit was not cut" >&2; exit 1; }
[[ -z $(cookie_of "$BS$METERED") ]] || { echo "a cookieless reader over the limit got a meter cookie" >&2; exit 1; }
grep -q 'class="paywall"' "$WORK/www/spent.html" || { echo "the spent reader was not cut" >&2; exit 1; }
grep -q 'class="paywall"' "$WORK/www/metered.html" && { echo "the reader with meter left was cut" >&2; exit 1; }
grep -q 'class="paywall"' "$WORK/www/sub.html" && { echo "the subscriber was cut" >&2; exit 1; }
NGPORT=$(free_port)
cat >"$WORK/nginx.conf" <<NGINX
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
    types { text/html html; }
    client_body_temp_path $WORK/ngtmp; proxy_temp_path $WORK/ngtmp; fastcgi_temp_path $WORK/ngtmp;
    uwsgi_temp_path $WORK/ngtmp; scgi_temp_path $WORK/ngtmp;
    server { listen 127.0.0.1:$NGPORT; root $WORK/www; location / { etag on; } }
}
NGINX
"$NGINX" -c "$WORK/nginx.conf" -e "$WORK/nginx-error.log" 2>/dev/null || "$NGINX" -c "$WORK/nginx.conf"
sleep 0.5
ST=http://127.0.0.1:$NGPORT
declare -A SUM_RPS SUM_P50 SUM_P99 RATIOS
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
KINDS="free metered spent sub nocookie"
add() { SUM_RPS[$1]=$(awk -v a="${SUM_RPS[$1]:-0}" -v b="$2" 'BEGIN{print a+b}'); SUM_P50[$1]=$(awk -v a="${SUM_P50[$1]:-0}" -v b="$3" 'BEGIN{print a+b}'); SUM_P99[$1]=$(awk -v a="${SUM_P99[$1]:-0}" -v b="$4" 'BEGIN{print a+b}'); }
for round in $(seq 1 "$ROUNDS"); do
    for t in $KINDS; do
        case $t in
            free) url=$BS$FREE; c="" ;;
            metered) url=$BS$METERED; c=$LEFT ;;
            spent) url=$BS$METERED; c=$SPENT ;;
            sub) url=$BS$SUBS; c=$SUB ;;
            nocookie) url=$BS$METERED; c="" ;;
        esac
        read -r sr a b < <(load "$ST/$t.html"); add "static-$t" "$sr" "$a" "$b"
        read -r r a b < <(load "$url" "$c"); add "$t" "$r" "$a" "$b"
        RATIOS[$t]="${RATIOS[$t]:-} $(awk -v o="$r" -v s="$sr" 'BEGIN{printf "%.2f", (s>0)?o/s:0}')"
        echo "round $round $t: static $sr / ours $r req/s (load $(cut -d' ' -f1 /proc/loadavg))"
    done
done
METRICS=$(curl -fs "http://127.0.0.1:$MPORT/metrics")
q() { awk -v k="broadsheet_meter_decision_seconds{quantile=\"$1\"}" '$1==k {printf "%.3f", $2*1000}' <<<"$METRICS"; }
MSUM=$(awk '$1=="broadsheet_meter_decision_seconds_sum" {print $2}' <<<"$METRICS")
MCOUNT=$(awk '$1=="broadsheet_meter_decision_seconds_count" {print $2}' <<<"$METRICS")
MEAN=$(awk -v s="${MSUM:-0}" -v n="${MCOUNT:-0}" 'BEGIN{ if (n>0) printf "%.3f", s/n*1000; else print "n/a"}')
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
spread() { tr ' ' '\n' <<<"$1" | awk 'NF {if (min=="" || $1<min) min=$1; if ($1>max) max=$1} END {printf "%s–%s", min, max}'; }
avg() { awk -v s="$1" -v n="$ROUNDS" 'BEGIN{printf "%.0f", s/n}'; }
avgf() { awk -v s="$1" -v n="$ROUNDS" 'BEGIN{printf "%.2f", s/n}'; }
{
    echo "## Paywall run of $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores ($(uname -m))"
    echo
    echo "wrk -t1 -c$CONNS -d${DURATION}s, $ROUNDS round(s) alternating static/ours; nginx serves the bytes each reader gets."
    echo "Load average (1/5/15 min) at the start $LOAD_START, at the end $LOAD_END."
    echo
    echo "| reader, story | bytes | ours req/s | static req/s | ratio (rounds) | ours p50 ms | static p50 ms | ours p99 ms | static p99 ms |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for t in $KINDS; do
        case $t in
            free) label="anonymous, free story" ;;
            metered) label="anonymous with meter left, metered" ;;
            spent) label="meter spent, metered (cut)" ;;
            sub) label="signed-in subscriber, subscribers-only" ;;
            nocookie) label="no cookie, metered, address over its new-device limit (cut)" ;;
        esac
        o=$(avg "${SUM_RPS[$t]}"); s=$(avg "${SUM_RPS[static-$t]}")
        echo "| $label | $(stat -c %s "$WORK/www/$t.html") | $o | $s | **$(awk -v o="$o" -v s="$s" 'BEGIN{printf "%.2f", o/s}')** ($(spread "${RATIOS[$t]}")) | $(avgf "${SUM_P50[$t]}") | $(avgf "${SUM_P50[static-$t]}") | $(avgf "${SUM_P99[$t]}") | $(avgf "${SUM_P99[static-$t]}") |"
    done
    echo
    echo "- gate decisions by reason during the run: $(grep -E '^broadsheet_gate_decisions_total' <<<"$METRICS" | sed -E 's/.*because="([^"]+)".* ([0-9.e+]+)$/\1 \2/' | tr '\n' ';')"
    echo "- meter decision (database part, only when memory cannot answer): mean $MEAN ms, p50 $(q 0.5) ms, p99 $(q 0.99) ms over ${MCOUNT:-0} decisions"
    echo
} | tee -a "$OUT/paywall.md"
