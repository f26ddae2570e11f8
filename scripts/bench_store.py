#!/usr/bin/env python3
"""The history store side by side: sensorbridge's store against VictoriaMetrics and a naive
SQLite table (one row per sample), on the same data, in one run.

    python3 scripts/bench_store.py [--hours 24] [--queries 50] [--live-seconds 30]
    bash scripts/bench.sh store [the same options]      # installs victoria-metrics, builds release

The data: a vibrating 3-axis accelerometer read by an Arduino at 1 kHz, ADC counts 0..1023
(per axis a sine whose amplitude drifts, plus noise), time-stamped at arrival: jitter of
tens to hundreds of µs, and now and then a USB delay of a few ms after which the queued
lines arrive together. The same samples go to
- sensorbridge: a recording (`# sensorbridge recording v1`), then `sensorbridge import LOG --store FILE`;
- VictoriaMetrics (Debian's `victoria-metrics`, on 127.0.0.1, its own data dir): CSV through
  `/api/v1/import/csv` (times in ms: it keeps no finer), then `/internal/force_flush`;
- naive SQLite: Python's sqlite3, WAL, `samples(t, x, y, z)` with an index on t (µs).
Then, for each system: bytes per value on disk, ingest samples/s, 2000-bucket min/max queries
over ranges of 10 s .. 24 h at random positions (the same positions for every system),
the first query after a restart (page cache dropped when that is allowed), whether the
answers agree with the naive table, and the CPU the store costs a live bridge at 1 kHz × 6.
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
START_EPOCH_S = 1763683200  # 2025-11-21 00:00:00 UTC, the recording's "started"
START_US = START_EPOCH_S * 1_000_000
RANGES = [("10 s", 10), ("1 min", 60), ("10 min", 600), ("1 h", 3600), ("6 h", 21600), ("24 h", 86400)]
POINTS = 2000
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The data

class Accelerometer:
    """1 kHz samples of `channels` ADC channels, in chunks, with arrival-time jitter.

    Times are µs since START_US, strictly increasing; the first is 0. Values are integers
    0..1023. Channels 0..2 are the accelerometer's x, y, z; 3..5 (for the 6-channel live
    recording) a gyro-like second sensor."""

    def __init__(self, seed, channels=3, rate=1000):
        self.rng = np.random.default_rng(seed)
        self.channels = channels
        self.period_us = 1_000_000 // rate
        self.index = 0
        self.last_us = -1
        self.delay_left_us = 0.0

    def chunk(self, n):
        rng = self.rng
        i = np.arange(self.index, self.index + n, dtype=np.int64)
        nominal_us = i * self.period_us
        # Arrival: the board's sample instant plus USB and scheduling jitter (a gamma with a
        # mean of 80 µs and a tail to several hundred), and about once in two seconds a USB
        # delay of 1..8 ms; lines queued behind a delay arrive together (1 µs apart).
        jitter = rng.gamma(2.0, 40.0, n)
        delays = np.zeros(n)
        hits = rng.random(n) < 1 / 2000
        delays[hits] = rng.uniform(1000, 8000, hits.sum())
        arrival = nominal_us + np.rint(jitter + delays).astype(np.int64)
        if self.index == 0:
            arrival[0] = 0
        # strictly increasing: t[k] >= t[k-1] + 1
        shifted = arrival - np.arange(n, dtype=np.int64)
        shifted = np.maximum.accumulate(np.maximum(shifted, self.last_us + 1))
        times = shifted + np.arange(n, dtype=np.int64)
        self.last_us = int(times[-1])

        t = nominal_us / 1e6
        swell = 0.6 + 0.4 * np.sin(2 * np.pi * t / 600.0)  # the machine's vibration comes and goes
        specs = [(512, 180, 31.0, 0.3), (498, 140, 31.0, 1.9), (620, 90, 62.0, 0.7),
                 (512, 60, 7.0, 0.0), (505, 45, 11.0, 1.0), (520, 30, 13.0, 2.0)]
        values = []
        for c in range(self.channels):
            mean, amplitude, hz, phase = specs[c]
            v = mean + amplitude * swell * np.sin(2 * np.pi * hz * t + phase) + rng.normal(0, 3.0, n)
            values.append(np.clip(np.rint(v), 0, 1023).astype(np.int64))
        self.index += n
        return times, values


def recording_header(handle, source):
    handle.write("# sensorbridge recording v1\n# started %d.000000 source %s baud 9600\n" % (START_EPOCH_S, source))


def recording_lines(times, values):
    secs, micros = np.divmod(times, 1_000_000)
    columns = [secs.tolist(), micros.tolist()] + [v.tolist() for v in values]
    fmt = "%d.%06d " + ",".join(["%d"] * len(values)) + "\n"
    return "".join(map(fmt.__mod__, zip(*columns)))


def csv_lines(times, values):
    ms = ((times + START_US) // 1000).tolist()
    columns = [ms] + [v.tolist() for v in values]
    fmt = ",".join(["%d"] * (1 + len(values))) + "\n"
    return "".join(map(fmt.__mod__, zip(*columns)))


def generate(workdir, hours, seed, naive_path):
    """Writes the recording and VictoriaMetrics' CSV, and fills the naive SQLite table
    (timing only its inserts and commits). Returns (samples, naive insert seconds)."""
    total = int(hours * 3600 * 1000)
    log_path = os.path.join(workdir, "accel.log")
    csv_path = os.path.join(workdir, "accel.csv")
    source = Accelerometer(seed)
    db = naive_open(naive_path, create=True)
    naive_seconds = 0.0
    done = 0
    distinct_ms, last_ms = 0, -1
    started = time.monotonic()
    with open(log_path, "w") as rec, open(csv_path, "w") as csv:
        recording_header(rec, "bench-accel")
        while done < total:
            n = min(600_000, total - done)
            times, values = source.chunk(n)
            rec.write(recording_lines(times, values))
            csv.write(csv_lines(times, values))
            ms = times // 1000
            distinct_ms += int(np.count_nonzero(np.diff(ms))) + (1 if ms[0] != last_ms else 0)
            last_ms = int(ms[-1])
            rows = list(zip((times + START_US).tolist(), *(v.tolist() for v in values)))
            t0 = time.perf_counter()
            db.executemany("INSERT INTO samples(t, x, y, z) VALUES (?, ?, ?, ?)", rows)
            db.commit()
            naive_seconds += time.perf_counter() - t0
            done += n
            if done % 3_600_000 == 0 or done == total:
                log("  generated %.1f h of %.1f (%.0f s)" % (done / 3.6e6, hours, time.monotonic() - started))
    t0 = time.perf_counter()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    naive_seconds += time.perf_counter() - t0
    return total, naive_seconds, log_path, csv_path, distinct_ms


def live_recording(path, seconds, seed):
    source = Accelerometer(seed + 1, channels=6)
    with open(path, "w") as rec:
        recording_header(rec, "bench-live")
        left = int(seconds * 1000)
        while left > 0:
            n = min(left, 600_000)
            times, values = source.chunk(n)
            rec.write(recording_lines(times, values))
            left -= n


# ---------------------------------------------------------------------------------------------
# Helpers

def du(*paths):
    total = 0
    for path in paths:
        if os.path.isdir(path):
            for folder, _, files in os.walk(path):
                for name in files:
                    try:
                        total += os.lstat(os.path.join(folder, name)).st_size
                    except FileNotFoundError:
                        pass
        elif os.path.exists(path):
            total += os.path.getsize(path)
    return total


def warm(*paths):
    """Reads every file under `paths` once, so a system's timed queries find its data in the
    page cache as the others' do (an import's drop_caches() must not leave the system
    imported before it cold); the first query after a restart is timed cold separately."""
    for path in paths:
        files = [os.path.join(folder, name) for folder, _, names in os.walk(path) for name in names] \
            if os.path.isdir(path) else [path]
        for name in files:
            try:
                with open(name, "rb") as handle:
                    while handle.read(1 << 24):
                        pass
            except OSError:
                pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def drop_caches():
    """True when the page cache could be dropped (root, and /proc/sys writable)."""
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def settle(processes, quiet=0.02, window=2.0, limit=180.0):
    """Waits until every process is idle (under `quiet` of a core over `window` s) and returns
    how long that took (None: still busy after `limit`). VictoriaMetrics merges its parts in
    the background for a while after an import, which would take a core from whatever is
    timed next."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = {p.pid: cpu_seconds(p.pid) for p in processes}
        time.sleep(window)
        if all((cpu_seconds(p.pid) - before[p.pid]) / window <= quiet for p in processes):
            return time.monotonic() - started
    return None


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def stop(process, timeout=30):
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Http:
    """One keep-alive connection; get() returns the body, read whole."""

    def __init__(self, port):
        self.port = port
        self.connection = None

    def get(self, path, timeout=600):
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            try:
                self.connection.request("GET", path)
                response = self.connection.getresponse()
                body = response.read()
                if response.status == 408 and not attempt:
                    # sensorbridge answers 408 and closes a connection idle for 10 s: a new one
                    raise ConnectionResetError("408 on an idle connection")
                if response.status != 200:
                    raise RuntimeError("GET %s: %d %s" % (path, response.status, body[:300]))
                return body
            except (ConnectionError, http.client.HTTPException):
                self.connection.close()
                self.connection = None
                if attempt:
                    raise

    def close(self):
        if self.connection:
            self.connection.close()
            self.connection = None


def wait_http(port, path, seconds=60, process=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError("the server exited with %s" % process.returncode)
        try:
            Http(port).get(path, timeout=5)
            return
        except (OSError, RuntimeError, http.client.HTTPException):
            time.sleep(0.05)
    raise RuntimeError("no answer on port %d within %d s" % (port, seconds))


# ---------------------------------------------------------------------------------------------
# The naive table

def naive_open(path, create=False):
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    if create:
        db.execute("CREATE TABLE samples(t INTEGER NOT NULL, x INTEGER, y INTEGER, z INTEGER)")
        db.execute("CREATE INDEX samples_t ON samples(t)")
        db.commit()
    return db


class Naive:
    name = "naive SQLite"

    def __init__(self, path):
        self.path = path
        self.db = naive_open(path)

    def files(self):
        return [self.path, self.path + "-wal"]

    def restart(self):
        self.db.close()
        dropped = drop_caches()
        self.db = naive_open(self.path)
        return dropped

    def query(self, from_ms, to_ms):
        """2000 buckets [from + k w, from + (k+1) w) of µs times; rows of (k, n, min x, max x, ...)."""
        width_us = (to_ms - from_ms) * 1000 // POINTS
        lo = from_ms * 1000
        return self.db.execute(
            "SELECT (t - ?) / ? AS b, count(*), min(x), max(x), min(y), max(y), min(z), max(z) "
            "FROM samples WHERE t >= ? AND t < ? GROUP BY b", (lo, width_us, lo, lo + width_us * POINTS)).fetchall()

    def bucket(self, lo_us, hi_us, hi_inclusive=False, ms_times=False):
        """n and (min, max) per channel of the samples in [lo, hi) (or (lo, hi] of ms-truncated times)."""
        if ms_times:  # VictoriaMetrics' windows: (a, b] in ms, over times truncated to ms
            where = "t >= ? AND t < ?"
            lo_us, hi_us = (lo_us // 1000 + 1) * 1000, (hi_us // 1000 + 1) * 1000
        else:
            where = "t >= ? AND t <= ?" if hi_inclusive else "t >= ? AND t < ?"
        row = self.db.execute("SELECT count(*), min(x), max(x), min(y), max(y), min(z), max(z) FROM samples WHERE "
                              + where, (lo_us, hi_us)).fetchone()
        return row[0], [(row[1], row[2]), (row[3], row[4]), (row[5], row[6])]

    def close(self):
        self.db.close()


# ---------------------------------------------------------------------------------------------
# VictoriaMetrics

class Server:
    """A system answering over HTTP on loopback: started, stopped, restarted cold."""
    stop_timeout = 30

    def stop(self):
        if self.http:
            self.http.close()
        if self.process:
            stop(self.process, timeout=self.stop_timeout)
            self.process = None

    def restart(self):
        self.stop()
        dropped = drop_caches()
        self.start()
        return dropped


class Victoria(Server):
    name = "VictoriaMetrics"
    stop_timeout = 120

    def __init__(self, datadir):
        self.datadir = datadir
        self.port = free_port()
        self.process = None
        self.http = None

    def files(self):
        return [self.datadir]

    def start(self):
        self.process = subprocess.Popen(
            ["victoria-metrics", "-storageDataPath", self.datadir, "-httpListenAddr", "127.0.0.1:%d" % self.port,
             "-retentionPeriod", "100y", "-search.maxQueryDuration", "600s", "-search.maxSamplesPerQuery", "10000000000",
             "-search.maxSamplesPerSeries", "10000000000",
             "-search.latencyOffset", "0s", "-loggerLevel", "ERROR"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(os.path.dirname(self.datadir), "vm.err"), "a"))
        wait_http(self.port, "/health", process=self.process)
        self.http = Http(self.port)


    def version(self):
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "victoria-metrics"], capture_output=True, text=True)
        return "Debian's victoria-metrics " + (out.stdout.strip() or "?")

    def ingest(self, csv_path, values, span_ms):
        fmt = "1:time:unix_ms,2:metric:accel_x,3:metric:accel_y,4:metric:accel_z"
        path = "/api/v1/import/csv?" + urllib.parse.urlencode({"format": fmt, "extra_label": "job=bench"})
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=3600)
        with open(csv_path, "rb") as body:
            connection.request("POST", path, body=body, headers={"Content-Length": str(os.path.getsize(csv_path))})
            response = connection.getresponse()
            text = response.read()
        connection.close()
        if response.status >= 300:
            raise RuntimeError("VictoriaMetrics import: %d %s" % (response.status, text[:300]))
        # done when every value can be read back (or the count has stopped growing for 10 s)
        last, since = -1, time.monotonic()
        while True:
            self.flush()
            count = self.count(span_ms)
            if count >= values:
                return count
            if count != last:
                last, since = count, time.monotonic()
            elif time.monotonic() - since > 10:
                return count
            time.sleep(0.2)

    def flush(self):
        self.http.get("/internal/force_flush")

    def count(self, span_ms):
        params = {"query": 'sum(count_over_time({job="bench"}[%dms]))' % (span_ms + 5000),
                  "time": "%.3f" % (START_EPOCH_S + span_ms / 1000 + 1), "nocache": "1"}
        answer = json.loads(self.http.get("/api/v1/query?" + urllib.parse.urlencode(params)))
        result = answer["data"]["result"]
        return int(float(result[0]["value"][1])) if result else 0

    def settled_size(self):
        """The data folder's size once it has not changed for 5 s (background merges)."""
        last, since = -1, time.monotonic()
        while time.monotonic() - since < 5:
            size = du(self.datadir)
            if size != last:
                last, since = size, time.monotonic()
            time.sleep(0.5)
        return last

    def expression(self, width_ms):
        window = "[%dms]" % width_ms
        return ('union(label_set(min_over_time({job="bench"}%s) keep_metric_names, "agg", "min"), '
                'label_set(max_over_time({job="bench"}%s) keep_metric_names, "agg", "max"))') % (window, window)

    def query(self, from_ms, to_ms):
        """min and max of each channel over (from + k w, from + (k+1) w], k < 2000 (VM evaluates at
        the right edge over a window of w), no cache."""
        width = (to_ms - from_ms) // POINTS
        params = {"query": self.expression(width), "start": "%.3f" % ((from_ms + width) / 1000),
                  "end": "%.3f" % ((from_ms + width * POINTS) / 1000), "step": "%dms" % width, "nocache": "1"}
        body = self.http.get("/api/v1/query_range?" + urllib.parse.urlencode(params))
        return body

    def series(self, body):
        """{(channel, agg): {ms: value}}"""
        answer = json.loads(body)
        if answer.get("status") != "success":
            raise RuntimeError("VictoriaMetrics: %s" % body[:300])
        out = {}
        for result in answer["data"]["result"]:
            channel = "xyz".index(result["metric"]["__name__"][-1])
            out[(channel, result["metric"]["agg"])] = {round(float(t) * 1000): float(v) for t, v in result["values"]}
        return out


# ---------------------------------------------------------------------------------------------
# sensorbridge

class Bridge(Server):
    name = "sensorbridge"

    def __init__(self, binary, store):
        self.binary = binary
        self.store = store
        self.process = None
        self.http = None
        self.port = None

    def files(self):
        return [self.store, self.store + "-wal"]

    def start(self):
        self.port = free_port()
        self.process = subprocess.Popen([self.binary, "--archive", self.store, "--port", str(self.port),
                                         "--host", "127.0.0.1"], stdout=subprocess.DEVNULL,
                                        stderr=open(self.store + ".err", "a"))
        wait_http(self.port, "/api/status", process=self.process)
        self.http = Http(self.port)


    def query(self, from_ms, to_ms):
        return self.http.get("/api/history?from=%d&to=%d&points=%d" % (from_ms, to_ms, POINTS))


# ---------------------------------------------------------------------------------------------
# Measurements

def positions(hours, seed):
    """For each range that fits the data, the random [from, to) in ms, the same for every system."""
    rng = random.Random(seed)
    span_ms = int(hours * 3600 * 1000)
    out = {}
    for label, seconds in RANGES:
        width = seconds * 1000
        if width > span_ms:
            continue
        out[label] = [(START_EPOCH_S * 1000 + rng.randint(0, span_ms - width),) for _ in range(200)]
        out[label] = [(f, f + width) for (f,) in out[label]]
    return out


def time_queries(system, ranges, count, budget):
    """{range: (p50 ms, p95 ms, queries run)}; per range at most `count` queries or `budget` s."""
    results = {}
    for label, spans in ranges.items():
        times = []
        started = time.monotonic()
        for from_ms, to_ms in spans[:count]:
            t0 = time.perf_counter()
            system.query(from_ms, to_ms)
            times.append((time.perf_counter() - t0) * 1000)
            if time.monotonic() - started > budget and len(times) >= 1:
                break
        results[label] = (percentile(times, 50), percentile(times, 95), len(times))
        log("  %s %s: p50 %.1f ms, p95 %.1f ms (%d queries)" % (system.name, label, *results[label]))
    return results


def first_after_restart(system, span):
    dropped = system.restart()
    t0 = time.perf_counter()
    system.query(*span)
    return (time.perf_counter() - t0) * 1000, dropped


def check_bridge(bridge, naive, spans, buckets_each=25):
    """Compares sensorbridge's buckets with the naive table. Each bucket says the time of its
    first and last sample (t0, t1): the naive table's samples in [t0, t1] must be exactly n,
    with the same min and max per channel; the buckets' n must add up to the table's count
    over [from, to). Returns (buckets compared, disagreements, the first few differences)."""
    compared, wrong, notes = 0, 0, []
    for from_ms, to_ms in spans:
        answer = json.loads(bridge.query(from_ms, to_ms))
        total = naive.db.execute("SELECT count(*) FROM samples WHERE t >= ? AND t < ?",
                                 (from_ms * 1000, to_ms * 1000)).fetchone()[0]
        if sum(answer["n"]) != total:
            wrong += 1
            notes.append("%d..%d: the buckets hold %d samples, the table %d" % (from_ms, to_ms, sum(answer["n"]), total))
        picks = random.Random(from_ms).sample(range(len(answer["t0"])), min(buckets_each, len(answer["t0"])))
        for k in sorted(picks):
            # The store keeps times to the ms (rounded down): t1's ms holds the µs up to t1 + 999.
            lo_us, hi_us = round(answer["t0"][k] * 1000), round(answer["t1"][k] * 1000) + 999
            n, minmax = naive.bucket(lo_us, hi_us, hi_inclusive=True)
            got = [(answer["min"][c][k], answer["max"][c][k]) for c in range(3)]
            compared += 1
            if answer["n"][k] != n or any(g != (float(a), float(b)) for g, (a, b) in zip(got, minmax)):
                wrong += 1
                if len(notes) < 5:
                    notes.append("bucket %d of %d..%d (t0 %s, t1 %s): sensorbridge n=%s %s, naive n=%s %s"
                                 % (k, from_ms, to_ms, answer["t0"][k], answer["t1"][k], answer["n"][k], got, n, minmax))
    return compared, wrong, notes


def check_victoria(vm, naive, spans, buckets_each=25):
    compared, wrong, notes = 0, 0, []
    for from_ms, to_ms in spans:
        width = (to_ms - from_ms) // POINTS
        series = vm.series(vm.query(from_ms, to_ms))
        ends = sorted(series.get((0, "min"), {}))
        for end in random.Random(from_ms).sample(ends, min(buckets_each, len(ends))):
            n, minmax = naive.bucket((end - width) * 1000, end * 1000, ms_times=True)
            got = [(series[(c, "min")].get(end), series[(c, "max")].get(end)) for c in range(3)]
            compared += 1
            if any(g != (float(a), float(b)) for g, (a, b) in zip(got, minmax)):
                wrong += 1
                if len(notes) < 5:
                    notes.append("window ending %d: VM %s, naive %s (n=%d)" % (end, got, minmax, n))
    return compared, wrong, notes


def live_cost(binary, workdir, seconds, runs, seed):
    """CPU of a bridge replaying 1 kHz × 6 channels at --speed 1, with the store and without.
    Returns {"store": [% of a core per run], "no-store": [...]}."""
    path = os.path.join(workdir, "live6.log")
    live_recording(path, seconds + 15, seed)
    out = {"store": [], "no-store": []}
    for run in range(runs):
        for mode in ("no-store", "store"):
            store = os.path.join(workdir, "live-%d.sqlite" % run)
            args = [binary, "--replay", path, "--speed", "1", "--port", str(free_port()), "--host", "127.0.0.1"]
            args += ["--store", store] if mode == "store" else ["--no-store"]
            process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(store + ".err", "a"))
            try:
                time.sleep(3)  # past start-up
                if process.poll() is not None:
                    raise RuntimeError("%s exited with %s" % (" ".join(args), process.returncode))
                c0, t0 = cpu_seconds(process.pid), time.monotonic()
                time.sleep(seconds)
                c1, t1 = cpu_seconds(process.pid), time.monotonic()
                out[mode].append(100 * (c1 - c0) / (t1 - t0))
                log("  live %s run %d: %.2f %% of a core" % (mode, run + 1, out[mode][-1]))
            finally:
                stop(process)
            if mode == "store":
                try:
                    db = sqlite3.connect(store)
                    stored = db.execute("SELECT sum(samples) FROM session").fetchone()[0]
                    db.close()
                except sqlite3.Error as error:
                    stored = "? (%s)" % error
                out.setdefault("stored", []).append(stored)
                log("  the store holds %s samples" % stored)
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(store + suffix):
                    os.unlink(store + suffix)
    return out


# ---------------------------------------------------------------------------------------------

def pick_workdir(requested, need_bytes):
    if requested:
        os.makedirs(requested, exist_ok=True)
        return tempfile.mkdtemp(prefix="sensorbridge-store-bench-", dir=requested)
    best = max(["/tmp", ROOT], key=lambda p: shutil.disk_usage(p).free)
    free = shutil.disk_usage(best).free
    if free < need_bytes:
        sys.exit("need about %.1f GB on disk, %s has %.1f GB free: use --workdir or fewer --hours"
                 % (need_bytes / 1e9, best, free / 1e9))
    return tempfile.mkdtemp(prefix="sensorbridge-store-bench-", dir=best)


def fmt_int(value):
    return "{:,}".format(int(round(value))).replace(",", " ")


def fmt_ms(cell):
    p50, p95, n = cell
    text = ("%.1f / %.1f" % (p50, p95)) if p95 < 100 else ("%s / %s" % (fmt_int(p50), fmt_int(p95)))
    return text + ("" if n >= 10 else " (n=%d)" % n)


def live_measured(live):
    """Whether both live runs were made (--live-runs 0 makes none)."""
    return bool(live.get("store")) and bool(live.get("no-store"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=24, help="hours of 1 kHz × 3 data (default 24: 86.4 M samples)")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "sensorbridge"))
    parser.add_argument("--queries", type=int, default=50, help="queries per range and system (default 50)")
    parser.add_argument("--budget", type=float, default=60,
                        help="seconds per range and system after which no more queries start (default 60)")
    parser.add_argument("--live-seconds", type=float, default=30, help="seconds of live replay measured per run")
    parser.add_argument("--live-runs", type=int, default=2, help="runs of --store and --no-store each (default 2)")
    parser.add_argument("--systems", default="sensorbridge,VictoriaMetrics,naive SQLite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", help="a folder for the temporary files (default: /tmp or the checkout, whichever has more room)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary files")
    options = parser.parse_args()
    systems = [s.strip() for s in options.systems.split(",")]
    with_bridge = "sensorbridge" in systems
    if with_bridge and not os.access(options.binary, os.X_OK):
        sys.exit("no %s: build it (swift build -c release --product sensorbridge)" % options.binary)

    samples_total = int(options.hours * 3600 * 1000)
    workdir = pick_workdir(options.workdir, samples_total * 140)
    log("work folder %s (%.0f GB free)" % (workdir, shutil.disk_usage(workdir).free / 1e9))
    rows = {}
    notes = []
    servers = {}
    try:
        naive_path = os.path.join(workdir, "naive.sqlite")
        log("generating %.2f h at 1 kHz × 3 (%d samples) and filling the naive table" % (options.hours, samples_total))
        t0 = time.monotonic()
        samples, naive_seconds, log_path, csv_path, distinct_ms = generate(workdir, options.hours, options.seed, naive_path)
        log("  %.0f s; recording %.2f GB" % (time.monotonic() - t0, os.path.getsize(log_path) / 1e9))
        values = samples * 3
        for name in systems:
            rows[name] = {}
        if "naive SQLite" in rows:
            rows["naive SQLite"]["ingest"] = samples / naive_seconds
            rows["naive SQLite"]["bytes"] = du(naive_path, naive_path + "-wal", naive_path + "-shm")
        spans = positions(options.hours, options.seed)
        widest = list(spans)[-1]
        first_span = spans[widest][-1]

        # Each part that fails is said in the notes; the others still run and print.
        def attempt(what, action):
            try:
                action()
                return True
            except Exception as error:  # noqa: BLE001 - reported, not hidden
                import traceback
                traceback.print_exc()
                notes.append("**%s failed**: %s" % (what, str(error)[:400]))
                return False

        # sensorbridge
        if with_bridge:
            store = os.path.join(workdir, "bridge.sqlite")

            def bridge_import():
                log("sensorbridge import")
                drop_caches()
                t0 = time.perf_counter()
                done = subprocess.run([options.binary, "import", log_path, "--store", store],
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                elapsed = time.perf_counter() - t0
                if done.returncode != 0:
                    raise RuntimeError("sensorbridge import exited %d: %s" % (done.returncode, done.stdout[-2000:]))
                rows["sensorbridge"]["ingest"] = samples / elapsed
                rows["sensorbridge"]["bytes"] = du(store, store + "-wal", store + "-shm")
                log("  %.1f s, %s samples/s, %.3f B/value" % (elapsed, fmt_int(samples / elapsed),
                                                             rows["sensorbridge"]["bytes"] / values))
                servers["sensorbridge"] = Bridge(options.binary, store)
                servers["sensorbridge"].start()
            attempt("sensorbridge import", bridge_import)

        # VictoriaMetrics
        if "VictoriaMetrics" in rows:
            def victoria_import():
                vm = Victoria(os.path.join(workdir, "vm-data"))
                servers["VictoriaMetrics"] = vm
                vm.start()
                notes.append("VictoriaMetrics: %s" % vm.version())
                log("VictoriaMetrics import")
                drop_caches()
                t0 = time.perf_counter()
                kept = vm.ingest(csv_path, values, int(options.hours * 3600 * 1000) + 60_000)
                elapsed = time.perf_counter() - t0
                notes.append("VictoriaMetrics keeps times in ms (%s samples share a ms with the one before); it reads "
                             "back %s of the %s values" % (fmt_int(samples - distinct_ms), fmt_int(kept), fmt_int(values)))
                rows["VictoriaMetrics"]["ingest"] = samples / elapsed
                log("  %.1f s, %s samples/s" % (elapsed, fmt_int(samples / elapsed)))
                notes.append("VictoriaMetrics' data folder after the import and a force_flush, while running: "
                             "%.3f bytes/value" % (vm.settled_size() / values))
            attempt("VictoriaMetrics import", victoria_import)

        naive = Naive(naive_path)
        if "naive SQLite" in rows:
            servers["naive SQLite"] = naive
        # queries, one system at a time, once every server is idle
        running = [system.process for system in servers.values() if getattr(system, "process", None)]
        waited = settle(running)
        notes.append("Before the queries the servers were left until idle (VictoriaMetrics merges after its import): %s"
                     % ("%.0f s" % waited if waited is not None else "still busy after 180 s"))
        log("  servers idle after %s" % ("%.0f s" % waited if waited is not None else "180 s (still busy)"))
        dropped_all = True
        for name, system in list(servers.items()):
            def measure():
                nonlocal dropped_all
                log("%s queries" % name)
                warm(*system.files())
                system.query(*spans[list(spans)[0]][-2])  # one warm-up
                rows[name]["queries"] = time_queries(system, spans, options.queries, options.budget)
                first, dropped = first_after_restart(system, first_span)
                dropped_all = dropped_all and dropped
                rows[name]["first"] = first
                log("  first after restart (%s): %.1f ms" % (widest, first))
            attempt("%s queries" % name, measure)

        # agreement
        check_spans = [spans[label][-3] for label in spans]
        if "sensorbridge" in servers and "naive SQLite" in rows:
            log("comparing sensorbridge with the naive table")
            attempt("the sensorbridge check", lambda: rows["sensorbridge"].__setitem__(
                "agree", check_bridge(servers["sensorbridge"], naive, check_spans)))
        if "VictoriaMetrics" in servers and "naive SQLite" in rows:
            log("comparing VictoriaMetrics with the naive table")
            attempt("the VictoriaMetrics check", lambda: rows["VictoriaMetrics"].__setitem__(
                "agree", check_victoria(servers["VictoriaMetrics"], naive, check_spans)))
        naive.close()
        if "VictoriaMetrics" in servers:
            servers["VictoriaMetrics"].stop()
            rows["VictoriaMetrics"]["bytes"] = du(servers["VictoriaMetrics"].datadir)  # once stopped, as for the others
        if "sensorbridge" in servers:
            servers["sensorbridge"].stop()

        if with_bridge and options.live_seconds > 0:
            log("live: replay 1 kHz × 6 at --speed 1, --store vs --no-store")
            attempt("the live runs", lambda: rows["sensorbridge"].__setitem__("live", live_cost(
                options.binary, workdir, options.live_seconds, options.live_runs, options.seed)))

        print_table(options, rows, spans, values, samples, widest, dropped_all, notes)
    finally:
        for name, server in servers.items():
            if name != "naive SQLite":
                server.stop()
        if options.keep:
            log("kept %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def print_table(options, rows, spans, values, samples, widest, dropped, notes):
    labels = list(spans)
    print()
    print("Store benchmark: %.2f h at 1 kHz × 3 channels = %s samples, %s values; 2 cores shared with other work; %s"
          % (options.hours, fmt_int(samples), fmt_int(values), time.strftime("%Y-%m-%d")))
    print()
    head = ["system", "ingest samples/s", "bytes/value"] + ["%s p50 / p95 ms" % l for l in labels] + \
           ["first after restart (%s) ms" % widest, "answers agree with naive", "live: store's extra CPU"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name, row in rows.items():
        cells = [name, fmt_int(row["ingest"]) if "ingest" in row else "–",
                 "%.3f" % (row["bytes"] / values) if "bytes" in row else "–"]
        for label in labels:
            cells.append(fmt_ms(row["queries"][label]) if "queries" in row else "–")
        cells.append("%.1f" % row["first"] if "first" in row else "–")
        if "agree" in row:
            compared, wrong, _ = row["agree"]
            cells.append("%d of %d buckets" % (compared - wrong, compared))
        else:
            cells.append("(reference)" if name == "naive SQLite" else "–")
        if "live" in row and live_measured(row["live"]):
            live = row["live"]
            extra = statistics.mean(live["store"]) - statistics.mean(live["no-store"])
            cells.append("%+.2f %% of a core (%s with, %s without; stored %s samples a run)" % (
                extra, "/".join("%.1f" % v for v in live["store"]), "/".join("%.1f" % v for v in live["no-store"]),
                "/".join(str(v) for v in live.get("stored", []))))
        else:
            cells.append("–")
        print("| " + " | ".join(cells) + " |")
    print()
    print("- Page cache dropped before each first query after a restart: %s." % ("yes" if dropped else "no (not allowed here)"))
    print("- Queries: %d buckets, random positions (seed %d), the same for every system; at most %d per range, "
          "no new one after %.0f s (n= says how many ran when fewer than 10); each system's files read once before "
          "its queries (warm page cache for all)." % (POINTS, options.seed, options.queries, options.budget))
    print("- sensorbridge: `/api/history?points=2000` (min/max/mean/n per bucket; it picks the bucket width: range/2000 "
          "below 250 ms, then 250 or 500 ms, then the next of 1, 2, 5, 10, 20, 30, 60 s ..., so 1440 buckets for 24 h); VictoriaMetrics: "
          "one query_range of min_over_time and max_over_time (keep_metric_names), step = window = range/2000, nocache=1; "
          "naive: GROUP BY (t - from) / (range/2000) over the index on t.")
    print("- Ingest: sensorbridge `import` timed as a process (page cache dropped before it); VictoriaMetrics from the "
          "POST of the CSV until every value reads back after /internal/force_flush; naive: executemany and commit "
          "(Python), 600 000 rows a transaction. Bytes/value: everything on disk once the system has stopped.")
    for name, row in rows.items():
        if "agree" in row and row["agree"][2]:
            for line in row["agree"][2]:
                print("- %s disagrees: %s" % (name, line))
    for note in notes:
        print("- " + note)


if __name__ == "__main__":
    main()
