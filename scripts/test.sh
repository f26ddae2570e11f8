#!/usr/bin/env bash
# Sets up, builds once, and runs every test: unit, in-process server, end-to-end (the built
# binary on real pseudo-terminals with real WebSocket clients, relays through a real Mosquitto
# broker), the page in headless Chromium
# and Firefox ESR, /metrics through prometheus_client, a short soak, the Autobahn suite, and a
# short run of every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Browsers for the page tests (Chromium through chromedriver, Firefox through Marionette);
# socat for unplug/replug.
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v firefox-esr >/dev/null 2>&1 || need+=(firefox-esr)
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v node >/dev/null 2>&1 || need+=(nodejs)
# The sketch (arduino-mk, the Arduino AVR core, avr-gcc) and the simulator that runs it.
[ -f /usr/share/arduino/Arduino.mk ] || need+=(arduino-mk)
[ -d /usr/share/arduino/hardware/arduino/avr/cores ] || need+=(arduino-core-avr)
command -v avr-gcc >/dev/null 2>&1 || need+=(gcc-avr avr-libc)
pkg-config --exists simavr 2>/dev/null || need+=(libsimavr-dev)
[ -f /usr/include/libelf.h ] || need+=(libelf-dev)
# A real broker and its command-line clients for the MQTT publish/relay tests.
[ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v mosquitto_sub >/dev/null 2>&1 || need+=(mosquitto-clients)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# Instruction counts of the data path (scripts/instructions.sh).
command -v valgrind >/dev/null 2>&1 || need+=(valgrind)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "test: installing ${need[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -r scripts/browser-test-requirements.txt 2>&1 \
  | grep -v "Running pip as the 'root' user" || true
# The real firmware for the firmware tests: the sketch at its own 9600 baud and at 115200
# (where 100 Hz fits), and the simavr harness that runs it on a pty.
make -s -C hardware/adxl335_graph >/dev/null
make -s -C hardware/adxl335_graph BAUD=115200 >/dev/null
make -s -C hardware/simulator
swift build --build-tests
# Every bridge the tests start keeps its default history store here, not in the user's ~/.local/state.
export XDG_STATE_HOME="$(mktemp -d)"
trap 'rm -rf "$XDG_STATE_HOME"' EXIT
# One test at a time: the end-to-end tests measure timing and must not share the 2 cores.
swift test --skip-build --no-parallel
# The page's data store on its own, then the page in real browsers against the built binary.
node --test Tests/Web
SENSORBRIDGE_BINARY="$(swift build --show-bin-path)/sensorbridge" \
  python3 -m pytest -q -p no:warnings -p no:cacheprovider Tests/Browser
# The soak's short version: idle sockets, stalled readers, churn and serial fuzz, 5 s each,
# while a reader must get every sample (the long one: scripts/soak.py, docs/reliability.md).
python3 scripts/soak.py --binary "$(swift build --show-bin-path)/sensorbridge" --seconds 5 --idle 400 --stalled 50
# The fan-out benchmark's smoke run: our C load client against both streams and the C limit
# server (the full side-by-side table with node ws, websockets and gevent: scripts/bench.sh).
gcc -O2 -Wall -o .build/loadclient scripts/bench/loadclient.c
gcc -O2 -Wall -o .build/limit_server scripts/bench/limit_server.c
python3 scripts/bench/bench.py --binary "$(swift build --show-bin-path)/sensorbridge" --loadclient .build/loadclient \
  --limit .build/limit_server --servers "limit C batched,sensorbridge per-sample,sensorbridge batched" --clients 50 --seconds 3 --rate 200
# Instructions per line through ingest and framing (callgrind, release build of the
# microbench): fails when a stage grew by more than 10 % over the recorded baseline.
bash scripts/instructions.sh --check
# The scale-out benchmark's smoke run: edge → Mosquitto → two relays, clients on each.
python3 scripts/bench/bench_mqtt.py --binary "$(swift build --show-bin-path)/sensorbridge" --loadclient .build/loadclient \
  --clients 20 --seconds 3 --rate 200
# WebSocket conformance: the Autobahn TestSuite against the built binary (about a minute).
bash scripts/autobahn.sh
# Fuzzing's short version: every libFuzzer target 30 s (a sanitized build of Fuzz/, about five
# minutes), then every reproducer it ever found (docs/reliability.md; long runs: --seconds 600).
bash scripts/fuzz.sh --seconds 30
bash scripts/fuzz.sh --regressions --no-build
