#!/usr/bin/env python3
"""Soak test: the built bridge on a pseudo-terminal fed at 500 Hz, put through the hostile
loads of issue 9 one after another, while a steady reader checks it gets every sample and a
probe measures how long a new client waits for its handshake. Prints figures per phase.

    python3 scripts/soak.py [--binary PATH] [--seconds 60] [--idle 1100] [--stalled 200] [--rate 500]

Phases: idle (sockets that never send a request), stalled (WebSocket clients that never
read), churn (connect, handshake, close, as fast as one thread can), fuzz (garbage bytes
between valid lines on the serial side). `--seconds 5` is the short version CI runs.
Exit status 1 when the bridge died, the reader missed a sample, or a probe failed.
"""
import argparse
import base64
import json
import os
import random
import re
import resource
import select
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def handshake(port, path="/graph", protocol=None, timeout=5):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    request = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n" % (path, port, key))
    if protocol:
        request += "Sec-WebSocket-Protocol: %s\r\n" % protocol
    sock.sendall((request + "\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed during handshake")
        head += chunk
    status = int(head.split(b" ", 2)[1])
    rest = head.split(b"\r\n\r\n", 1)[1]
    return sock, status, rest


class FrameReader:
    """Reads server frames (unmasked) from a socket."""

    def __init__(self, sock, rest=b""):
        self.sock, self.buffer = sock, bytearray(rest)

    def _need(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk

    def frame(self):
        self._need(2)
        opcode, length = self.buffer[0] & 0x0F, self.buffer[1] & 0x7F
        offset = 2
        if length == 126:
            self._need(4)
            length, offset = struct.unpack(">H", self.buffer[2:4])[0], 4
        elif length == 127:
            self._need(10)
            length, offset = struct.unpack(">Q", self.buffer[2:10])[0], 10
        self._need(offset + length)
        payload = bytes(self.buffer[offset:offset + length])
        del self.buffer[:offset + length]
        return opcode, payload


class Bridge:
    def __init__(self, binary, args, descriptor_limit=None):
        command = [binary] + args + ["--port", "0", "--log-level", "notice"]
        if descriptor_limit:
            command = ["/bin/sh", "-c", 'ulimit -n %d && exec "$0" "$@"' % descriptor_limit] + command
        self.process = subprocess.Popen(command,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.port = None
        while self.port is None:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("bridge did not start: " + self.process.stderr.read())
            found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            self.port = int(found.group(1)) if found else None
        self.log_lines = 0
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        threading.Thread(target=self._count_log, daemon=True).start()
        self.clock_ticks = os.sysconf("SC_CLK_TCK")

    def _count_log(self):
        for _ in self.process.stderr:
            self.log_lines += 1

    def alive(self):
        return self.process.poll() is None

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.process.pid) as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.clock_ticks

    def memory(self, field):
        with open("/proc/%d/status" % self.process.pid) as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) // 1024
        return 0

    def descriptors(self):
        return len(os.listdir("/proc/%d/fd" % self.process.pid))

    def status(self):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.sendall(b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        sock.close()
        return json.loads(data.split(b"\r\n\r\n", 1)[1])

    def stop(self):
        self.process.terminate()
        try:
            return self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return None


class Feeder(threading.Thread):
    """The board: `n,a,b` lines at `rate` Hz on a pty; during the fuzz phase, garbage between them."""

    def __init__(self, rate):
        super().__init__(daemon=True)
        self.rate = rate
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.sent = 0
        self.fuzz = threading.Event()
        self.stopped = threading.Event()
        self.garbage_bytes = 0

    def run(self):
        start = time.monotonic()
        rng = random.Random(9)
        while not self.stopped.is_set():
            delay = start + self.sent / self.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            data = b""
            if self.fuzz.is_set():
                garbage = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80)))
                # Garbage ends its own line, so the next valid line starts clean.
                data += garbage.replace(b"\n", b"").replace(b"\r", b"") + b"\r\n"
                self.garbage_bytes += len(garbage)
            data += b"%d,%d,%d\r\n" % (self.sent, self.sent % 97, self.sent % 89)
            os.write(self.master, data)
            self.sent += 1


class Reader(threading.Thread):
    """A well-behaved client: must receive every sample, in order, whatever else happens."""

    def __init__(self, port):
        super().__init__(daemon=True)
        # From the stream's first sample (it joins a moment after the bridge opened the board).
        sock, status, rest = handshake(port, "/graph?history=600", protocol="chat", timeout=30)
        assert status == 101, status
        self.frames = FrameReader(sock, rest)
        self.first = None
        self.last = None
        self.received = 0
        self.missing = 0
        self.error = None

    def run(self):
        try:
            while True:
                opcode, payload = self.frames.frame()
                if opcode != 1:
                    continue
                n = int(json.loads(payload)[1])
                if self.last is not None and n != self.last + 1:
                    self.missing += max(0, n - self.last - 1)
                if self.first is None:
                    self.first = n
                self.last = n
                self.received += 1
        except Exception as error:  # noqa: BLE001 - reported as a failure
            self.error = error


class Probe(threading.Thread):
    """A new client every 200 ms: how long its handshake takes (or that it failed)."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.times, self.failures = port, [], 0
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            started = time.monotonic()
            try:
                sock, status, _ = handshake(self.port, "/graph?history=0", timeout=5)
                sock.close()
                if status == 101:
                    self.times.append(time.monotonic() - started)
                else:
                    self.failures += 1
            except OSError:
                self.failures += 1
            time.sleep(0.2)

    def figures(self):
        if not self.times:
            return "no handshake succeeded"
        ms = sorted(t * 1000 for t in self.times)
        return "handshake p50 %.1f ms, max %.1f ms, %d failed of %d" % (
            statistics.median(ms), ms[-1], self.failures, self.failures + len(ms))


def phase(name, bridge, seconds, action, cleanup=lambda: None):
    probe = Probe(bridge.port)
    cpu0, log0 = bridge.cpu_seconds(), bridge.log_lines
    probe.start()
    started = time.monotonic()
    extra = action(seconds)
    elapsed = time.monotonic() - started
    cpu = (bridge.cpu_seconds() - cpu0) / elapsed * 100
    peak_fds = bridge.descriptors()
    cleanup()
    probe.stopped.set()
    probe.join()
    print("%-8s %5.1f s  CPU %5.1f %%  RSS %4d MB  fds %5d  log lines %5d  %s%s" % (
        name, elapsed, cpu, bridge.memory("VmRSS"), peak_fds, bridge.log_lines - log0, probe.figures(),
        ("  " + extra) if extra else ""))
    sys.stdout.flush()
    passed = probe.failures == 0 and bool(probe.times)
    if not passed:
        print("  %s: a new client could not connect" % name)
    return passed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "sensorbridge"))
    parser.add_argument("--seconds", type=float, default=60, help="length of each phase")
    parser.add_argument("--idle", type=int, default=1100, help="idle sockets in the idle phase")
    parser.add_argument("--stalled", type=int, default=200, help="non-reading clients in the stalled phase")
    parser.add_argument("--rate", type=float, default=500, help="lines per second on the serial side")
    parser.add_argument("--bridge-limit", type=int, help="run the bridge under this descriptor limit (ulimit -n)")
    options = parser.parse_args()
    # This script holds the idle sockets itself: raise its own descriptor limit like the bridge does.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    feeder = Feeder(options.rate)
    feeder.start()
    timeout = max(2, min(10, options.seconds / 3))
    bridge = Bridge(options.binary, [feeder.path, "--client-timeout", str(timeout),
                                     "--handshake-timeout", str(max(options.seconds * 2, 10))],
                    options.bridge_limit)
    try:
        return run_phases(options, feeder, bridge, timeout, soft, hard)
    finally:
        if bridge.alive():
            bridge.process.kill()


def run_phases(options, feeder, bridge, timeout, soft, hard):
    reader = Reader(bridge.port)
    reader.start()
    ok = True
    print("bridge %s on %s; descriptor limit %s; client timeout %.0f s" % (
        options.binary, feeder.path, options.bridge_limit or "%d (inherited soft), raised to %d" % (soft, hard), timeout))

    held = []

    def idle(seconds):
        for _ in range(options.idle):
            try:
                held.append(socket.create_connection(("127.0.0.1", bridge.port), timeout=5))
            except OSError:
                break
        time.sleep(seconds)
        poller = select.poll()
        for sock in held:
            poller.register(sock, select.POLLIN)
        refused = len(poller.poll(0))
        return "%d idle sockets opened, %d closed by the bridge to make room" % (len(held), refused)

    def close_held():
        for sock in held:
            sock.close()
        held.clear()
    ok &= phase("idle", bridge, options.seconds, idle, close_held)

    def stalled(seconds):
        for _ in range(options.stalled):
            try:
                sock = socket.create_connection(("127.0.0.1", bridge.port), timeout=5)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                sock.sendall(("GET /graph?history=600 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                              "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n").encode())
                held.append(sock)
            except OSError:
                break
        time.sleep(seconds)
        status = bridge.status()
        return "%d stalled; evicted %d, behind now %d samples" % (
            len(held), status["clientsEvicted"], sum(c["samplesBehind"] for c in status["clients"]))
    ok &= phase("stalled", bridge, max(options.seconds, timeout + 3), stalled, close_held)

    def churn(seconds):
        cycles = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                sock, status, _ = handshake(bridge.port)
                sock.close()
                cycles += status == 101
            except OSError:
                pass
        return "%d connect-handshake-close cycles (%.0f/s)" % (cycles, cycles / seconds)
    ok &= phase("churn", bridge, options.seconds, churn)

    def fuzz(seconds):
        errors0 = bridge.status()["parseErrors"]
        feeder.fuzz.set()
        time.sleep(seconds)
        feeder.fuzz.clear()
        time.sleep(0.5)
        return "%d garbage bytes, %d lines rejected" % (feeder.garbage_bytes, bridge.status()["parseErrors"] - errors0)
    ok &= phase("fuzz", bridge, options.seconds, fuzz)

    time.sleep(0.5)
    feeder.stopped.set()
    time.sleep(0.5)
    read = bridge.status()["samples"]
    print("reader: %d samples received (from line %s), %d missing, last %s; the bridge read %d of %d sent%s" % (
        reader.received, reader.first, reader.missing, reader.last, read, feeder.sent,
        "; error: %s" % reader.error if reader.error else ""))
    # Every sample the bridge read, from its first (the history brings those before the reader
    # joined; lines written before the bridge opened the board are flushed at the open, so what
    # the bridge read is the measure, not what the feeder wrote), and the bridge read all the
    # feeder wrote after its first 2 s. (Judged before the bridge stops: its closing ends the
    # reader.)
    delivered = (reader.error is None and reader.missing == 0 and reader.received >= read
                 and read >= feeder.sent - 2 * int(options.rate))
    alive = bridge.alive()
    status = bridge.stop() if alive else bridge.process.returncode
    print("bridge %s; exit status %s" % ("alive to the end" if alive else "DIED", status))
    ok = ok and alive and delivered
    print("soak: " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
