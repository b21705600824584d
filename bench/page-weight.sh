#!/usr/bin/env bash
# Page weight (issue 11): bytes a reader's browser transfers per page type,
# at 390 and 1280 px, HTML + CSS + SVG (compressed, headers included) and
# pictures (in the first view, and after scrolling to the end).
#
#   bash bench/page-weight.sh [BINARY]
#
# Runs the browser checks (browser/check.mjs: a fresh demo paper on SQLite,
# Chromium through playwright-core, a fresh profile per measurement so
# nothing comes from a cache) and prints the table of
# browser/out/weight/page-weight.json. BINARY defaults to
# target/release/broadsheet (built if missing).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=${1:-target/release/broadsheet}
[[ -x $BIN ]] || cargo build --release --locked -p broadsheet >/dev/null
[[ -d browser/node_modules ]] || (cd browser && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error --silent)
OUT=browser/out/weight
# The checks' own PASS/FAIL lines are kept in the log; the weights are printed.
node browser/check.mjs --bin "$BIN" --out "$OUT" >"$OUT.log" 2>&1 || true
[[ -f $OUT/page-weight.json ]] || { echo "no measurements: see $OUT.log" >&2; exit 1; }
node -e '
const rows = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const kb = (b) => (b / 1024).toFixed(1);
console.log("| page | width | HTML+CSS+SVG KB | pictures in view KB | pictures scrolled KB | total scrolled KB |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const r of rows) console.log(`| ${r.page} | ${r.width} | ${kb(r.htmlCss)} | ${kb(r.picturesFirstView)} | ${kb(r.picturesScrolled)} | ${kb(r.total)} |`);
' "$OUT/page-weight.json"
grep -E "page weight" "$OUT.log" || true
