#!/usr/bin/env bash
# Applies a CAF/MSA flux bénéficiaires to a new `caf_msa` instance of a running hub and prints
# how long it took from upload to applied (and its run's own started_at → finished_at), then
# sends the same households again as a new upload (a copy with one more byte) and times that
# second application.
#
#   benches/caf_flux.sh <households | flux.xml> [hub URL]
#
# A number generates a synthetic flux of that many households with the connector's example
# (target/release/examples/caf_flux); a file is applied as it is (benches/template_file.py
# writes one over the people of a template file). Needs `jq`, `curl`, and a hub serving on the
# URL with the demo deployment; CDB_DATA_DIR names the hub's data dir, BIN its binary
# (target/release/cdb-hub by default).
set -euo pipefail
what=${1:-20000}
url=${2:-http://127.0.0.1:8090}
BIN=${BIN:-target/release/cdb-hub}
if [ -f "$what" ]; then
  flux=$what
else
  flux=/tmp/flux-$what.xml
  [ -f "$flux" ] || target/release/examples/caf_flux "$what" "$flux"
fi
name=$(basename "$flux" .xml)
client=$("$BIN" clients create --deployment "CD 93 (démo)" --name "flux bench $$" \
  --scope connectors:admin)
token=$(curl -sf -u "$(jq -r .client_id <<<"$client"):$(jq -r .client_secret <<<"$client")" \
  -d grant_type=client_credentials "$url/oauth/token" | jq -r .access_token)
auth=(-H "Authorization: Bearer $token")
instance=$(curl -sf "${auth[@]}" -H 'Content-Type: application/json' "$url/v1/connectors" \
  -d "{\"kind\":\"caf_msa\",\"name\":\"CAF bench $$\"}" | jq -r .id)

# Seconds since a `date +%s.%N` (awk: a dot whatever the locale).
seconds_since() {
  awk -v start="$1" -v now="$(date +%s.%N)" 'BEGIN { printf "%.2f", now - start }'
}

apply() {
  local label=$1 name=$2 path=$3 started file status run=""
  started=$(date +%s.%N)
  # -T streams the file (no copy in curl's memory); the empty Expect skips 100-continue.
  file=$(curl -sf "${auth[@]}" -H 'Content-Type: application/xml' -H 'Expect:' -X POST \
    -T "$path" "$url/v1/connectors/$instance/files?name=$name" | jq -r .id)
  if [ -z "$file" ] || [ "$file" = null ]; then
    echo "$label: the upload failed" >&2
    exit 1
  fi
  status=received
  while [ "$status" = received ]; do
    sleep 0.5
    status=$(curl -sf "${auth[@]}" "$url/v1/connectors/$instance/files/$file" | jq -r .status)
  done
  echo "$label: $(seconds_since "$started") s from upload to $status — $(curl -sf "${auth[@]}" \
    "$url/v1/connectors/$instance/files/$file" | jq -c '{error} + (.report // {} | {households,
      persons, matched, updated, unchanged, unknown, created, possible_matches, errors})')"
  # The file is marked applied inside its run: wait (a little) for the run to end.
  for _ in $(seq 60); do
    run=$(curl -sf "${auth[@]}" "$url/v1/connectors/$instance/runs" | jq -r \
      '.items[0] | select(.finished_at != null) | "  its run: \(.started_at) → \(.finished_at)"')
    [ -n "$run" ] && break
    sleep 0.5
  done
  echo "${run:-  its run has not finished yet}"
}

households=$(grep -c '<InfosFoyerRSA>' "$flux")
apply "CAF/MSA flux ($households households), applied" "$name.xml" "$flux"
# The same households again, as another file (the same bytes would be the same file).
{ cat "$flux"; echo; } > "$flux.again"
apply "the same flux again" "$name-again.xml" "$flux.again"
rm -f "$flux.again"
