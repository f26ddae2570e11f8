#!/usr/bin/env bash
# Runs the Autobahn TestSuite's fuzzing client (wstest) against the bridge's conformance
# endpoint (/echo, enabled with --test-echo-endpoint) and fails when any case FAILED.
#
#   bash scripts/autobahn.sh                 # groups 1-7, 9 and 10 (about a minute)
#   AUTOBAHN_CASES='1.*,5.*' bash scripts/autobahn.sh
#
# wstest needs Python 2.7: the script makes a virtualenv of pyenv's 2.7 (or any python2.7 on
# PATH) in .build/autobahn-venv and installs the pinned autobahntestsuite there. Reports
# (HTML per case, index.json) go to .build/autobahn-reports. Uses the debug build unless
# SENSORBRIDGE_BINARY names another.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv="$root/.build/autobahn-venv"
reports="$root/.build/autobahn-reports"
cases="${AUTOBAHN_CASES:-1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*}"

find_python2() {
  if command -v pyenv >/dev/null 2>&1; then
    for version in $(pyenv versions --bare 2>/dev/null | grep '^2\.7' | sort -rV); do
      echo "$(pyenv root)/versions/$version/bin/python2.7"; return
    done
  fi
  for candidate in "$HOME"/.pyenv/versions/2.7*/bin/python2.7 /root/.pyenv/versions/2.7*/bin/python2.7; do
    [ -x "$candidate" ] && { echo "$candidate"; return; }
  done
  command -v python2.7 || true
}

if [ ! -x "$venv/bin/wstest" ]; then
  python2=$(find_python2)
  if [ -z "$python2" ]; then
    echo "autobahn: no Python 2.7 found (wstest needs it); install one with: pyenv install 2.7.18" >&2
    exit 1
  fi
  echo "autobahn: making a Python 2.7 virtualenv for wstest ($python2)"
  "$python2" -m virtualenv --version >/dev/null 2>&1 \
    || "$python2" -m pip install -q --user --no-warn-script-location 'virtualenv==20.15.1' 2>&1 | grep -v DEPRECATION || true
  rm -rf "$venv"
  "$python2" -m virtualenv -q "$venv"
  "$venv/bin/pip" install -q -r scripts/autobahn-requirements.txt 2>&1 | grep -v DEPRECATION || true
  [ -x "$venv/bin/wstest" ] || { echo "autobahn: installing autobahntestsuite failed" >&2; exit 1; }
fi

binary="${SENSORBRIDGE_BINARY:-$root/.build/debug/sensorbridge}"
[ -x "$binary" ] || swift build --product sensorbridge
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log="$root/.build/autobahn-bridge.log"
"$binary" --replay hardware/recordings/tilt-60s-50hz.log --loop --port "$port" --test-echo-endpoint \
  --log-level warning >"$log" 2>&1 &
bridge=$!
trap 'kill "$bridge" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q "echo:" "$log" && break
  sleep 0.1
done
grep -q "echo:" "$log" || { echo "autobahn: the bridge did not start:" >&2; cat "$log" >&2; exit 1; }

rm -rf "$reports"
mkdir -p "$reports"
python3 - "$reports" "$port" "$cases" >"$reports/spec.json" <<'PY'
import json, sys
reports, port, cases = sys.argv[1], sys.argv[2], sys.argv[3]
print(json.dumps({
    "outdir": reports,
    "servers": [{"agent": "sensorbridge", "url": "ws://127.0.0.1:%s/echo" % port}],
    "cases": cases.split(","), "exclude-cases": [], "exclude-agent-cases": {},
}))
PY
echo "autobahn: wstest fuzzingclient, cases $cases, against ws://127.0.0.1:$port/echo"
started=$(date +%s)
(cd "$reports" && "$venv/bin/wstest" -m fuzzingclient -s spec.json >wstest.log 2>&1)
echo "autobahn: wstest took $(( $(date +%s) - started )) s"

kill -0 "$bridge" 2>/dev/null || { echo "autobahn: the bridge died during the run:" >&2; cat "$log" >&2; exit 1; }

python3 - "$reports/index.json" <<'PY'
import collections, json, sys
results = json.load(open(sys.argv[1]))["sensorbridge"]
def key(case): return [int(part) for part in case.split(".")]
by_group = collections.defaultdict(collections.Counter)
for case, result in results.items():
    by_group[case.split(".")[0]][result["behavior"]] += 1
total = collections.Counter(result["behavior"] for result in results.values())
print("%-6s %6s  %s" % ("group", "cases", "results"))
for group in sorted(by_group, key=int):
    counts = by_group[group]
    print("%-6s %6d  %s" % (group, sum(counts.values()), ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
print("%-6s %6d  %s" % ("all", len(results), ", ".join("%s %d" % kv for kv in sorted(total.items()))))
bad = [case for case, result in results.items()
       if result["behavior"] in ("FAILED", "UNIMPLEMENTED") or result["behaviorClose"] == "FAILED"]
for case in sorted(bad, key=key):
    print("  %s: %s (close: %s)" % (case, results[case]["behavior"], results[case]["behaviorClose"]))
non_strict = sorted((case for case, result in results.items() if result["behavior"] == "NON-STRICT"), key=key)
if non_strict:
    print("NON-STRICT (allowed; see docs/conformance.md): " + ", ".join(non_strict))
print("autobahn: %d FAILED" % len(bad))
sys.exit(1 if bad else 0)
PY
