#!/usr/bin/env bash
# The bulk-speed benchmark of the files départements really send (issue #15), on a fresh data
# directory with the release binary:
#   1. the whole 2024 template, COUNT new people: preview, then commit;
#   2. the same people a month later (30 % new contact details, 10 % changed rights, 5 % new
#      people, 2 % gone): commit, then the same file again;
#   3. the floor of each file: `\copy` of the same CSV into an unlogged table of 25 text
#      columns on the same embedded cluster;
#   4. a CAF/MSA flux bénéficiaires over the people of the month-later file (10 % of the
#      households with a changed RSA state), applied through the HTTP API of a running hub,
#      then the same flux again (needs curl and jq; skipped without them).
# Prints the wall time of each step (and the peak RSS of each import when /usr/bin/time is
# there), with the hub's own summary line.
#
#   benches/whole_template.sh target/release/cdb-hub 110000 /tmp/bench-template
#
# DIR is wiped and becomes the hub's data directory (CDB_DATA_DIR); the generated files go to
# DIR.files. PORT (default 8097) is where the hub serves for steps 3 and 4.
#
# The deployment is the demo's « CD 93 (démo) », loaded without beneficiaries
# (`cdb-hub demo --beneficiaries 0`): the Structure and Accompagnateurs columns name its
# structures and professionals, which a bare `cdb-hub deployments create` would not have
# (every such line would then be refused). `cdb-hub import --preview` is the preview; without
# it the import commits. The CLI imports run in their own process on the embedded cluster, so
# their wall time includes starting and stopping it, as in BENCHMARKS.md.
#
# Step 4 by hand, against a hub already serving on the data dir (after the imports):
#   python3 benches/template_file.py flux FILE.csv /tmp/flux.xml
#   benches/caf_flux.sh /tmp/flux.xml http://127.0.0.1:PORT
# The flux must be generated after the imports: the hub keeps values newer than a flux and
# refuses one dated more than 5 minutes ahead (the generator dates it now by default).
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 BIN COUNT DIR" >&2
  exit 2
fi
BIN=$(realpath "$1"); COUNT=$2; DIR=$3
HERE=$(dirname "$0")
PORT=${PORT:-8097}
URL="http://127.0.0.1:$PORT"
DEPLOYMENT="CD 93 (démo)"
FILES="$DIR.files"
WHOLE="$FILES/template-$COUNT.csv"
NEXT="$FILES/template-$COUNT-next-month.csv"
FLUX="$FILES/flux-$COUNT.xml"

mkdir -p "$FILES"
python3 "$HERE/template_file.py" whole "$COUNT" "$WHOLE"
python3 "$HERE/template_file.py" next-month "$WHOLE" "$NEXT"

rm -rf "$DIR"; mkdir -p "$DIR"; chmod 755 "$DIR"
export CDB_DATA_DIR=$DIR CDB_LOG_LEVEL=warn
"$BIN" demo --beneficiaries 0 > /dev/null

# Seconds since a `date +%s.%N` (awk: a dot whatever the locale).
seconds_since() {
  awk -v start="$1" -v now="$(date +%s.%N)" 'BEGIN { printf "%.2f", now - start }'
}

# run_import STEP LABEL FILE [--preview]: one `cdb-hub import`, its wall time and the hub's
# summary line; its JSON summary and log are kept in DIR.files/STEP.{json,log}.
run_import() {
  local step=$1 label=$2 file=$3 started rss="" timer=()
  shift 3
  if [ -x /usr/bin/time ]; then timer=(/usr/bin/time -f "%M" -o "$FILES/$step.rss"); fi
  started=$(date +%s.%N)
  if ! "${timer[@]}" "$BIN" import --deployment "$DEPLOYMENT" "$@" "$file" \
      > "$FILES/$step.json" 2> "$FILES/$step.log"; then
    echo "$label: failed" >&2
    cat "$FILES/$step.log" >&2
    exit 1
  fi
  local elapsed
  elapsed=$(seconds_since "$started")
  if [ ${#timer[@]} -gt 0 ]; then
    rss=", peak RSS $(( $(tail -n 1 "$FILES/$step.rss") / 1024 )) MB"
  fi
  echo "$label: $elapsed s$rss — $(tail -n 1 "$FILES/$step.log")"
}

lines=$(( $(wc -l < "$WHOLE") - 1 ))
next_lines=$(( $(wc -l < "$NEXT") - 1 ))
run_import whole-preview "whole template ($lines lines), preview" "$WHOLE" --preview
run_import whole-commit "whole template ($lines new people), commit" "$WHOLE"
run_import next-commit "next month ($next_lines lines), commit" "$NEXT"
run_import next-again "next month again, commit" "$NEXT"

# A hub serving on the data dir: it keeps the embedded cluster up for the floor and the flux.
CDB_RATE_LIMIT_PER_MINUTE=100000000 CDB_TOKEN_LIFETIME_SECS=3600 \
  "$BIN" serve --listen "127.0.0.1:$PORT" > "$FILES/serve.log" 2>&1 &
serve_pid=$!
stop_hub() {
  kill "$serve_pid" 2> /dev/null || true
  wait "$serve_pid" 2> /dev/null || true
}
trap stop_hub EXIT
ready=false
for _ in $(seq 240); do
  if [ -f "$DIR/postgres/postmaster.pid" ] && curl -sf "$URL/readyz" > /dev/null 2>&1; then
    ready=true
    break
  fi
  kill -0 "$serve_pid" 2> /dev/null || break
  sleep 0.5
done
if [ "$ready" != true ]; then
  echo "the hub is not ready on $URL, see $FILES/serve.log" >&2
  exit 1
fi

# The floor: the same bytes into an unlogged table of text columns, nothing else.
pid_file="$DIR/postgres/postmaster.pid"
sql() {
  psql -X -q -v ON_ERROR_STOP=1 -h "$(sed -n 5p "$pid_file")" -p "$(sed -n 4p "$pid_file")" \
    -U postgres -d cdb_hub "$@"
}
columns=$(for i in $(seq 25); do printf 'c%02d text,' "$i"; done)
sql -c "SET client_min_messages TO warning; DROP TABLE IF EXISTS bench_floor" \
  -c "CREATE UNLOGGED TABLE bench_floor (${columns%,})"
copy_options="FORMAT csv, DELIMITER ';', HEADER true, ENCODING 'WIN1252'"
floor() {
  local label=$1 file=$2 started elapsed
  sql -c "TRUNCATE bench_floor"
  started=$(date +%s.%N)
  sql -c "\\copy bench_floor FROM '$file' WITH ($copy_options)"
  elapsed=$(seconds_since "$started")
  echo "floor, \\copy of the $label into an unlogged table of 25 text columns: $elapsed s" \
    "($(sql -Atc "SELECT count(*) FROM bench_floor") rows)"
}
floor "whole template" "$WHOLE"
floor "next month" "$NEXT"
sql -c "DROP TABLE bench_floor"

if ! command -v jq > /dev/null || ! command -v curl > /dev/null; then
  echo "CAF/MSA flux skipped: curl and jq are needed (see the comment at the top)"
  exit 0
fi
# Generated now, after the imports, so that the flux is newer than what they wrote.
python3 "$HERE/template_file.py" flux "$NEXT" "$FLUX"
BIN=$BIN "$HERE/caf_flux.sh" "$FLUX" "$URL"
echo "hub (serve) peak RSS: $(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$serve_pid/status") MB"
