#!/usr/bin/env bash
# Search benchmark (issue 13): bash bench/search.sh [--quick]
#
# For two papers:
#   demo   the demo paper (`broadsheet demo`, 360 stories)
#   large  the demo paper grown in SQLite by copying its stories (bylines and
#          tags too, new slugs, publication times spread over the last
#          BENCH_LARGE_DAYS days) in batches of 100,000, up to
#          BENCH_LARGE_STORIES (1,000,000) or until BENCH_GEN_SECS (300) of
#          generation have passed (bench/feeds.sh's way); the size is printed.
# it measures `broadsheet reindex` (the command's own "N stories in T s"),
# the index's size on disk (`<data-dir>/search-index`), and the latency of
# `GET /search?q=…` on `broadsheet serve` over loopback for a fixed set of
# queries (one word, two words, a typo, a phrase, a section filter, date
# order, page 3), each asked BENCH_ROUNDS (20) times in turn after one
# warm-up round: p50 and p99 over all requests, timed by curl (so they
# include HTTP and rendering the page; nothing is cached: every answer is
# `private, no-store`). Anonymous reader (free fields).
# Builds the binary with BENCH_PROFILE (release; `debug` uses the dev build)
# into $CARGO_TARGET_DIR (default ./target) unless BENCH_NO_BUILD is set.
# Results are appended to bench/out/search.md. Bounded: rounds × queries
# requests per paper, one at a time; generation capped in time and count.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT=$ROOT/bench/out
mkdir -p "$OUT"
PROFILE=${BENCH_PROFILE:-release}
LARGE=${BENCH_LARGE_STORIES:-1000000}
GEN_SECS=${BENCH_GEN_SECS:-300}
DAYS=${BENCH_LARGE_DAYS:-1500}
ROUNDS=${BENCH_ROUNDS:-20}
for a in "$@"; do
    case $a in
        --quick) LARGE=50000; GEN_SECS=60; ROUNDS=10 ;;
        *) echo "unknown option $a" >&2; exit 2 ;;
    esac
done
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
bench_setup search curl sqlite3 python3

"$BIN" demo --data-dir "$WORK/paper" >/dev/null
DB=$WORK/paper/broadsheet.db
DEMO_STORIES=$(sqlite3 "$DB" "SELECT COUNT(*) FROM stories WHERE status='published'")

# measure NAME: reindex, index size, then query latency on a served paper.
measure() {
    local name=$1 port stories reindexed size section
    stories=$(sqlite3 "$DB" "SELECT COUNT(*) FROM stories WHERE status='published'")
    reindexed=$(BROADSHEET_LOG=warn "$BIN" reindex --data-dir "$WORK/paper" | grep 'search index rebuilt' || true)
    size=$(du -sh "$WORK/paper/search-index" | cut -f1)
    section=$(sqlite3 "$DB" "SELECT path FROM sections WHERE parent_id IS NULL ORDER BY position, id LIMIT 1")
    port=$(free_port)
    BROADSHEET_LOG=warn "$BIN" serve --no-demo --data-dir "$WORK/paper" --listen "127.0.0.1:$port" \
        --base-url "http://127.0.0.1:$port" >"$WORK/serve.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 1 300); do
        curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
        sleep 0.2
    done
    # The index on disk is current: the server catches up, it does not rebuild.
    for _ in $(seq 1 100); do
        curl -s "http://127.0.0.1:$port/search?q=council" | grep -q 'catching up' || break
        sleep 0.2
    done
    local queries=(
        "q=council"
        "q=council+budget"
        "q=councl"
        "q=%22city+council%22"
        "q=council&section=$section"
        "q=council&sort=newest"
        "q=the&page=3"
    )
    : >"$WORK/times"
    local i
    for i in "${!queries[@]}"; do : >"$WORK/times.$i"; done
    for round in $(seq 0 "$ROUNDS"); do
        for i in "${!queries[@]}"; do
            qs=${queries[$i]}
            t=$(curl -s -o /dev/null -w '%{time_total} %{http_code}\n' "http://127.0.0.1:$port/search?$qs")
            read -r secs status <<<"$t"
            [[ $status == 200 ]] || echo "warning: /search?$qs answered $status" >&2
            if (( round > 0 )); then
                echo "$secs" >>"$WORK/times"
                echo "$secs" >>"$WORK/times.$i"
            fi
        done
    done
    read -r n p50 p99 max < <(sort -n "$WORK/times" | awk '{a[NR]=$1} END {
        i50=int(NR*0.50); if (i50<1) i50=1; i99=int(NR*0.99); if (i99<1) i99=1;
        printf "%d %.1f %.1f %.1f\n", NR, a[i50]*1000, a[i99]*1000, a[NR]*1000 }')
    {
        echo
        echo "### $name paper: $stories published stories"
        echo
        echo "- reindex: ${reindexed:-not reported}"
        echo "- index on disk: $size"
        echo "- \`GET /search\` over $n requests (${#queries[@]} queries × $ROUNDS rounds): p50 $p50 ms, p99 $p99 ms, max $max ms"
        echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
        echo "- each query, median and slowest of its $ROUNDS asks:"
        for i in "${!queries[@]}"; do
            sort -n "$WORK/times.$i" | awk -v q="${queries[$i]}" '{a[NR]=$1} END {
                printf "  - `%s`: %.1f ms, %.1f ms\n", q, a[int((NR+1)/2)]*1000, a[NR]*1000 }'
        done
    } >>"$RESULT"
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
}

RESULT=$OUT/search.md.new
{
    echo
    echo "## $(date -u '+%Y-%m-%d %H:%M UTC'), profile $PROFILE, $(nproc) cores, load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$RESULT"
measure "demo"

grow_paper
echo >>"$RESULT"
echo "The large paper: $have published stories, made by copying the demo's (with bylines and tags) in ${GEN} s (cap: $LARGE stories or ${GEN_SECS} s)." >>"$RESULT"
measure "large"
{
    echo
    echo "Command: \`BENCH_PROFILE=$PROFILE bash bench/search.sh $*\`"
} >>"$RESULT"
cat "$RESULT" >>"$OUT/search.md"
cat "$RESULT"
rm -f "$RESULT"
