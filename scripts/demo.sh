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
# The page scrolls back through the store: give the demo the hour before now (the shipped
# minute, sixty times over, imported with its times), then keep what the replay sends.
store=".build/demo-history.sqlite"
if [ ! -s "$store" ]; then
  hour="$(mktemp)"
  awk -v start="$(( $(date +%s) - 3600 ))" '
    /^#/ { next }
    { rows[n++] = $0 }
    END {
      print "# sensorbridge recording v1"
      print "# started " start ".000000 source demo hour (hardware/recordings/tilt-60s-50hz.log x 60)"
      for (k = 0; k < 60; k++) for (i = 0; i < n; i++) {
        split(rows[i], part, " ")
        printf "%.6f %s\n", part[1] + 60 * k, part[2]
      }
    }' hardware/recordings/tilt-60s-50hz.log > "$hour"
  "$binary" import "$hour" --store "$store" --source tilt-60s-50hz
  rm -f "$hour"
fi
echo "demo: history in $store (the page's range buttons scroll back through it)"
exec "$binary" --replay hardware/recordings/tilt-60s-50hz.log --loop --store "$store" "$@"
