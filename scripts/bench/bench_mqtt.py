#!/usr/bin/env python3
"""Scale-out benchmark (run by scripts/bench.sh mqtt): an edge bridge reads a pty fed
`seq,stamp` lines at --rate and publishes to a real Mosquitto broker (--mqtt); --relays
relay bridges subscribe (--source) and serve their own WebSocket clients. loadclient
(C, epoll) holds --clients batched-stream clients on the edge itself and on each relay,
all at once, and measures what they receive. Prints one table.

Columns: where the clients are, clients connected, in time (what the average client
received by the end, of what the feeder wrote while it was connected: the delivered
share), complete (of the samples between the first and last a client got, the share it
got; worst client in brackets), p50/p99 latency from the feeder's stamp to the client
(ms: through the broker and a relay for the relay rows), CPU of that bridge, and of the
broker in the last column.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench import common_arguments, cpu_seconds, free_port, wait_listening  # noqa: E402


def mosquitto(folder):
    port = free_port()
    config = os.path.join(folder, "mosquitto.conf")
    with open(config, "w") as out:
        out.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n" % port)
    binary = next((p for p in ("/usr/sbin/mosquitto", "/usr/bin/mosquitto") if os.path.exists(p)), "mosquitto")
    process = subprocess.Popen([binary, "-c", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_listening(port, process)
    return process, port


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_arguments(parser)
    parser.add_argument("--clients", type=int, default=100, help="clients on the edge and on each relay")
    parser.add_argument("--relays", type=int, default=2)
    parser.add_argument("--mqtt-rate", type=float, default=20, help="the edge's batches per second")
    options = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="bench-mqtt-")
    processes = []
    try:
        broker, broker_port = mosquitto(folder)
        processes.append(broker)
        feeder = subprocess.Popen([sys.executable, os.path.join(HERE, "feeder.py"), str(options.rate), "1"],
                                  stdout=subprocess.PIPE, text=True)
        processes.append(feeder)
        pty = feeder.stdout.readline().strip()
        url = "mqtt://127.0.0.1:%d/bench/edge" % broker_port
        bridges = []
        for name, arguments in [("edge", [pty, "--mqtt", url, "--mqtt-rate", str(options.mqtt_rate)])] + [
                ("relay %d" % (i + 1), ["--source", url]) for i in range(options.relays)]:
            port = free_port()
            process = subprocess.Popen([options.binary] + arguments + ["--port", str(port), "--log-level", "warning"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            processes.append(process)
            wait_listening(port, process)
            bridges.append((name, port, process))
        time.sleep(1.5)
        before = {process.pid: cpu_seconds(process.pid) for _, _, process in bridges + [("broker", 0, broker)]}
        runs = []
        for name, port, process in bridges:
            command = [options.loadclient, str(port), str(options.clients), str(options.seconds),
                       "/graph?history=0", "sensorbridge.batch.v1"]
            runs.append((name, process, subprocess.Popen(command, stdout=subprocess.PIPE, text=True)))
        results = []
        for name, process, client in runs:
            out, _ = client.communicate(timeout=options.seconds + 60)
            results.append((name, process, json.loads(out)))
        broker_cpu = (cpu_seconds(broker.pid) - before[broker.pid]) / options.seconds

        print("%d lines/s, %d clients per bridge, %d relays, the edge publishing %g batches/s; %.0f s (2 cores, shared)" % (
            options.rate, options.clients, options.relays, options.mqtt_rate, options.seconds))
        print("| clients on | connected | in time | complete (worst) | p50 / p99 ms | bridge CPU | broker CPU |")
        print("|---|---|---|---|---|---|---|")
        failures = []
        for name, process, r in results:
            window = options.seconds - max(r["allConnectedAfterMs"], 0) / 1000
            in_time = min(1.0, r["meanSamples"] / (options.rate * window)) if window > 0 else 0
            cpu = (cpu_seconds(process.pid) - before[process.pid]) / options.seconds
            print("| %s | %d | %.1f %% | %.1f %% (%.1f %%) | %d / %d | %.0f %% | %.0f %% |" % (
                name, r["connected"], in_time * 100, r["meanShare"] * 100, r["worstShare"] * 100,
                r["p50Ms"], r["p99Ms"], cpu * 100, broker_cpu * 100))
            if r["connected"] != options.clients or r["worstShare"] < 0.99:
                failures.append(name)
        sys.stdout.flush()
        if failures:
            print("bench_mqtt: clients lost samples or did not connect on: %s" % ", ".join(failures))
        return 1 if failures else 0
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    sys.exit(main())
