#!/usr/bin/env bash
# Applies a synthetic CAF/MSA flux bénéficiaires to a `caf_msa` instance of a running hub and
# prints how long its run took (the run's own started_at → finished_at), then sends the same
# file again as a new upload (a renamed copy) and times that second application.
#
#   benches/caf_flux.sh <households> [hub URL]     (CDB_DATA_DIR names the hub's data dir)
#
# Needs the release build, `jq`, and a hub serving on the URL with the demo deployment.
set -euo pipefail
households=${1:-20000}
url=${2:-http://127.0.0.1:8090}
flux=/tmp/flux-$households.xml
[ -f "$flux" ] || target/release/examples/caf_flux "$households" "$flux"
client=$(target/release/cdb-hub clients create --deployment "CD 93 (démo)" --name "flux bench $$" \
  --scope connectors:admin)
token=$(curl -sf -u "$(jq -r .client_id <<<"$client"):$(jq -r .client_secret <<<"$client")" \
  -d grant_type=client_credentials "$url/oauth/token" | jq -r .access_token)
auth=(-H "Authorization: Bearer $token")
instance=$(curl -sf "${auth[@]}" -H 'Content-Type: application/json' "$url/v1/connectors" \
  -d "{\"kind\":\"caf_msa\",\"name\":\"CAF bench $$\"}" | jq -r .id)
apply() {
  local name=$1 path=$2 file started
  started=$(date +%s.%N)
  file=$(curl -sf "${auth[@]}" -H 'Content-Type: application/xml' --data-binary @"$path" \
    "$url/v1/connectors/$instance/files?name=$name" | jq -r .id)
  echo "upload of $name: $(echo "$(date +%s.%N) - $started" | bc) s"
  until [ "$(curl -sf "${auth[@]}" "$url/v1/connectors/$instance/files/$file" | jq -r .status)" != received ]; do
    sleep 2
  done
  curl -sf "${auth[@]}" "$url/v1/connectors/$instance/files/$file" | jq -c '{status, report: (.report | {households, persons, matched, updated, unchanged, unknown, created, errors})}'
  curl -sf "${auth[@]}" "$url/v1/connectors/$instance/runs" | jq -r \
    '.items[0] | "run: \(.started_at) → \(.finished_at)"'
}
apply "flux-$households.xml" "$flux"
# The same households again, as another file (the same bytes would be the same file).
{ cat "$flux"; echo; } > "$flux.again"
apply "flux-$households-again.xml" "$flux.again"
rm -f "$flux.again"
