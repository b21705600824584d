#!/usr/bin/env bash
# Wire ingest (issue 14): items ingested per second (parse + map + store)
# for IPTC ninjs and NewsML-G2, and the time from a file landing in an
# agency's drop folder to its story on the section front (automatic mode).
#   bash bench/wire.sh
#
# Makes the demo paper (SQLite) once. Ingest rate: for each format and
# each mode (queue: items stored for the desk; auto: each item also made a
# story, published, its change event applied), on a fresh copy of the
# paper, `broadsheet ingest --agency` is given BENCH_WIRE_ITEMS (500) files
# of one item each (our own generated text, four paragraphs, distinct ids),
# BENCH_WIRE_RUNS (3) times; the figure is items / wall time of the command,
# less the time the same command takes for one file (start-up, opening the
# database). Drop to live: `broadsheet serve` on loopback with an automatic
# agency; BENCH_WIRE_DROPS (20) times a file is written under a .tmp name
# and renamed into the drop folder (as agencies are asked to), and the
# section front is fetched every 10 ms until the headline is on it.
# Builds with BENCH_PROFILE (release; `debug` uses the dev build) unless
# BENCH_NO_BUILD is set. Results: bench/out/wire.md. Bounded: fixed counts,
# at most 30 s a drop.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT=$ROOT/bench/out
mkdir -p "$OUT"
PROFILE=${BENCH_PROFILE:-release}
ITEMS=${BENCH_WIRE_ITEMS:-500}
RUNS=${BENCH_WIRE_RUNS:-3}
DROPS=${BENCH_WIRE_DROPS:-20}
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
bench_setup wire curl python3

"$BIN" demo --data-dir "$WORK/base" >/dev/null

# Items: one file each, in both formats, our own text.
python3 - "$WORK/items" "$ITEMS" <<'PY'
import json, os, sys
root, n = sys.argv[1], int(sys.argv[2])
words = ("harbour council ferry school market bridge library festival river "
         "budget station harvest lifeboat quay museum").split()
def paras(i):
    w = lambda k: words[(i * 7 + k) % len(words)]
    return [f"The {w(0)} plan for the {w(1)} was agreed on Monday after a long meeting, item {i}.",
            f"Residents said the {w(2)} and the {w(3)} would both be affected over the coming months.",
            f"A spokesperson said the {w(4)} would stay open while work on the {w(5)} went ahead.",
            f"The next meeting about the {w(6)} is due in the spring, when figures are published."]
for fmt in ("ninjs", "newsml"):
    os.makedirs(f"{root}/{fmt}", exist_ok=True)
for i in range(1, n + 1):
    head = f"Bench item {i}: {words[i % len(words)]} plan agreed"
    item = {"uri": f"urn:bench:ninjs:{i}", "version": "1", "type": "text", "pubStatus": "usable",
            "headlines": [{"role": "main", "value": head}], "by": "Bench Reporter",
            "bodies": [{"role": "main", "contentType": "text/plain", "value": "\n\n".join(paras(i))}],
            "language": "en-GB", "urgency": 5, "subjects": [{"name": "Local"}]}
    with open(f"{root}/ninjs/{i:05}.json", "w") as f:
        json.dump(item, f)
    body = "".join(f"<p>{p}</p>" for p in paras(i))
    xml = f'''<?xml version="1.0" encoding="UTF-8"?>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:bench:newsml:{i}" version="1" standard="NewsML-G2" standardversion="2.35">
 <itemMeta><itemClass qcode="ninat:text"/><pubStatus qcode="stat:usable"/></itemMeta>
 <contentMeta><urgency>5</urgency><headline>{head}</headline><by>Bench Reporter</by><language tag="en-GB"/></contentMeta>
 <contentSet><inlineXML contenttype="application/xhtml+xml"><html xmlns="http://www.w3.org/1999/xhtml"><body>{body}</body></html></inlineXML></contentSet>
</newsItem>
'''
    with open(f"{root}/newsml/{i:05}.xml", "w") as f:
        f.write(xml)
PY

STAMP=$(date -u +"%Y-%m-%d %H:%M UTC")
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
{
    echo "## $STAMP, profile $PROFILE, $(nproc) cores, SQLite, load average at start $LOAD"
    echo
    echo "Ingest: $ITEMS files of one item each, one \`broadsheet ingest\` process, $RUNS runs on fresh copies of the demo paper."
    echo
    echo "| format | mode | runs: items/s (wall less start-up) | start-up (1 file) |"
    echo "| --- | --- | --- | --- |"
} >"$WORK/result.md"

now_s() { date +%s.%N; }
for fmt in ninjs newsml; do
    for mode in queue auto; do
        rates=()
        boot=""
        for r in $(seq 1 "$RUNS"); do
            RUN=$WORK/run
            rm -rf "$RUN"; cp -r "$WORK/base" "$RUN"
            BROADSHEET_LOG=warn "$BIN" agency add bench --name Bench --byline "Bench Agency" \
                --section news --mode "$mode" --data-dir "$RUN" >/dev/null
            all_files=("$WORK/items/$fmt"/*)
            t0=$(now_s)
            BROADSHEET_LOG=warn "$BIN" ingest --agency bench --data-dir "$RUN" "${all_files[0]}" >/dev/null
            t1=$(now_s)
            one=$(echo "$t1 - $t0" | bc -l)
            t0=$(now_s)
            BROADSHEET_LOG=warn "$BIN" ingest --agency bench --data-dir "$RUN" "$WORK/items/$fmt"/* >"$RUN/ingest.out"
            t1=$(now_s)
            all=$(echo "$t1 - $t0" | bc -l)
            done_n=$(grep -c ": \(queued\|published\|duplicate\)" "$RUN/ingest.out" || true)
            (( done_n == ITEMS )) || { echo "only $done_n of $ITEMS items ingested ($fmt, $mode)" >&2; tail -3 "$RUN/ingest.out" >&2; exit 1; }
            rates+=("$(printf '%.0f' "$(echo "$ITEMS / ($all - $one)" | bc -l)")")
            boot="$boot $(printf '%.2f' "$one")"
        done
        echo "| $fmt | $mode | ${rates[*]} | ${boot# } s |" >>"$WORK/result.md"
    done
done

# Drop to live.
RUN=$WORK/live
rm -rf "$RUN"; cp -r "$WORK/base" "$RUN"
BROADSHEET_LOG=warn "$BIN" agency add live --name Live --byline "Live Agency" \
    --section news --mode auto --data-dir "$RUN" >/dev/null
PORT=$(free_port)
BROADSHEET_LOG=warn "$BIN" serve --no-demo --data-dir "$RUN" --listen "127.0.0.1:$PORT" \
    --base-url "http://127.0.0.1:$PORT" >"$RUN/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
DROP=$RUN/wire/live
for _ in $(seq 1 100); do [[ -d $DROP ]] && break; sleep 0.1; done
mkdir -p "$DROP"
times=()
for i in $(seq 1 "$DROPS"); do
    f="$DROP/drop-$i.json.tmp"
    python3 -c 'import json,sys; i=sys.argv[1]; print(json.dumps({"uri": "urn:bench:drop:"+i, "version": "1", "headlines": [{"role": "main", "value": "Drop test headline number "+i}], "bodies": [{"role": "main", "contentType": "text/plain", "value": "A first paragraph.\n\nA second paragraph about the drop."}]}))' "$i" >"$f"
    t0=$(now_s)
    mv "$f" "$DROP/drop-$i.json"
    found=""
    while [[ $(echo "$(now_s) - $t0 < 30" | bc) == 1 ]]; do
        if curl -fs "http://127.0.0.1:$PORT/news" | grep -q "Drop test headline number $i<"; then found=1; break; fi
        sleep 0.01
    done
    t1=$(now_s)
    [[ -n $found ]] || { echo "drop $i not live in 30 s" >&2; tail -5 "$RUN/serve.log" >&2; exit 1; }
    times+=("$(printf '%.0f' "$(echo "($t1 - $t0) * 1000" | bc -l)")")
    sleep 0.2
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
pick() { echo "$sorted" | awk -v q="$1" -v n="${#times[@]}" 'NR == int((n - 1) * q) + 1'; }
{
    echo
    echo "Drop folder to section front (automatic mode, scan every 250 ms, a file is taken when it is the same at two looks): $DROPS drops, ms: min $(pick 0), median $(pick 0.5), p90 $(pick 0.9), max $(pick 1)"
    echo "(every drop, in order: ${times[*]})"
    echo
    echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "Command: \`BENCH_PROFILE=$PROFILE bash bench/wire.sh\`"
    echo
} >>"$WORK/result.md"
cat "$WORK/result.md" | tee -a "$OUT/wire.md"
