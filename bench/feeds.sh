#!/usr/bin/env bash
# Feeds and sitemaps benchmark (issue 13): bash bench/feeds.sh [--quick]
#
# For two papers, each served by `broadsheet serve` on loopback:
#   demo   the demo paper (`broadsheet demo`, 360 stories)
#   large  the demo paper grown in SQLite by copying its stories (with their
#          bylines and tags, new slugs, publication times spread over the
#          last BENCH_LARGE_DAYS days) in batches of 100,000, up to
#          BENCH_LARGE_STORIES (1,000,000) or until BENCH_GEN_SECS (300) of
#          generation have passed; the size reached is printed.
# every feed and sitemap is fetched once cold (rendered: nothing in the page
# cache yet, a fresh server) and once warm (from the page cache), timing
# each with curl; the server's peak resident memory (VmHWM) after the cold
# pass and the machine's load average are reported. Feeds list 30 stories
# whatever the paper's size; a story sitemap holds one month (split at
# 50,000), the News sitemap the last two days (split at 1,000).
# Builds the binary with BENCH_PROFILE (release; `debug` uses the dev build)
# into $CARGO_TARGET_DIR (default ./target) unless BENCH_NO_BUILD is set.
# Results are appended to bench/out/feeds.md. Bounded: one request per URL
# per pass, generation capped in time and count.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT=$ROOT/bench/out
mkdir -p "$OUT"
PROFILE=${BENCH_PROFILE:-release}
LARGE=${BENCH_LARGE_STORIES:-1000000}
GEN_SECS=${BENCH_GEN_SECS:-300}
DAYS=${BENCH_LARGE_DAYS:-1500}
for a in "$@"; do
    case $a in
        --quick) LARGE=100000; GEN_SECS=60 ;;
        *) echo "unknown option $a" >&2; exit 2 ;;
    esac
done
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
bench_setup feeds curl sqlite3 python3

"$BIN" demo --data-dir "$WORK/paper" >/dev/null
DB=$WORK/paper/broadsheet.db
DEMO_STORIES=$(sqlite3 "$DB" "SELECT COUNT(*) FROM stories WHERE status='published'")

# fetch URL → "ms bytes status"
fetch() {
    curl -s -o "$WORK/body" -w '%{time_total} %{size_download} %{http_code}\n' "$1" |
        awk '{printf "%.1f %d %s", $1*1000, $2, $3}'
}

# measure NAME: serve the paper, time every URL cold then warm, peak RSS.
measure() {
    local name=$1 port stories url cold warm rss section tag author month
    port=$(free_port)
    BROADSHEET_LOG=warn "$BIN" serve --no-demo --data-dir "$WORK/paper" --listen "127.0.0.1:$port" \
        --base-url "http://127.0.0.1:$port" >"$WORK/serve.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 1 300); do
        curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
        sleep 0.2
    done
    stories=$(sqlite3 "$DB" "SELECT COUNT(*) FROM stories WHERE status='published'")
    section=$(sqlite3 "$DB" "SELECT path FROM sections ORDER BY id LIMIT 1")
    tag=$(sqlite3 "$DB" "SELECT t.slug FROM tags t JOIN story_tags st ON st.tag_id=t.id GROUP BY t.id ORDER BY COUNT(*) DESC LIMIT 1")
    author=$(sqlite3 "$DB" "SELECT a.slug FROM authors a JOIN story_authors sa ON sa.author_id=a.id GROUP BY a.id ORDER BY COUNT(*) DESC LIMIT 1")
    month=$(sqlite3 "$DB" "SELECT strftime('%Y-%m', published_at, 'unixepoch') m FROM stories WHERE status='published' GROUP BY m ORDER BY COUNT(*) DESC LIMIT 1")
    local month_n
    month_n=$(sqlite3 "$DB" "SELECT COUNT(*) FROM stories WHERE status='published' AND strftime('%Y-%m', published_at, 'unixepoch')='$month'")
    {
        echo
        echo "### $name paper: $stories published stories ($(du -h "$DB" | cut -f1) database)"
        echo
        echo "| URL | cold ms | warm ms | bytes |"
        echo "| --- | ---: | ---: | ---: |"
    } >>"$RESULT"
    for url in /feeds/rss.xml /feeds/atom.xml /feeds/feed.json "/feeds/sections/$section/atom.xml" \
        "/feeds/tags/$tag/rss.xml" "/feeds/authors/$author/feed.json" /sitemap.xml \
        "/sitemaps/stories-$month.xml" /sitemaps/news.xml /sitemaps/sections.xml /sitemaps/authors.xml; do
        cold=$(fetch "http://127.0.0.1:$port$url")
        warm=$(fetch "http://127.0.0.1:$port$url")
        read -r cms bytes status <<<"$cold"
        read -r wms _ _ <<<"$warm"
        [[ $status == 200 ]] || echo "warning: $url answered $status" >&2
        local label=$url
        [[ $url == "/sitemaps/stories-$month.xml" ]] && label="$url ($month_n stories)"
        echo "| \`$label\` | $cms | $wms | $bytes |" >>"$RESULT"
    done
    rss=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER/status")
    echo >>"$RESULT"
    echo "Peak resident memory of the server after both passes: $((rss / 1024)) MiB. Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)." >>"$RESULT"
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
}

RESULT=$OUT/feeds.md.new
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
    echo "Command: \`BENCH_PROFILE=$PROFILE bash bench/feeds.sh $*\`"
} >>"$RESULT"
cat "$RESULT" >>"$OUT/feeds.md"
cat "$RESULT"
rm -f "$RESULT"
