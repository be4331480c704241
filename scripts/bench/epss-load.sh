#!/usr/bin/env bash
# How long `fixgate exploits load --epss` takes on a day's worth of EPSS
# scores, and how much memory it needs: writes an EPSS file of ROWS scores
# (300,000 by default, about what FIRST publishes in 2025) in FIRST's
# format, loads it twice into a fresh SQLite store under /usr/bin/time -v
# (the second load replaces the first), and prints the wall time and peak
# memory of each. With DATABASE_URL set (postgres://…, a database of its
# own: the store's tables are created in it), the loads go there instead.
#
#   scripts/bench/epss-load.sh [path/to/fixgate]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
rows=${ROWS:-300000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fixgate=${1:-}
if [[ -z "$fixgate" ]]; then
  cargo build -q --release -p fixgate
  fixgate="${CARGO_TARGET_DIR:-target}/release/fixgate"
fi

file="$work/epss_scores-2025-12-04.csv"
awk -v rows="$rows" 'BEGIN {
  srand(7)
  print "#model_version:v2025.03.14,score_date:2025-12-04T12:55:00Z"
  print "cve,epss,percentile"
  for (n = 0; n < rows; n++) {
    printf "CVE-%d-%05d,%.5f,%.5f\n", 1999 + int(n / 20000), n % 20000, rand(), rand()
  }
}' > "$file"
echo "$(wc -l < "$file") lines, $(du -h "$file" | cut -f1)"

store=(--data-dir "$work/data")
if [[ -n "${DATABASE_URL:-}" ]]; then
  store=(--database-url "$DATABASE_URL")
fi
for run in first replacing; do
  /usr/bin/time -v "$fixgate" "${store[@]}" exploits load --epss "$file" 2> "$work/time" \
    || { cat "$work/time"; exit 1; }
  wall=$(grep 'Elapsed (wall clock)' "$work/time" | awk '{print $NF}')
  peak=$(grep 'Maximum resident set size' "$work/time" | awk '{print $NF}')
  echo "$run load: ${wall} wall, $((peak / 1024)) MB peak"
done
