#!/usr/bin/env bash
# Sets up, builds and runs sensorbridge: on the board if one is plugged in, otherwise on the
# shipped 60 s tilt recording, looped. Extra arguments go to sensorbridge (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product sensorbridge
binary="$(swift build -c release --show-bin-path)/sensorbridge"

board=""
for candidate in /dev/serial/by-id/*Arduino* /dev/ttyACM0 /dev/ttyUSB0; do
  if [ -e "$candidate" ]; then board="$candidate"; break; fi
done
if [ -n "$board" ]; then
  echo "demo: found $board"
  exec "$binary" "$board" "$@"
fi
echo "demo: no board plugged in; replaying hardware/recordings/tilt-60s-50hz.log in a loop"
exec "$binary" --replay hardware/recordings/tilt-60s-50hz.log --loop "$@"
