#!/usr/bin/env bash
# Side-by-side fan-out benchmark: sensorbridge (per-sample and batched streams) against
# node ws, Python websockets and gevent-websocket broadcast servers on the same feeder,
# measured by a C load client. Run by a person (minutes); docs/benchmarks.md has a table.
#
#   bash scripts/bench.sh                                  # 100 and 500 clients, 1000 lines/s, 20 s each
#   bash scripts/bench.sh --clients 100 --seconds 5       # any option of scripts/bench/bench.py
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
need=()
command -v node >/dev/null 2>&1 || need+=(nodejs)
[ -f /usr/share/nodejs/ws/index.js ] || need+=(node-ws)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
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
ulimit -n "$(ulimit -Hn)"
exec python3 scripts/bench/bench.py "$@"
