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

`--history` measures scrolling back instead (issue: zooming from 24 h to 1 s and back, each
step drawn within 150 ms of the input): a synthesized day-long recording (`--hours`,
`--history-rate` lines per second) is imported into a temporary store (`sensorbridge
import`), served with `sensorbridge --archive`, and the page zooms from the whole day to 1 s
around a point and back out by wheel steps of 0.8 / 1.25. For each step it prints how long
after the input the page drew (from what it had) and how long until it drew the bridge's
answer at the new zoom (the page never waits for it), and the bridge's time per query.

    python3 scripts/bench_page.py --history [--hours 24] [--history-rate 10]

`--web DIR` serves a page folder instead of the built-in page (`sensorbridge --web DIR
--web-policy strict`), so two versions of the page can be measured side by side with one
binary; `--screenshot PATH` saves the page as drawn at the end of the live run;
`--no-dygraphs` leaves the comparison out. The binary is $SENSORBRIDGE_BINARY, else the
package's `swift build` one.

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
from conftest import Bridge, Chromium, binary_path, wait_for  # noqa: E402

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


def chromium_pids(browser):
    """The benchmark's own browser: the processes under its chromedriver (pgrep -f chromium
    would also count other browsers on a shared machine, and their exits made it negative)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    found, todo = [], [browser.driver.service.process.pid]
    while todo:
        pid = todo.pop()
        children = [child for child, parent in parents.items() if parent == pid]
        found += children
        todo += children
    return found


def percentile(values, fraction):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * fraction))] if values else float("nan")


def synthesize_recording(path, hours, rate, end_ms):
    """A recording of `hours` at `rate` lines per second ending at end_ms (ms since the
    epoch): x, y, z as slow and fast waves, so every zoom level has something to show."""
    import math
    count = int(hours * 3600 * rate)
    start = end_ms / 1000 - hours * 3600
    with open(path, "w") as out:
        out.write("# sensorbridge recording v1\n# started %.6f source bench baud 115200\n" % start)
        out.write("0.000000 x,y,z\n")
        for n in range(count):
            t = n / rate
            out.write("%.6f %d,%d,%d\n" % (t, 512 + 300 * math.sin(t / 3600), 400 + 80 * math.sin(t / 7) + n % 13,
                                             600 + 40 * math.sin(t / 0.9)))
    return count


def bench_history(args):
    workdir = tempfile.mkdtemp(prefix="bench-page-history-")
    recording, store = os.path.join(workdir, "day.log"), os.path.join(workdir, "store.sqlite")
    end = time.time() * 1000 - 60000
    started = time.time()
    lines = synthesize_recording(recording, args.hours, args.history_rate, end)
    made = time.time() - started
    started = time.time()
    subprocess.run([binary_path(), "import", recording, "--store", store], check=True, capture_output=True, text=True)
    imported = time.time() - started
    bridge = Bridge(["--archive", store, "--log-level", "warning"])
    browser = Chromium()
    try:
        browser.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                       {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
        browser.open(bridge.url + "?window=86400")
        settled = lambda: browser.js("(function(h){ return !h.loading && h.buckets > 0 && h.drawnAt > h.changedAt; })(window.sensorbridge.history)")
        wait_for(settled, timeout=60, message="the day drawn")
        # Paused, zoom around a point two thirds into the day (the cursor is where the wheel is).
        browser.js("window.sensorbridge.pause()")
        rect = browser.js("(function(){ const r = document.getElementById('graph').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()")
        x, y = rect[0] + 58 + (rect[2] - 72) * 2 / 3, rect[1] + rect[3] / 2
        steps = []
        span = browser.js("window.sensorbridge.view.t1 - window.sensorbridge.view.t0")
        direction = -1
        while True:
            if direction < 0 and span <= 1000:
                direction = 1
            if direction > 0 and span >= 86400e3:
                break
            # Measured in the page, frame by frame: the first draw after the input, and the
            # first draw after the bridge's answer (when the step asked for one).
            browser.js("""(function(){ const sb = window.sensorbridge, before = sb.frameCount, requests = sb.history.requests;
                const step = window.__step = {first: null, refined: null, asked: false, done: false};
                const input = performance.now();
                document.getElementById('graph').dispatchEvent(new WheelEvent('wheel', {deltaY: %d, clientX: %f, clientY: %f,
                  bubbles: true, cancelable: true}));
                (function check() {
                  const h = sb.history;
                  if (step.first === null && sb.frameCount > before) step.first = sb.lastDrawEnd - input;
                  if (h.requests > requests) step.asked = true;
                  if (step.first !== null && !h.loading && (!step.asked || h.changedAt > input) && h.drawnAt >= h.changedAt) {
                    step.refined = step.asked ? h.drawnAt - input : step.first;
                    step.done = true;
                    return;
                  }
                  requestAnimationFrame(check);
                })(); })()""" % (100 * direction, x, y))
            wait_for(lambda: browser.js("window.__step.done"), timeout=30, interval=0.01, message="the step drawn")
            step = browser.js("window.__step")
            history = browser.js("window.sensorbridge.history")
            asked, first, refined = step["asked"], step["first"], step["refined"]
            span = browser.js("window.sensorbridge.view.t1 - window.sensorbridge.view.t0")
            steps.append({"span": span, "first": first, "refined": refined, "asked": asked, "query": history["duration"] if asked else None,
                          "buckets": history["buckets"], "exact": history["exact"]})
        print("sensorbridge page scrolling back, headless Chromium, 1280x800, archive of %.0f h at %g Hz (%d samples)" % (
            args.hours, args.history_rate, lines))
        print("  recording made in %.1f s, imported in %.1f s (%s)" % (made, imported, "sensorbridge import"))
        print("  %-10s %9s %11s %8s %8s %s" % ("span", "drawn ms", "refined ms", "query ms", "buckets", ""))
        for step in steps:
            print("  %-10s %9.1f %11.1f %8s %8d %s" % (span_text(step["span"]), step["first"], step["refined"],
                  "%.0f" % step["query"] if step["query"] is not None else "-", step["buckets"], "exact" if step["exact"] else ""))
        firsts = [s["first"] for s in steps]
        refined = [s["refined"] for s in steps]
        queries = [s["query"] for s in steps if s["query"] is not None]
        print("  %d wheel steps from 24 h to 1 s and back, %d of them asked the bridge" % (len(steps), len(queries)))
        print("  drawn after the input (ms): median %.1f, p95 %.1f, max %.1f" % (
            statistics.median(firsts), percentile(firsts, 0.95), max(firsts)))
        print("  the bridge's answer drawn after the input (ms): median %.1f, p95 %.1f, max %.1f; %d of %d within 150 ms" % (
            statistics.median(refined), percentile(refined, 0.95), max(refined), sum(1 for r in refined if r <= 150), len(refined)))
        if queries:
            print("  query round trip (ms): median %.0f, max %.0f" % (statistics.median(queries), max(queries)))
    finally:
        browser.close()
        bridge.stop()
        for name in os.listdir(workdir):
            os.unlink(os.path.join(workdir, name))
        os.rmdir(workdir)


def span_text(ms):
    for size, unit in ((86400e3, "d"), (3600e3, "h"), (60e3, "min"), (1000, "s"), (1, "ms")):
        if ms >= size:
            return "%.3g %s" % (ms / size, unit)
    return "%.3g ms" % ms


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--history", action="store_true", help="measure zooming through a day of stored history instead")
    parser.add_argument("--hours", type=float, default=24, help="--history: hours of history")
    parser.add_argument("--history-rate", type=float, default=10, help="--history: samples per second in it")
    parser.add_argument("--web", metavar="DIR", help="serve this page folder (sensorbridge --web DIR --web-policy strict)")
    parser.add_argument("--screenshot", metavar="PATH", help="save the page at the end of the live run (PNG)")
    parser.add_argument("--no-dygraphs", action="store_true", help="leave out the dygraphs comparison")
    args = parser.parse_args()
    if args.web:
        # conftest's Bridge adds --web $SENSORBRIDGE_WEB --web-policy strict.
        os.environ["SENSORBRIDGE_WEB"] = os.path.abspath(args.web)
    if args.history:
        bench_history(args)
        return

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
        pids = chromium_pids(browser)
        cpu_browser, cpu_bridge = cpu_seconds(pids), cpu_seconds([bridge.process.pid])
        wall = time.time()
        time.sleep(args.seconds)
        wall = time.time() - wall
        cpu_browser = cpu_seconds(pids) - cpu_browser
        cpu_bridge = cpu_seconds([bridge.process.pid]) - cpu_bridge
        count, ring = browser.js("[window.sensorbridge.frameCount, window.sensorbridge.frameTimes]")
        frames = count - frames_before
        # The draws of the live run only: frameTimes is a ring of the last 600 (from the page's
        # start, so it also holds the draws before the fill), oldest at frameCount % 600 once full.
        if count > len(ring):
            ring = ring[count % len(ring):] + ring[:count % len(ring)]
        draws = ring[-min(frames, len(ring)):]
        if args.screenshot:
            browser.screenshot(args.screenshot)
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
            return times; })()""")
        # The same 40 steps one animation frame apart, as wheel steps come: back to back (above)
        # Chromium's software canvas flushes its deferred drawing inside every third draw or so.
        stepped = browser.js("""new Promise(function (done) { const times = [];
            const canvas = document.getElementById('graph');
            (function step(i) {
              if (i === 40) { window.sensorbridge.resume(); done(times); return; }
              canvas.dispatchEvent(new KeyboardEvent('keydown', {key: i < 20 ? '+' : '-', bubbles: true}));
              const t = performance.now(); window.sensorbridge.draw(); times.push(performance.now() - t);
              requestAnimationFrame(() => requestAnimationFrame(() => step(i + 1)));
            })(0); })""")

        print("sensorbridge page%s, headless Chromium, 1280x900, 10-minute window, 6 channels" % (
            " from " + os.environ["SENSORBRIDGE_WEB"] if os.environ.get("SENSORBRIDGE_WEB") else ""))
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
        print("  paused zoom, back to back, full redraw (ms): median %.2f, p95 %.2f, max %.2f" % (
            statistics.median(zoom), percentile(zoom, 0.95), max(zoom)))
        print("  paused zoom, one step per frame (ms): median %.2f, p95 %.2f, max %.2f" % (
            statistics.median(stepped), percentile(stepped, 0.95), max(stepped)))

        if os.path.exists(DYGRAPHS) and not args.no_dygraphs:
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
