#!/usr/bin/env python3
"""Side-by-side fan-out benchmark (run by scripts/bench.sh): for each server and client
count, a feeder writes `seq,stamp` lines into a fresh pty at --rate lines per second, the
server reads it and broadcasts, and loadclient (C, epoll, one thread) holds N WebSocket
clients and counts what each receives. Prints one table.

The first rows of each client count are the limit: scripts/bench/limit_server.c, a bare C
broadcast server (one thread, epoll, framed once, gathered as the bridge: --gather
milliseconds for both, default 8): what this machine can do with the same feeder, load
client, rate and clients (issue 23).

Columns: server CPU per delivered sample (µs: the server's user+system time over the run
divided by the samples all clients received), in time (what the average client received
by the end, of what the feeder wrote in the run: a server that falls behind scores low),
complete (of the samples between the first and last a client got, the share it got: gaps;
worst client in brackets), p50/p99 latency from the feeder's stamp to the client (ms),
p50/p99 of the part after the server read the line (from the server's arrival time `t` in each
sample to the client: the rest is the feeder's write and the server's read of the pty),
slowest connect (ms), server RSS at the end (MB), the load client's CPU (share of one core
over the run: near 100 % it, not the server, sets the latency), and where the stream waited
(the most a look once a second found, KB a client: in the server's sockets, not yet taken by
the client's side; delivered to the client's socket, not yet read by the load client), and
the WebSocket messages and payload bytes a client got a sample (gathering makes fewer).
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def socket_queues(port):
    """Bytes in the TCP queues of `port`'s established connections, a connection's mean: sent
    by the server but not yet taken by the client's side (the server's Send-Q), and delivered
    to the client's socket but not yet read (the client's Recv-Q). None without `ss`."""
    try:
        out = subprocess.run(["ss", "-tnH", "state", "established", "( sport = :%d or dport = :%d )" % (port, port)],
                             capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    unsent = unread = connections = 0
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        if fields[2].endswith(":%d" % port):
            unsent += int(fields[1])
            connections += 1
        elif fields[3].endswith(":%d" % port):
            unread += int(fields[0])
    return (unsent / connections, unread / connections) if connections else None


def wait_listening(port, process, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited: %s" % process.args)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not listen: %s" % process.args)


SERVERS = {
    # The anchor (issue 23): a bare C broadcast server, one thread, framed once, gathered as the bridge.
    "limit C per-sample": lambda options, port, pty: [options.limit, str(port), pty, str(options.gather)],
    "limit C batched": lambda options, port, pty: [options.limit, str(port), pty, str(options.gather)],
    # A control: the limit slowed by --burn-us of CPU after each write to a client.
    "limit C batched slowed": lambda options, port, pty: [options.limit, str(port), pty, str(options.gather), str(options.burn_us)],
    "limit C per-sample slowed": lambda options, port, pty: [options.limit, str(port), pty, str(options.gather), str(options.burn_us)],
    "sensorbridge per-sample": lambda options, port, pty: [options.binary, pty, "--port", str(port), "--log-level", "warning",
                                                           "--gather", str(options.gather)] + options.bridge_args.split(),
    "sensorbridge batched": lambda options, port, pty: [options.binary, pty, "--port", str(port), "--log-level", "warning",
                                                        "--gather", str(options.gather)] + options.bridge_args.split(),
    "node ws": lambda options, port, pty: ["node", os.path.join(HERE, "peer_node_ws.js"), str(port), pty],
    "python websockets": lambda options, port, pty: [sys.executable, os.path.join(HERE, "peer_websockets.py"), str(port), pty],
    "gevent-websocket": lambda options, port, pty: [sys.executable, os.path.join(HERE, "peer_gevent.py"), str(port), pty],
}


def run(name, clients, options):
    feeder = subprocess.Popen([sys.executable, os.path.join(HERE, "feeder.py"), str(options.rate), "1"],
                              stdout=subprocess.PIPE, text=True)
    pty = feeder.stdout.readline().strip()
    port = free_port()
    server = subprocess.Popen(SERVERS[name](options, port, pty), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    load = None
    try:
        wait_listening(port, server)
        time.sleep(1)
        cpu_before = cpu_seconds(server.pid)
        path, protocol = ("/graph?history=0", "sensorbridge.batch.v1") if "batched" in name else ("/graph?history=0", None)
        if not name.startswith("sensorbridge"):
            path = "/"
        command = [options.loadclient, str(port), str(clients), str(options.seconds), path] + ([protocol] if protocol else [])
        load = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        # Where the stream waits, once a second: the most any look found queued in the
        # server's sockets, and delivered but not yet read by the load client.
        queued = {"serverQueuedKB": 0.0, "clientQueuedKB": 0.0}
        looked = time.monotonic()
        while True:
            # Reaped here, for its CPU (it shares the 2 cores with the server: near a whole
            # core, it is what sets the latency); its end noticed within 0.1 s, so the
            # server's CPU is taken as it ends, not a second of teardown later.
            pid, status, usage = os.wait4(load.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.1)
            if time.monotonic() - looked >= 1:
                looked = time.monotonic()
                found = socket_queues(port)
                if found:
                    queued["serverQueuedKB"] = max(queued["serverQueuedKB"], found[0] / 1e3)
                    queued["clientQueuedKB"] = max(queued["clientQueuedKB"], found[1] / 1e3)
        load.returncode = os.waitstatus_to_exitcode(status)
        output = load.stdout.read()
        if load.returncode != 0:
            raise RuntimeError("loadclient exited with %d" % load.returncode)
        result = json.loads(output)
        result.update(queued)
        cpu = cpu_seconds(server.pid) - cpu_before
        result["clientShare"] = (usage.ru_utime + usage.ru_stime) / options.seconds
        result["cpuMicrosPerSample"] = cpu / result["totalSamples"] * 1e6 if result["totalSamples"] else float("inf")
        result["cpuShare"] = cpu / options.seconds
        result["rssMB"] = rss_mb(server.pid)
        # Of what the feeder wrote while the clients were all connected, the share received
        # by the average client before the run ended (a server that falls behind is late, and
        # what it had not sent by then counts as not delivered).
        window = options.seconds - max(result["allConnectedAfterMs"], 0) / 1000
        result["inTime"] = min(1.0, result["meanSamples"] / (options.rate * window)) if window > 0 else 0
        return result
    finally:
        if load is not None and load.returncode is None:
            load.kill()
            load.wait()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        feeder.kill()
        feeder.wait()


def common_arguments(parser):
    """The options every benchmark here shares: what to run, and the feeder's pace."""
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "sensorbridge"))
    parser.add_argument("--loadclient", default=os.path.join(ROOT, ".build", "loadclient"))
    parser.add_argument("--limit", default=os.path.join(ROOT, ".build", "limit_server"), help="the C anchor (scripts/bench/limit_server.c)")
    parser.add_argument("--rate", type=float, default=1000, help="lines per second into the pty")
    parser.add_argument("--seconds", type=float, default=20, help="how long the clients listen")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_arguments(parser)
    parser.add_argument("--clients", default="100,500")
    parser.add_argument("--servers", default=",".join(name for name in SERVERS if not name.endswith("slowed")))
    parser.add_argument("--bridge-args", default="", help="more options for sensorbridge, e.g. --no-store")
    parser.add_argument("--gather", type=float, default=8,
                        help="the latency budget (ms) of the bridge (--gather) and of the limit server alike")
    parser.add_argument("--burn-us", type=float, default=2,
                        help="the 'slowed' limit rows' CPU µs spent after each write to a client (a control)")
    options = parser.parse_args()

    print("%d lines/s for %.0f s per run, gathered %g ms; one run per row (2 cores, shared: compare within a table)" % (
        options.rate, options.seconds, options.gather))
    print("| server | clients | connected | CPU µs/sample | server CPU | in time | complete (worst) | p50 / p99 ms | after read ms | slowest connect ms | RSS MB | client CPU | queued KB: server / client | messages, bytes a sample |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    failures = []
    for clients in [int(c) for c in options.clients.split(",")]:
        for name in options.servers.split(","):
            try:
                r = run(name, clients, options)
            except Exception as error:  # noqa: BLE001 - a row that could not run says why
                print("| %s | %d | failed: %s |" % (name, clients, error))
                failures.append(name)
                continue
            # Ours must connect every client and lose nothing (the peers are measured, not judged).
            if name.startswith("sensorbridge") and (r["connected"] != clients or r["worstShare"] < 0.99):
                failures.append(name)
            print("| %s | %d | %d | %.2f | %.0f %% | %.1f %% | %.1f %% (%.1f %%) | %d / %d | %d / %d | %.0f | %.0f | %.0f %% | %.1f / %.1f | %.2f, %.0f |" % (
                name, clients, r["connected"], r["cpuMicrosPerSample"], r["cpuShare"] * 100, r["inTime"] * 100,
                r["meanShare"] * 100, r["worstShare"] * 100, r["p50Ms"], r["p99Ms"], r["afterReadP50Ms"], r["afterReadP99Ms"],
                r["slowestConnectMs"], r["rssMB"], r["clientShare"] * 100, r["serverQueuedKB"], r["clientQueuedKB"],
                r["framesPerSample"], r["bytesPerSample"]))
            sys.stdout.flush()
    if failures:
        print("bench: sensorbridge did not connect every client or lost samples: %s" % ", ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
