#!/usr/bin/env bash
# Records the real firmware: the sketch built for the Uno, run in simavr by sensorsim on a pty,
# read by sensorbridge --record. Makes hardware/recordings/firmware-tilt-60s-50hz.log.
#   bash hardware/simulator/record.sh [SECONDS] [OUTPUT]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
output=${2:-hardware/recordings/firmware-tilt-${seconds}s-50hz.log}
make -s -C hardware/adxl335_graph >/dev/null
make -s -C hardware/simulator
swift build -c release --product sensorbridge >/dev/null
bridge="$(swift build -c release --show-bin-path)/sensorbridge"
fifo=$(mktemp -u) && mkfifo "$fifo"
# --hold: the CPU starts once the bridge has the pty open, so the header line is recorded too.
hardware/simulator/build/sensorsim hardware/adxl335_graph/build-uno-9600/adxl335_graph.elf --hold \
  --seconds "$seconds" < "$fifo" > "$fifo.out" &
sim=$!
exec 3> "$fifo"
until grep -q '^pty ' "$fifo.out" 2>/dev/null; do sleep 0.1; done
pty=$(grep '^pty ' "$fifo.out" | cut -d' ' -f2)
rm -f "$output"
"$bridge" "$pty" --baud 9600 --port 0 --record "$output" &
bridge_pid=$!
sleep 1
echo go >&3
wait "$sim" || true
sleep 0.5
kill -INT "$bridge_pid"; wait "$bridge_pid" || true
exec 3>&-
rm -f "$fifo" "$fifo.out"
echo "recorded $(grep -vc '^#' "$output") lines from the firmware into $output"
