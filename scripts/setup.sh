#!/usr/bin/env bash
# Installs what building sensorbridge needs on Debian/Ubuntu: pkg-config and the headers of
# libudev (device discovery), libmosquitto (the MQTT publisher and relay) and SQLite (the
# history store).
# Swift itself is expected on PATH (https://www.swift.org/install/linux/).
set -euo pipefail

need=()
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
if ! pkg-config --exists libudev 2>/dev/null; then need+=(libudev-dev); fi
if ! pkg-config --exists libmosquitto 2>/dev/null; then need+=(libmosquitto-dev); fi
# The history store: SQLite, through GRDB.
if ! pkg-config --exists sqlite3 2>/dev/null; then need+=(libsqlite3-dev); fi
if ! command -v swift >/dev/null 2>&1; then
  echo "setup: swift is not on PATH; install Swift 6 first (https://www.swift.org/install/linux/)" >&2
  exit 1
fi
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing ${need[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
