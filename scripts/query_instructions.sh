#!/bin/bash
# Instructions a /api/history query takes (2000 buckets, answer included), per range, counted
# by valgrind's callgrind: repeatable where times on a shared machine are not.
#   bash scripts/query_instructions.sh STORE [RANGES_MS...]
# STORE: a store of 1 kHz data at least an hour long (python3 scripts/bench_store.py --hours 1 --keep
# leaves one). Build first: swift build -c release --product sensorbridge-querybench
set -euo pipefail
store=${1:?usage: query_instructions.sh STORE [RANGES_MS...]}
shift
ranges=${*:-10000 60000 600000 2600000}
bench=${BENCH:-$(dirname "$0")/../.build/release/sensorbridge-querybench}
count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bench" "$store" "$1" "$2" 2>&1 | awk '/Collected/ {print $4}'
}
for range in $ranges; do
    # Two runs that differ only in the number of queries: start-up cancels out.
    few=$(count 2 "$range")
    many=$(count 12 "$range")
    echo "$range ms: $(( (many - few) / 10 / 1000 )) k instructions a query"
done
