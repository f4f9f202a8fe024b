#!/bin/bash
# The same people a month later: commits N new people, then the same people each with a new
# phone, e-mail and address, then that file again; prints the wall time of each import.
#   benches/month_later.sh target/release/cdb-hub 5000 /tmp/bench-month
set -euo pipefail
BIN=$1; COUNT=$2; DIR=$3
HERE=$(dirname "$0")
python3 "$HERE/imports_file.py" "$COUNT" /tmp/month-base.csv
python3 - <<'PY'
import csv, random
rng = random.Random(7)
rows = list(csv.reader(open('/tmp/month-base.csv', encoding='cp1252', newline=''), delimiter=';'))
header = rows[0]
phone, email, address = header.index('Téléphone'), header.index('Email'), header.index('Adresse')
for row in rows[1:]:
    row[phone] = "07 " + " ".join(str(rng.randint(10, 99)) for _ in range(4))
    row[email] = f"nouvelle.adresse{rng.randint(1, 10**6)}@exemple.fr"
    row[address] = f"{rng.randint(1, 200)} rue Neuve"
with open('/tmp/month-changed.csv', 'w', encoding='cp1252', newline='') as out:
    csv.writer(out, delimiter=';', lineterminator='\r\n').writerows(rows)
PY
rm -rf "$DIR"; mkdir -p "$DIR"; chmod 755 "$DIR"
export CDB_DATA_DIR=$DIR CDB_LOG_LEVEL=warn
"$BIN" deployments create --label "CD 26 (bench)" > /dev/null
for step in "new people:/tmp/month-base.csv" "changed people:/tmp/month-changed.csv" \
            "the changed file again:/tmp/month-changed.csv"; do
    start=$(date +%s.%N)
    "$BIN" import --deployment "CD 26 (bench)" "${step#*:}" > /dev/null
    end=$(date +%s.%N)
    echo "${step%%:*}: $(echo "$end - $start" | bc) s"
done
