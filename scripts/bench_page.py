#!/usr/bin/env python3
"""Page benchmark (issue: smooth at 1 kHz x 6 channels with a 10-minute window).

Runs the built bridge on a 1 kHz, 6-channel capture (looped), opens the page in headless
Chromium with a 10-minute window, fills the page's rings with 600 000 samples per channel
(window.sensorbridge.fillSynthetic, 10 minutes of the stream's own 6 series ending now) and
lets the live 1 kHz stream run on top. Prints the page's draw time per frame, the frame
rate the browser achieved, the CPU of the browser and the bridge, and the cost of
zooming while paused. Then, side by side in the same browser, Debian's dygraphs 2.2.1
drawing the same 600 000 x 6 points once (the work our renderer avoids per frame).

    python3 scripts/bench_page.py [--seconds 20]

Needs chromium, chromium-driver, selenium (scripts/test.sh installs them) and, for the
comparison, libjs-dygraphs.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Tests", "Browser"))
from conftest import Bridge, Chromium, wait_for  # noqa: E402

DYGRAPHS = "/usr/share/javascript/dygraphs/dygraph.min.js"


def cpu_seconds(pids):
    total = 0
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError):
            pass
    return total


def chromium_pids():
    out = subprocess.run(["pgrep", "-f", "chromium"], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in out]


def percentile(values, fraction):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * fraction))] if values else float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()

    capture = tempfile.NamedTemporaryFile("w", suffix=".raw", delete=False)
    for n in range(60000):
        capture.write(",".join(str(512 + (n * (k + 3)) % 300) for k in range(6)) + "\n")
    capture.close()
    bridge = Bridge(["--replay", capture.name, "--rate", "1000", "--loop", "--log-level", "warning"])
    browser = Chromium()
    try:
        browser.open(bridge.url + "?window=600")
        wait_for(lambda: len(browser.js("window.sensorbridge.series")) == 6, timeout=20, message="6 series")
        started = time.time()
        held = browser.js("window.sensorbridge.fillSynthetic(600, 1000, 6)")
        fill_seconds = time.time() - started
        browser.js("""(function(){ window.__intervals = []; let last = performance.now();
            function tick(now){ window.__intervals.push(now - last); last = now; requestAnimationFrame(tick); }
            requestAnimationFrame(tick); })()""")
        time.sleep(3)
        browser.js("window.__intervals = []")
        frames_before = browser.js("window.sensorbridge.frameCount")
        received_before = browser.js("window.sensorbridge.received")
        pids = chromium_pids()
        cpu_browser, cpu_bridge = cpu_seconds(pids), cpu_seconds([bridge.process.pid])
        wall = time.time()
        time.sleep(args.seconds)
        wall = time.time() - wall
        cpu_browser = cpu_seconds(pids) - cpu_browser
        cpu_bridge = cpu_seconds([bridge.process.pid]) - cpu_bridge
        frames = browser.js("window.sensorbridge.frameCount") - frames_before
        draws = browser.js("window.sensorbridge.frameTimes")
        intervals = browser.js("window.__intervals")
        received = browser.js("window.sensorbridge.received") - received_before
        held_now = browser.js("window.sensorbridge.samples")
        # Paused: zoom in and out 40 times, each a full redraw of the 10-minute data.
        zoom = browser.js("""(function(){ window.sensorbridge.pause(); const times = [];
            const canvas = document.getElementById('graph');
            for (let i = 0; i < 40; i++) {
              canvas.dispatchEvent(new KeyboardEvent('keydown', {key: i < 20 ? '+' : '-', bubbles: true}));
              const t = performance.now(); window.sensorbridge.draw(); times.push(performance.now() - t);
            }
            window.sensorbridge.resume(); return times; })()""")

        print("sensorbridge page, headless Chromium, 1280x900, 10-minute window, 6 channels")
        print("  samples held: %d (filled %d in %.1f s), live stream %.0f samples/s received" % (
            held_now, held, fill_seconds, received / wall))
        print("  draw time per frame (ms): median %.2f, p95 %.2f, max %.2f over %d draws" % (
            statistics.median(draws), percentile(draws, 0.95), max(draws), len(draws)))
        if intervals:
            print("  animation frames: %.1f per s; interval median %.1f ms, p95 %.1f ms" % (
                len(intervals) / wall, statistics.median(intervals), percentile(intervals, 0.95)))
        print("  redraws: %.1f per s (one per pixel of scroll: 600 s / plot width)" % (frames / wall))
        print("  CPU: browser %.0f %% of a core, bridge %.0f %% of a core" % (
            100 * cpu_browser / wall, 100 * cpu_bridge / wall))
        print("  paused zoom, full redraw (ms): median %.2f, max %.2f" % (statistics.median(zoom), max(zoom)))

        if os.path.exists(DYGRAPHS):
            page = tempfile.NamedTemporaryFile("w", suffix=".html", delete=False)
            page.write("""<!doctype html><html><body><div id="g" style="width:1200px;height:560px"></div>
<script src="file://%s"></script></body></html>""" % DYGRAPHS)
            page.close()
            browser.open("file://" + page.name)
            result = browser.js("""(function(){ const rows = [], n = 600000, t0 = Date.now() - 600000;
                for (let i = 0; i < n; i++) { const r = [new Date(t0 + i)];
                  for (let k = 0; k < 6; k++) r.push(512 + 300 * Math.sin(i / (300 + 90 * k))); rows.push(r); }
                let t = performance.now();
                const g = new Dygraph(document.getElementById('g'), rows, {labels: ['t','a','b','c','d','e','f']});
                const first = performance.now() - t; const again = [];
                for (let k = 0; k < 3; k++) { t = performance.now(); g.updateOptions({file: rows}); again.push(performance.now() - t); }
                return [first, again]; })()""")
            print("dygraphs 2.2.1 (Debian libjs-dygraphs), same browser, same 600 000 x 6 points")
            print("  first render %.0f ms; redraw with new data (ms): %s" % (
                result[0], ", ".join("%.0f" % value for value in result[1])))
    finally:
        browser.close()
        bridge.stop()
        os.unlink(capture.name)


if __name__ == "__main__":
    main()
