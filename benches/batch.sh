#!/usr/bin/env bash
# Batch benchmark: N synthetic subjects against the simulated network.
# Prints wall time, checks/s, peak RSS and CPU use. Not part of CI.
#   bash benches/batch.sh [N]      (default N=1000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
cargo build --release --locked -q
bin=target/release/brokertrace
work=$(mktemp -d)
trap 'kill $sim_pid 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin" sim serve --count "$n" >"$work/sim.txt" &
sim_pid=$!
for _ in $(seq 50); do grep -q '^Ctrl-C' "$work/sim.txt" 2>/dev/null && break; sleep 0.1; done
resolve=$(awk -F'\t' '/^[a-z0-9.-]+\.test\t/ { sub("http://", "", $2); sub("/$", "", $2); printf " --resolve %s=%s", $1, $2 }' "$work/sim.txt")
"$bin" sim people --count "$n" >"$work/people.csv"

# The simulated brokers have no rate limit of their own: allow a generous
# per-host budget so the run measures brokertrace, not the politeness pause.
/usr/bin/time -v "$bin" -q batch "$work/people.csv" --sources sources/sim --db "$work/db.sqlite" \
  --out "$work/reports" --aggregate-only --rate 60000 --per-host 8 --concurrency 16 $resolve \
  2>"$work/time.txt" || true

checks=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from checks').fetchone()[0])" "$work/db.sqlite")
fetches=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from fetches').fetchone()[0])" "$work/db.sqlite")
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt")
secs=$(python3 -c "import sys; p=sys.argv[1].split(':'); print(sum(float(x)*60**i for i,x in enumerate(reversed(p))))" "$wall")
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
cpu=$(awk -F': ' '/Percent of CPU this job got/ {print $2}' "$work/time.txt")
echo "subjects:        $n"
echo "checks:          $checks ($fetches HTTP fetches)"
echo "wall time:       ${secs}s"
python3 -c "import sys; print('checks/s:        %.0f' % (int(sys.argv[1])/float(sys.argv[2])))" "$checks" "$secs"
echo "peak RSS:        $((rss / 1024)) MiB"
echo "CPU (avg):       $cpu of one core"
