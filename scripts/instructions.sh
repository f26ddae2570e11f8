#!/bin/bash
# Instructions per line through each stage of the data path (the replay reader; framer, parser,
# statistics and stream, a line a read and, as a replay at --speed 0 gives them, 16 KiB a read;
# encoding and framing for the batched and per-sample streams), counted
# by valgrind's callgrind in the release-built microbench: repeatable where times on a shared
# machine are not (docs/benchmarks.md).
#   bash scripts/instructions.sh            # the table
#   bash scripts/instructions.sh --check    # and fails when a stage grew by more than 10 % over
#                                           # Benchmarks/instructions-baseline.txt (CI runs this)
#   bash scripts/instructions.sh --record   # writes that baseline
# Builds the microbench itself (release) unless BENCH names one.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
baseline=Benchmarks/instructions-baseline.txt
if [ -z "${BENCH:-}" ]; then
    swift build -c release --product sensorbridge-microbench >/dev/null
    BENCH=$(swift build -c release --show-bin-path)/sensorbridge-microbench
fi
# Valgrind gives up on the Swift toolchain's DWARF ("possibly corrupted debuginfo"): a copy
# without it, its symbol table kept for --toggle-collect.
counted=$(mktemp)
trap 'rm -f "$counted"' EXIT
cp "$BENCH" "$counted"
chmod +x "$counted"
strip --strip-debug "$counted"
few=20000
many=120000
count() {
    # Inside the stage's run only (countedRun), so making the recording does not count. A run
    # that fails (an unknown stage, a trap) counts nothing: its partial figure is not a count.
    local out
    if ! out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null --error-exitcode=99 '--toggle-collect=*countedRun*' \
        "$counted" --once "$1" "$2" 2>&1); then
        echo "instructions: the microbench failed for $1 $2:" >&2
        echo "$out" | tail -5 >&2
        return 0
    fi
    echo "$out" | awk '/Collected/ {print $4}'
}
status=0
table=""
for stage in replay ingest replay-ingest batched per-sample both; do
    # Two runs that differ only in the number of lines: what the run costs once cancels out.
    a=$(count "$stage" "$few")
    b=$(count "$stage" "$many")
    if [ -z "$a" ] || [ -z "$b" ]; then echo "instructions: callgrind counted nothing for $stage" >&2; exit 1; fi
    per=$(( (b - a) / (many - few) ))
    # Nothing counted (countedRun renamed, so --toggle-collect never matched) is a broken
    # measurement, not a cheaper data path.
    if [ "$per" -le 0 ]; then echo "instructions: $stage counted $a and $b instructions: not a measurement" >&2; exit 1; fi
    table+="$stage $per"$'\n'
    line=$(printf '%-14s %6d instructions a line' "$stage" "$per")
    if [ "$mode" = --check ]; then
        was=$(awk -v s="$stage" '$1 == s {print $2}' "$baseline")
        if [ -z "$was" ]; then
            line+="   (no baseline)"
        elif [ $(( per * 100 )) -gt $(( was * 110 )) ]; then
            line+="   GREW from $was (more than 10 %)"
            status=1
        elif [ $(( per * 100 )) -lt $(( was * 50 )) ]; then
            line+="   under half of $was: a cheaper path (record a new baseline) or a broken count"
            status=1
        else
            line+="   (baseline $was)"
        fi
    fi
    echo "$line"
done
if [ "$mode" = --record ]; then
    printf '%s' "$table" > "$baseline"
    echo "written: $baseline"
fi
exit $status
