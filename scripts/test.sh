#!/usr/bin/env bash
# Sets up, builds once, and runs every test: unit, in-process server, and end-to-end
# (the built binary on real pseudo-terminals with real WebSocket clients).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The page is tested in a real headless browser; unplug/replug with socat's pty links.
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v socat >/dev/null 2>&1 || need+=(socat)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "test: installing ${need[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
swift build --build-tests
# One test at a time: the end-to-end tests measure timing and must not share the 2 cores.
swift test --skip-build --no-parallel
# WebSocket conformance: the Autobahn TestSuite against the built binary (about a minute).
bash scripts/autobahn.sh
