#!/usr/bin/env bash
# Sets up, builds once, and runs every test: unit, in-process server, and end-to-end
# (the built binary on real pseudo-terminals with real WebSocket clients).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --build-tests
swift test --skip-build
