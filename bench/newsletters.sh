#!/usr/bin/env bash
# Newsletters (issue 13 item 5): how fast one node sends an issue, and that
# the rate limit holds.
#   bash bench/newsletters.sh
#
# Makes the demo paper (SQLite), adds BENCH_NL_READERS (2,000) readers with
# confirmed subscriptions to the morning briefing (straight in the
# database), moves its hour to midnight so an issue is due, and a story to
# the last hour so the issue is not skipped. Then, for each rate in
# BENCH_NL_RATES ("1000 10"), on a fresh copy of that paper: starts an
# aiosmtpd sink (writing a Maildir) and `broadsheet serve --newsletter-rate
# RATE` on loopback, waits for the job to build the issue and send it, and
# reports the time from the issue's row appearing to its last message
# accepted, messages per second, and what the sink holds (every message once:
# distinct Message-IDs). At 10 a second only the first BENCH_NL_SLOW (300)
# recipients are subscribed, to keep the run short.
# Builds with BENCH_PROFILE (release; `debug` uses the dev build) unless
# BENCH_NO_BUILD is set. Needs python3 with aiosmtpd (the tests' venv,
# .venv-test, is used when it exists). Results: bench/out/newsletters.md.
# Bounded: a fixed number of recipients, at most 600 s a rate.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT=$ROOT/bench/out
mkdir -p "$OUT"
PROFILE=${BENCH_PROFILE:-release}
READERS=${BENCH_NL_READERS:-2000}
SLOW=${BENCH_NL_SLOW:-300}
RATES=${BENCH_NL_RATES:-"1000 10"}
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
bench_setup newsletters curl sqlite3 python3
PY=python3
[[ -x $ROOT/.venv-test/bin/python ]] && PY=$ROOT/.venv-test/bin/python
"$PY" -c 'import aiosmtpd' 2>/dev/null || {
    echo "bench/newsletters.sh needs aiosmtpd: python3 -m venv .venv-test && .venv-test/bin/pip install aiosmtpd" >&2; exit 1; }

"$BIN" demo --data-dir "$WORK/base" >/dev/null
DB=$WORK/base/broadsheet.db
NOW=$(date +%s)
sqlite3 "$DB" <<SQL
UPDATE newsletters SET send_hour = 0 WHERE slug = 'morning-briefing';
UPDATE stories SET published_at = $NOW - 3600
 WHERE id = (SELECT id FROM stories WHERE status = 'published' ORDER BY published_at DESC LIMIT 1);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $READERS)
INSERT INTO readers (email, email_verified_at, display_name, created_at)
 SELECT 'reader' || i || '@example.com', $NOW, 'Reader ' || i, $NOW FROM n;
SQL

STAMP=$(date -u +"%Y-%m-%d %H:%M UTC")
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
{
    echo "## $STAMP, profile $PROFILE, $(nproc) cores, load average at start $LOAD"
    echo
    echo "| rate asked (messages/s) | recipients | issue built to last message | messages/s | in the sink | distinct Message-IDs |"
    echo "| --- | --- | --- | --- | --- | --- |"
} >"$WORK/result.md"

for RATE in $RATES; do
    RUN=$WORK/run-$RATE
    cp -r "$WORK/base" "$RUN"
    N=$READERS
    (( RATE < 100 )) && N=$SLOW
    sqlite3 "$RUN/broadsheet.db" "INSERT INTO newsletter_subscriptions
        (reader_id, newsletter_id, status, consent_text, requested_at, requested_via, confirmed_at)
        SELECT r.id, nl.id, 'active', 'bench', $NOW, 'bench', $NOW
        FROM readers r, newsletters nl
        WHERE nl.slug = 'morning-briefing' AND r.email LIKE 'reader%@example.com'
        ORDER BY r.id LIMIT $N"
    SMTP=$(free_port)
    "$PY" -m aiosmtpd -n -l "127.0.0.1:$SMTP" -c aiosmtpd.handlers.Mailbox "$RUN/maildir" \
        >"$RUN/smtp.log" 2>&1 &
    SINK=$!
    for _ in $(seq 1 100); do (echo >"/dev/tcp/127.0.0.1/$SMTP") 2>/dev/null && break; sleep 0.1; done
    PORT=$(free_port)
    BROADSHEET_LOG=warn "$BIN" serve --no-demo --data-dir "$RUN" --listen "127.0.0.1:$PORT" \
        --base-url "http://127.0.0.1:$PORT" --smtp-url "smtp://127.0.0.1:$SMTP" \
        --newsletter-rate "$RATE" >"$RUN/serve.log" 2>&1 &
    SERVER=$!
    q() { sqlite3 "$RUN/broadsheet.db" "$1" 2>/dev/null || true; }
    start="" end=""
    deadline=$(( $(date +%s) + 600 ))
    while (( $(date +%s) < deadline )); do
        st=$(q "SELECT status FROM newsletter_issues i JOIN newsletters nl ON nl.id = i.newsletter_id WHERE nl.slug = 'morning-briefing' ORDER BY i.id DESC LIMIT 1")
        if [[ -z $start && -n $st ]]; then start=$(date +%s.%N); fi
        if [[ $st == sent ]]; then end=$(date +%s.%N); break; fi
        if [[ $st == skipped ]]; then echo "the issue was skipped: no story in the window" >&2; exit 1; fi
        sleep 0.1
    done
    kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; SERVER=""
    sleep 0.5
    kill "$SINK" 2>/dev/null || true; wait "$SINK" 2>/dev/null || true
    got=$(ls "$RUN/maildir/new" 2>/dev/null | wc -l)
    ids=$(cat "$RUN"/maildir/new/* 2>/dev/null | grep -i '^Message-ID:' | sort -u | wc -l)
    if [[ -z $end ]]; then
        echo "| $RATE | $N | not finished in 600 s | | $got | $ids |" >>"$WORK/result.md"
        continue
    fi
    secs=$(echo "$end - $start" | bc -l)
    per=$(echo "$N / $secs" | bc -l)
    printf '| %s | %s | %.1f s | %.0f | %s | %s |\n' "$RATE" "$N" "$secs" "$per" "$got" "$ids" >>"$WORK/result.md"
    rm -rf "$RUN"
done
{
    echo
    echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "Command: \`BENCH_PROFILE=$PROFILE bash bench/newsletters.sh\`"
    echo
} >>"$WORK/result.md"
cat "$WORK/result.md" | tee -a "$OUT/newsletters.md"
