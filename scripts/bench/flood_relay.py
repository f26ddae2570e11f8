#!/usr/bin/env python3
"""A relay under a flood of hostile MQTT messages (issue 19), with figures.

An edge bridge reads a pty fed `n,a,b` lines at --rate and publishes to a real Mosquitto
broker; a relay (--source) serves one batched-stream reader. Meanwhile `mosquitto_pub -l`
publishes --flood messages a second on the edge's samples topic, for --seconds, of every
kind issue 19's probe found (numbers far ahead, replays of old numbers, numbers that
overflow, garbage, deep nesting, bad names, forged runs, absurd times). Prints what the
reader got of the real samples, what the relay counted, its CPU, memory and log lines.

    python3 scripts/bench/flood_relay.py [--binary .build/release/sensorbridge] [--flood 50000] [--seconds 10]

Exit status 1 when the relay died or the reader missed, repeated or reordered a real sample.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from bench import common_arguments, cpu_seconds, rss_mb  # noqa: E402
from bench_mqtt import mosquitto  # noqa: E402
from soak import Bridge, FrameReader, handshake  # noqa: E402


def hostile(index, stamp):
    kind = index % 8
    if kind == 0:
        return '{"type":"samples","seq":%d,"samples":[[%s,1,2,3]]}' % ((index * 0x9E3779B97F4A7C15) % (1 << 64), stamp)
    if kind == 1:
        return "garbage %d" % index
    if kind == 2:
        return '{"type":"samples","seq":0,"samples":[[%s,9,9,9]]}' % stamp
    if kind == 3:
        return '{"type":"samples","seq":18446744073709551615,"samples":[[1,2]]}'
    if kind == 4:
        return "[" * 40
    if kind == 5:
        return '{"type":"channels","seq":0,"channels":["a,b"]}'
    if kind == 6:
        return '{"type":"samples","seq":7,"stream":"forged%d","samples":[[%s,9,9,9]]}' % (index, stamp)
    return '{"type":"samples","seq":1,"samples":[[1e300,1]]}'


class Reader(threading.Thread):
    """A batched-stream client of the relay: keeps the first value of every sample."""

    def __init__(self, port):
        super().__init__(daemon=True)
        sock, status, rest = handshake(port, protocol="sensorbridge.batch.v1")
        assert status == 101, status
        self.frames = FrameReader(sock, rest)
        self.values, self.gaps = [], 0

    def run(self):
        try:
            while True:
                _, payload = self.frames.frame()
                message = json.loads(payload)
                if message.get("type") == "samples":
                    self.values += [int(row[1]) for row in message["samples"]]
                elif message.get("type") == "gap":
                    self.gaps += message["missed"]
        except (ConnectionError, OSError, ValueError):
            pass


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_arguments(parser)
    parser.set_defaults(rate=200, seconds=10)
    parser.add_argument("--flood", type=int, default=50_000, help="hostile messages a second")
    options = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="flood-relay-")
    broker, port = mosquitto(folder)
    master, slave = os.openpty()
    base = "flood/%d" % os.getpid()
    url = "mqtt://127.0.0.1:%d/%s" % (port, base)
    edge = Bridge(options.binary, [os.ttyname(slave), "--baud", "115200", "--mqtt", url])
    relay = Bridge(options.binary, ["--source", url])
    try:
        for _ in range(100):
            if relay.status()["source"]["state"] == "connected":
                break
            time.sleep(0.1)
        reader = Reader(relay.port)
        reader.start()
        written = [0]
        writing = [True]

        def board():
            period = 1.0 / options.rate
            next_time = time.monotonic()
            while writing[0]:
                os.write(master, b"%d,%d,%d\r\n" % (written[0], written[0] % 37, written[0] % 11))
                written[0] += 1
                next_time += period
                time.sleep(max(0, next_time - time.monotonic()))

        feeder = threading.Thread(target=board, daemon=True)
        feeder.start()
        time.sleep(1)
        rss_before, cpu_before = rss_mb(relay.process.pid), cpu_seconds(relay.process.pid)
        log_before = relay.log_lines
        publisher = subprocess.Popen(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-t", base + "/samples", "-l"],
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        start, sent = time.monotonic(), 0
        while time.monotonic() - start < options.seconds:
            due = int((time.monotonic() - start) * options.flood)
            stamp = "%.3f" % (time.time() * 1000)
            if due > sent:
                publisher.stdin.write("".join(hostile(i, stamp) + "\n" for i in range(sent, due)).encode())
                publisher.stdin.flush()
                sent = due
            time.sleep(0.01)
        publisher.stdin.close()
        publisher.wait()
        elapsed = time.monotonic() - start
        cpu = cpu_seconds(relay.process.pid) - cpu_before
        rss_after = rss_mb(relay.process.pid)
        writing[0] = False
        feeder.join()
        time.sleep(2)
        report = next(link for link in relay.status()["mqtt"] if link["role"] == "relay")
        real = written[0]
        values = reader.values
        in_order = values == list(range(len(values)))
        alive = relay.process.poll() is None
        print("flood       %d hostile messages in %.1f s (%.0f a second) on %s/samples" % (sent, elapsed, sent / elapsed, base))
        print("real        %d lines at %g a second; the relay's reader got %d, in order and once: %s; gaps told: %d"
              % (real, options.rate, len(values), "yes" if in_order else "NO", reader.gaps))
        print("relay       received %d, rejected %d, dropped %d, samples missed %d, connections lost %d"
              % (report["messagesReceived"], report["messagesRejected"], report["messagesDropped"],
                 report["samplesMissed"], report["connectionsLost"]))
        print("cost        CPU %.0f %% of a core while flooded; RSS %.1f MB before, %.1f MB after; %d log lines (%.1f a second)"
              % (100 * cpu / elapsed, rss_before, rss_after, relay.log_lines - log_before, (relay.log_lines - log_before) / elapsed))
        ok = alive and in_order and len(values) == real and reader.gaps == 0 and report["samplesMissed"] == 0
        print("flood_relay: %s" % ("PASS" if ok else "FAIL"))
        return 0 if ok else 1
    finally:
        for bridge in (relay, edge):
            bridge.process.terminate()
            bridge.process.wait()
        broker.terminate()
        broker.wait()


if __name__ == "__main__":
    sys.exit(main())
