# Sourced by bench/feeds.sh, bench/search.sh and bench/sse.sh after they
# `cd` to the repository root and set ROOT and PROFILE: the parts they share.

# bench_setup NAME TOOL...: checks the tools are installed, builds the binary
# with PROFILE (release; `debug` uses the dev build) into $CARGO_TARGET_DIR
# (default ./target) unless BENCH_NO_BUILD is set, and sets BIN, WORK (a
# folder /tmp/bs-NAME.XXXXXX) and SERVER (a server's pid, or ""): on exit
# the server is stopped and WORK removed.
bench_setup() {
    local name=$1 tool
    shift
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || {
            echo "bench/$name.sh needs $tool: apt-get install -y $*" >&2; exit 1; }
    done
    TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
    if [[ $PROFILE == debug ]]; then
        [[ -n "${BENCH_NO_BUILD:-}" ]] || cargo build -p broadsheet >/dev/null
        BIN=$TARGET/debug/broadsheet
    else
        [[ -n "${BENCH_NO_BUILD:-}" ]] || cargo build --release --locked -p broadsheet >/dev/null
        BIN=$TARGET/release/broadsheet
    fi
    WORK=$(mktemp -d "/tmp/bs-$name.XXXXXX")
    SERVER=""
    trap bench_cleanup EXIT
}

bench_cleanup() {
    [[ -n ${SERVER:-} ]] && kill "$SERVER" 2>/dev/null || true
    rm -rf "$WORK"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# grow_paper: grows the demo paper in $DB (SQLite; $DEMO_STORIES published)
# with copies of its stories (bylines and tags too), in batches of 100,000,
# up to $LARGE stories or until $GEN_SECS seconds have passed, publication
# times spread over the last $DAYS days. A copy's slug ends in -q0q<N>; copy
# N is of demo story N mod count. Sets `have` (stories now) and GEN (seconds).
grow_paper() {
    local now start demo_max batch n before
    now=$(date +%s)
    start=$SECONDS
    have=$DEMO_STORIES
    demo_max=$(sqlite3 "$DB" "SELECT MAX(id) FROM stories")
    batch=100000
    while (( have < LARGE && SECONDS - start < GEN_SECS )); do
        n=$(( LARGE - have < batch ? LARGE - have : batch ))
        before=$(sqlite3 "$DB" "SELECT MAX(id) FROM stories")
        sqlite3 "$DB" <<SQL
PRAGMA synchronous=OFF;
BEGIN;
CREATE TEMP TABLE src AS SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS k FROM stories
    WHERE status = 'published' AND id <= $demo_max;
WITH RECURSIVE seq(i) AS (SELECT $have UNION ALL SELECT i + 1 FROM seq WHERE i < $have + $n - 1)
INSERT INTO stories (section_id, slug, headline, standfirst, body, byline_text, status, access, breaking,
    published_at, updated_at, lead_picture_id, created_at, modified_at, version, seo_title, seo_description)
SELECT s.section_id, s.slug || '-q0q' || seq.i, s.headline, s.standfirst, s.body, s.byline_text, 'published', s.access, 0,
    $now - 120 - (seq.i * 7919) % ($DAYS * 86400), NULL, s.lead_picture_id,
    $now - 120 - (seq.i * 7919) % ($DAYS * 86400), $now - 120 - (seq.i * 7919) % ($DAYS * 86400), 1, '', ''
FROM seq JOIN src ON src.k = seq.i % $DEMO_STORIES JOIN stories s ON s.id = src.id;
CREATE TEMP TABLE copies AS SELECT c.id AS id, src.id AS of FROM stories c
    JOIN src ON src.k = CAST(substr(c.slug, instr(c.slug, '-q0q') + 4) AS INTEGER) % $DEMO_STORIES
    WHERE c.id > $before;
INSERT INTO story_authors (story_id, author_id, position)
    SELECT copies.id, sa.author_id, sa.position FROM copies JOIN story_authors sa ON sa.story_id = copies.of;
INSERT INTO story_tags (story_id, tag_id)
    SELECT copies.id, st.tag_id FROM copies JOIN story_tags st ON st.story_id = copies.of;
COMMIT;
SQL
        have=$(( have + n ))
    done
    GEN=$(( SECONDS - start ))
}
