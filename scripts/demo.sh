#!/usr/bin/env bash
# Sets up, builds and runs sensorbridge: on the board if one is plugged in, otherwise on the
# shipped 60 s tilt recording, looped. Extra arguments go to sensorbridge (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product sensorbridge
binary="$(swift build -c release --show-bin-path)/sensorbridge"

# `sensorbridge list` marks Arduino-class boards with "*"; with no device named, sensorbridge
# reads the one there is (and says what to pass when there are several).
if "$binary" list | grep -q '^\* '; then
  echo "demo: an Arduino-class board is plugged in; reading it"
  exec "$binary" "$@"
fi
echo "demo: no board plugged in; replaying hardware/recordings/tilt-60s-50hz.log in a loop"
exec "$binary" --replay hardware/recordings/tilt-60s-50hz.log --loop "$@"
