#!/usr/bin/env python3
"""What the bridge's sample buffer costs in memory: RSS after replaying 70 000 lines at
--speed 0 with --buffer 16 and with --buffer 65536 (the default), for 3 and 6 channels.

    python3 scripts/bench_buffer.py
"""
import json
import os
import re
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("SENSORBRIDGE_BINARY") or os.path.join(
    subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True).stdout.strip(),
    "sensorbridge")


def capture(channels, lines=70000):
    handle, path = tempfile.mkstemp(suffix=".raw")
    with os.fdopen(handle, "w") as out:
        for n in range(lines):
            out.write(",".join(str(500 + (n * (k + 1)) % 400) for k in range(channels)) + "\n")
    return path


def rss_after_replay(buffer, path):
    bridge = subprocess.Popen([BINARY, "--replay", path, "--speed", "0", "--buffer", str(buffer), "--port", "0",
                               "--log-level", "warning"], stdout=subprocess.PIPE, text=True)
    port = None
    while port is None:
        found = re.search(r"page:\s+http://[^:]+:(\d+)/", bridge.stdout.readline())
        port = int(found.group(1)) if found else None
    for _ in range(600):
        status = json.loads(urllib.request.urlopen("http://127.0.0.1:%d/api/status" % port).read())
        if status["source"]["state"] == "finished":
            break
        time.sleep(0.1)
    time.sleep(0.5)
    with open("/proc/%d/status" % bridge.pid) as proc:
        kib = int(re.search(r"VmRSS:\s+(\d+)", proc.read()).group(1))
    bridge.terminate()
    bridge.wait()
    return kib


print("| channels | RSS, --buffer 16 | RSS, --buffer 65536 | per sample |")
print("|---|---|---|---|")
for channels in (3, 6):
    path = capture(channels)
    small, big = rss_after_replay(16, path), rss_after_replay(65536, path)
    os.unlink(path)
    print("| %d | %d KiB | %d KiB | %d bytes |" % (channels, small, big, round((big - small) * 1024 / (65536 - 16))))
