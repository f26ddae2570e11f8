#!/usr/bin/env bash
# Side-by-side fan-out benchmark: sensorbridge (per-sample and batched streams) against the
# limit (scripts/bench/limit_server.c: a bare C broadcast server, this machine's anchor) and
# node ws, Python websockets and gevent-websocket broadcast servers on the same feeder,
# measured by a C load client. Run by a person (minutes); docs/benchmarks.md has a table.
#
# Then the scale-out benchmark: an edge bridge publishing to a real Mosquitto broker, two
# relays serving their own clients; delivered share and latency through the broker.
#
#   bash scripts/bench.sh                                  # both, with their defaults
#   bash scripts/bench.sh --clients 100 --seconds 5       # the fan-out one only; any option of scripts/bench/bench.py
#   bash scripts/bench.sh mqtt --clients 200 --relays 3   # the scale-out one only; options of scripts/bench/bench_mqtt.py
#
# And the history store against VictoriaMetrics and a naive SQLite table (scripts/bench_store.py;
# 24 h of 1 kHz data by default, about half an hour and 15 GB of temporary files):
#
#   bash scripts/bench.sh store                            # options of scripts/bench_store.py, e.g. --hours 0.05
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
need=()
command -v node >/dev/null 2>&1 || need+=(nodejs)
[ -f /usr/share/nodejs/ws/index.js ] || need+=(node-ws)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
[ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
if [ "${1:-}" = store ] && ! command -v victoria-metrics >/dev/null 2>&1; then need+=(victoria-metrics); fi
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -r scripts/bench/requirements.txt 2>&1 \
  | grep -v "Running pip as the 'root' user" || true
swift build -c release --product sensorbridge
mkdir -p .build
gcc -O2 -Wall -o .build/loadclient scripts/bench/loadclient.c
gcc -O2 -Wall -o .build/limit_server scripts/bench/limit_server.c
ulimit -n "$(ulimit -Hn)"
case "${1:-}" in
  mqtt) shift; exec python3 scripts/bench/bench_mqtt.py "$@" ;;
  store) shift; exec python3 scripts/bench_store.py "$@" ;;
  "") python3 scripts/bench/bench.py; echo; exec python3 scripts/bench/bench_mqtt.py ;;
  *) exec python3 scripts/bench/bench.py "$@" ;;
esac
