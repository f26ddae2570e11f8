#!/usr/bin/env python3
"""Replay memory and speed: writes a recording of about --megabytes MB (6 channels), replays
it with `--speed 0` through the built bridge, samples its resident memory until the replay
has finished, and prints the peak and the lines per second.

    python3 scripts/bench_replay.py [--binary PATH] [--megabytes 1024] [--keep FILE] [--raw]
                                    [--bridge-args=--no-store]

--raw writes a raw capture (the lines alone, as `cat /dev/ttyACM0 > file` keeps them)
instead of a recording (each line with its time).

Replay streams the file a block at a time, so the peak should not grow with the file.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_recording(path, megabytes, raw=False):
    """Lines like `12.340000 512,498,620,-3,14,0`, 50 Hz, until the file has the size asked
    (without the time and the header when `raw`)."""
    target = megabytes * 1_000_000
    lines = 0
    with open(path, "w") as out:
        if not raw:
            out.write("# sensorbridge recording v1\n# started 1763683200.000000 source bench baud 115200\n")
        written = 0
        block = []
        while written < target:
            n = lines
            values = "%d,%d,%d,%d,%d,%d\n" % (512 + n % 97, 498 - n % 89, 620 + n % 13, -(n % 7), n % 1000, n % 2)
            line = values if raw else "%d.%06d %s" % (n // 50, (n % 50) * 20000, values)
            block.append(line)
            written += len(line)
            lines += 1
            if len(block) == 10000:
                out.write("".join(block))
                block = []
        out.write("".join(block))
    return lines


def status(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/api/status" % port, timeout=10) as response:
        return json.loads(response.read())


def rss_mb(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as text:
        for line in text:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "sensorbridge"))
    parser.add_argument("--megabytes", type=int, default=1024)
    parser.add_argument("--keep", help="write the recording here and keep it (default: a temporary file)")
    parser.add_argument("--raw", action="store_true", help="a raw capture: the lines without their times")
    parser.add_argument("--bridge-args", default="", help="more arguments for the bridge, e.g. --bridge-args=--no-store")
    options = parser.parse_args()

    path = options.keep or os.path.join(tempfile.gettempdir(), "sensorbridge-bench-%d.log" % os.getpid())
    started = time.monotonic()
    lines = write_recording(path, options.megabytes, options.raw)
    size = os.path.getsize(path)
    print("%s: %s, %.0f MB, %d lines (written in %.0f s)" % ("raw capture" if options.raw else "recording", path, size / 1e6, lines, time.monotonic() - started))
    log = tempfile.TemporaryFile(mode="w+")
    bridge = subprocess.Popen([options.binary, "--replay", path, "--speed", "0", "--port", "0", "--buffer", "65536"]
                              + options.bridge_args.split(),
                              stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        port = None
        while port is None:
            found = re.search(r"http://127\.0\.0\.1:(\d+)/", bridge.stdout.readline())
            port = int(found.group(1)) if found else None
        started = time.monotonic()
        peak, samples = 0.0, 0
        while True:
            peak = max(peak, rss_mb(bridge.pid))
            report = status(port)
            samples = report["samples"]
            if report["source"]["state"] == "finished":
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        print("replayed %d samples in %.1f s (%.0f lines/s); RSS peak while replaying %.1f MB, VmHWM %.1f MB" % (
            samples, elapsed, samples / elapsed, peak, rss_mb(bridge.pid, "VmHWM")))
        # The bridge's own timing, from the replay's start to its last line, to the ms: the
        # polling above starts once the bridge listens and ends up to 50 ms late.
        log.seek(0)
        own = re.search(r"finished: (\d+) lines in (\d+\.\d+) s", log.read())
        if own:
            lines, seconds = int(own.group(1)), float(own.group(2))
            print("the bridge's own timing: %d lines in %.3f s (%.0f lines/s)" % (lines, seconds, lines / max(seconds, 0.001)))
    finally:
        bridge.terminate()
        bridge.wait()
        if not options.keep:
            os.remove(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
