#!/usr/bin/env bash
# Comments benchmark (issue 12): bash bench/comments.sh [--quick]
#
# One machine, one run, on the demo paper served by `broadsheet serve` on
# 127.0.0.1 (SQLite):
#   post     comment post round trip through HTTP with a real signed-in
#            session (POST /account/comments/{story} → 303), p50/p99 over
#            BENCH_POSTS (200) posts, each from its own reader and address
#            (so the per-reader and per-address limits do not refuse them);
#   thread   a story with 2,000 public comments: every thread page in every
#            order (oldest, newest, most recommended) fetched once, so each
#            is a cold render (a cache miss); p50/p99 and bytes per page;
#   story    story page throughput (wrk, BENCH_DURATION s × BENCH_ROUNDS,
#            alternating) of that story with comments open against a story
#            whose comments are closed, side by side.
# Uses the debug binary unless BENCH_RELEASE=1 (then builds the release one
# into $CARGO_TARGET_DIR) or BENCH_BIN=PATH (that binary, no build). Prints a Markdown block and appends it to
# bench/out/comments.md, with the load average before and after.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT=$ROOT/bench/out
mkdir -p "$OUT"
DURATION=${BENCH_DURATION:-5}
ROUNDS=${BENCH_ROUNDS:-2}
CONNS=${BENCH_CONNECTIONS:-16}
POSTS=${BENCH_POSTS:-200}
THREAD=${BENCH_THREAD:-2000}
for a in "$@"; do
    case $a in
        --quick) DURATION=2; ROUNDS=1; POSTS=50 ;;
        *) echo "unknown option $a" >&2; exit 2 ;;
    esac
done
for tool in wrk curl sqlite3 python3; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "bench/comments.sh needs $tool: apt-get install -y wrk curl sqlite3 python3" >&2; exit 1; }
done
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
if [[ -n "${BENCH_BIN:-}" ]]; then
    BIN=$BENCH_BIN; BUILD="given ($BENCH_BIN)"
elif [[ -n "${BENCH_RELEASE:-}" ]]; then
    cargo build --release --locked -p broadsheet >/dev/null
    BIN=$TARGET/release/broadsheet; BUILD=release
else
    [[ -x $TARGET/debug/broadsheet ]] || cargo build -p broadsheet >/dev/null
    BIN=$TARGET/debug/broadsheet; BUILD=debug
fi
WORK=$(mktemp -d /tmp/bs-comments.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

"$BIN" demo --data-dir "$WORK/demo" >/dev/null
DB=$WORK/demo/broadsheet.db
NOW=$(date +%s)
# Two free published stories: OPEN gets the long thread, CLOSED is closed.
read -r OPEN CLOSED < <(sqlite3 "$DB" "SELECT group_concat(id, ' ') FROM (SELECT id FROM stories WHERE status = 'published' AND access = 'free' ORDER BY published_at DESC LIMIT 2)")
path_of() { sqlite3 "$DB" "SELECT '/' || sec.path || '/' || s.slug || '-' || s.id FROM stories s JOIN sections sec ON sec.id = s.section_id WHERE s.id = $1"; }
OPEN_PATH=$(path_of "$OPEN"); CLOSED_PATH=$(path_of "$CLOSED")
# Readers with sessions (tokens kept here, their SHA-256 stored), comments
# open without an age limit, the closed story closed, and THREAD public
# comments on OPEN from those readers with some recommendations.
python3 - "$DB" "$WORK/tokens" "$POSTS" "$THREAD" "$OPEN" "$CLOSED" "$NOW" <<'PY'
import hashlib, random, secrets, sqlite3, sys
db, tokens, posts, thread, open_id, closed_id, now = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
c = sqlite3.connect(db)
random.seed(12)
with open(tokens, "w") as f:
    for i in range(posts):
        t = secrets.token_hex(32)
        cur = c.execute("INSERT INTO readers (email, email_verified_at, display_name, created_at) VALUES (?, ?, ?, ?)",
                        (f"bench{i}@example.org", now, f"Bench Reader {i}", now))
        rid = cur.lastrowid
        c.execute("INSERT INTO reader_sessions (token_hash, reader_id, created_at, expires_at, session_epoch) VALUES (?, ?, ?, ?, 0)",
                  (hashlib.sha256(t.encode()).hexdigest(), rid, now, now + 86400))
        f.write(f"{rid} {t}\n")
        if i % 4 == 0:
            c.execute("INSERT INTO reader_entitlements (reader_id, source, reference, starts_at, created_at) VALUES (?, 'grant', 'bench', ?, ?)", (rid, now - 60, now))
readers = [r for (r,) in c.execute("SELECT id FROM readers WHERE email LIKE 'bench%@example.org'")]
c.execute("UPDATE comment_settings SET close_after_hours = 0, enabled = 1 WHERE id = 1")
c.execute("INSERT INTO comment_policies (scope, target_id, open, moderation, legal) VALUES ('story', ?, 'closed', 'inherit', 0) ON CONFLICT (scope, target_id) DO UPDATE SET open = 'closed'", (closed_id,))
c.execute("UPDATE comments SET status = 'removed' WHERE story_id = ?", (open_id,))
words = "the council harbour tonight vote ferry road school budget river market".split()
top = []
for i in range(thread):
    r = random.choice(readers)
    body = " ".join(random.choice(words) for _ in range(random.randint(12, 60))).capitalize() + "."
    parent = random.choice(top) if top and i % 5 == 4 else None
    cur = c.execute("INSERT INTO comments (story_id, reader_id, parent_id, author_name, body, status, created_at, reactions) VALUES (?, ?, ?, ?, ?, 'public', ?, ?)",
                    (open_id, r, parent, f"Bench Reader {r}", body, now - (thread - i) * 30, random.randint(0, 40) if parent is None else 0))
    if parent is None:
        top.append(cur.lastrowid)
c.commit()
PY
PORT=$(free_port)
BROADSHEET_LOG=warn "$BIN" serve --no-demo --data-dir "$WORK/demo" --listen "127.0.0.1:$PORT" \
    --trusted-proxy-hops 1 >"$WORK/serve.log" 2>&1 &
PIDS+=("$!")
BS=http://127.0.0.1:$PORT
for _ in $(seq 1 3000); do curl -fs -o /dev/null "$BS/" && break; sleep 0.01; done
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# Posts and cold thread pages, timed from a client on loopback.
RESULTS=$(python3 - "$PORT" "$WORK/tokens" "$OPEN" <<'PY'
import hashlib, http.client, re, sys, time, urllib.parse
port, tokens, thread_story = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
# The posts go to the long thread's story (it ends with THREAD + POSTS comments).
conn = http.client.HTTPConnection("127.0.0.1", port)
times = []
for n, line in enumerate(open(tokens)):
    rid, tok = line.split()
    csrf = hashlib.sha256(f"bs-reader-csrf|{tok}".encode()).hexdigest()
    body = urllib.parse.urlencode({"csrf": csrf, "body": f"Bench comment {n}: the ferry timetable changes again on Monday, reader {rid} writes.", "confirmed": "1"})
    t0 = time.perf_counter()
    conn.request("POST", f"/account/comments/{thread_story}", body=body, headers={
        "Cookie": f"bs_reader={tok}", "Content-Type": "application/x-www-form-urlencoded",
        "X-Forwarded-For": f"10.{n // 250}.{n % 250}.7"})
    r = conn.getresponse(); r.read()
    times.append((time.perf_counter() - t0) * 1000)
    if r.status != 303 or "#c-" not in (r.getheader("location") or ""):
        sys.exit(f"post {n} was not published: {r.status} {r.getheader('location')}")
print(f"post {len(times)} {pct(times, 50):.2f} {pct(times, 99):.2f}")
# Every page of the thread, in each order, once: each fetch renders (a miss).
cold, sizes, pages = [], [], 0
for first in (f"/comments/{thread_story}", f"/comments/{thread_story}/newest", f"/comments/{thread_story}/reacted"):
    url = first
    while url:
        t0 = time.perf_counter()
        conn.request("GET", url, headers={"Accept-Encoding": "identity"})
        r = conn.getresponse(); b = r.read()
        dt = (time.perf_counter() - t0) * 1000
        if r.status != 200: sys.exit(f"{url}: {r.status}")
        if r.getheader("x-cache", "").lower().startswith("hit"): sys.exit(f"{url} was a cache hit: not cold")
        cold.append(dt); sizes.append(len(b)); pages += 1
        m = re.search(rb'rel="next" href="([^"]+)"', b)
        url = m.group(1).decode() if m else None
print(f"thread {pages} {pct(cold, 50):.2f} {pct(cold, 99):.2f} {sum(sizes) // len(sizes)} {max(sizes)}")
PY
)
read -r _ NPOSTS P50 P99 < <(grep '^post' <<<"$RESULTS")
read -r _ NPAGES T50 T99 TAVG TMAX < <(grep '^thread' <<<"$RESULTS")
COUNT=$(sqlite3 "$DB" "SELECT COUNT(*) FROM comments WHERE story_id = $OPEN AND status = 'public'")

to_ms() {
    local v=$1
    case $v in
        *us) awk -v x="${v%us}" 'BEGIN {printf "%.3f", x/1000}' ;;
        *ms) awk -v x="${v%ms}" 'BEGIN {printf "%.3f", x}' ;;
        *s) awk -v x="${v%s}" 'BEGIN {printf "%.3f", x*1000}' ;;
        *) echo "$v" ;;
    esac
}
load() {
    local out
    out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "$1")
    echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(to_ms "$(awk '$1=="50%" {print $2}' <<<"$out")") $(to_ms "$(awk '$1=="99%" {print $2}' <<<"$out")")"
}
curl -fs -o /dev/null "$BS$OPEN_PATH"; curl -fs -o /dev/null "$BS$CLOSED_PATH"
declare -A RPS P50S P99S
for _ in $(seq 1 "$ROUNDS"); do
    for k in open closed; do
        if [[ $k == open ]]; then u=$BS$OPEN_PATH; else u=$BS$CLOSED_PATH; fi
        read -r r a b < <(load "$u")
        RPS[$k]=$(awk -v x="${RPS[$k]:-0}" -v y="$r" 'BEGIN{print x+y}')
        P50S[$k]=$(awk -v x="${P50S[$k]:-0}" -v y="$a" 'BEGIN{print x+y}')
        P99S[$k]=$(awk -v x="${P99S[$k]:-0}" -v y="$b" 'BEGIN{print x+y}')
    done
done
avg() { awk -v x="$1" -v n="$ROUNDS" 'BEGIN{printf "%.1f", x/n}'; }
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
REPORT=$(cat <<MD
### bench/comments.sh, $(date -u +%Y-%m-%dT%H:%MZ), $BUILD build, SQLite, $(nproc) cores, load average $LOAD_START before / $LOAD_END after

| measure | result |
|---|---|
| comment post round trip (HTTP, signed-in session, 303), $NPOSTS posts | p50 $P50 ms, p99 $P99 ms |
| thread pages of a story with $COUNT public comments, each page rendered cold once ($NPAGES pages: oldest, newest, most recommended) | p50 $T50 ms, p99 $T99 ms |
| bytes per thread page (uncompressed) | mean $TAVG, largest $TMAX |
| story page with comments open ($COUNT comments), wrk $CONNS conns, ${DURATION}s × $ROUNDS | $(avg "${RPS[open]}") req/s, p50 $(avg "${P50S[open]}") ms, p99 $(avg "${P99S[open]}") ms |
| story page with comments closed, same load, alternating | $(avg "${RPS[closed]}") req/s, p50 $(avg "${P50S[closed]}") ms, p99 $(avg "${P99S[closed]}") ms |
MD
)
echo "$REPORT"
echo "$REPORT" >>"$OUT/comments.md"
