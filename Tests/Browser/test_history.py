"""Scrolling back through the bridge's stored history, in Chromium and in Firefox, against the
real binary: recordings imported into a temporary store (`sensorbridge import`) and served
with `--archive`, and a bridge stopped and started again on the same store."""
import json
import math
import os
import subprocess
import time
import urllib.request

from conftest import binary_path, save_screenshot, wait_for

RATE = 20                      # lines per second in the synthesized recordings


def value(n):
    """The synthesized sample n: x counts, y a slow wave, z a constant."""
    return [n % 1000, round(100 * math.sin(n / 50), 2), 7]


def write_recording(path, start, seconds, rate=RATE):
    """A bridge recording (docs/protocol.md) of `seconds` at `rate`, started at `start` (s since
    the epoch, a whole number of ms): a header line naming x, y, z, then value(n) at n / rate."""
    with open(path, "w") as out:
        out.write("# sensorbridge recording v1\n# started %.6f source test baud 9600\n" % start)
        out.write("0.000000 x,y,z\n")
        for n in range(int(seconds * rate)):
            out.write("%.6f %d,%.2f,%d\n" % ((n / rate, ) + tuple(value(n))))
    return int(seconds * rate)


def import_recording(recording, store):
    done = subprocess.run([binary_path(), "import", recording, "--store", store], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr + done.stdout


def get(url):
    with urllib.request.urlopen(url, timeout=20) as response:
        return response.read().decode()


def settled(browser):
    """The page asked for nothing more and drew the last answer."""
    return browser.js("(function(h){ return !h.loading && h.buckets > 0 && h.drawnAt > h.changedAt; })(window.sensorbridge.history)")


def wait_settled(browser, message="history drawn"):
    wait_for(lambda: settled(browser), timeout=30, message=message)
    return browser.js("window.sensorbridge.history")


# A pixel of a series' line: near one of the page's first three series colours (x, y, z),
# so neither the grey grid and shading nor the orange marks and their labels count.
SERIES_PIXEL = """function (d, i) {
    const colours = [[0xe1, 0x57, 0x59], [0x59, 0xa1, 0x4f], [0x4e, 0x79, 0xa7]];
    return colours.some((c) => Math.abs(d[i] - c[0]) + Math.abs(d[i + 1] - c[1]) + Math.abs(d[i + 2] - c[2]) < 60); }"""


def inked_columns(browser):
    """The fraction of the plot's pixel columns with a series' colour in them (the grid, the
    panel and the shading are grey): what was actually drawn."""
    return browser.js("""(function(){
        const seriesPixel = %s;
        const canvas = document.getElementById('graph'), layout = window.sensorbridge.lastLayout;
        const dpr = canvas.width / canvas.getBoundingClientRect().width;
        const left = Math.ceil(layout.left * dpr) + 2, right = Math.floor(layout.right * dpr) - 2;
        const top = Math.ceil(layout.panels[0].top * dpr) + 2, bottom = Math.floor(layout.panels[0].bottom * dpr) - 2;
        const data = canvas.getContext('2d').getImageData(left, top, right - left, bottom - top).data;
        const width = right - left, height = bottom - top;
        let inked = 0;
        for (let x = 0; x < width; x++) {
          for (let y = 0; y < height; y++) {
            if (seriesPixel(data, 4 * (y * width + x))) { inked++; break; }
          }
        }
        return inked / width; })()""" % SERIES_PIXEL)


def query_of(url):
    return dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))


def test_an_hour_of_history_in_buckets_at_the_plots_width_then_single_samples_and_csv(browser, bridges, tmp_path):
    start_ms = (int(time.time()) - 2 * 3600) * 1000
    recording, store = str(tmp_path / "hour.log"), str(tmp_path / "store.sqlite")
    count = write_recording(recording, start_ms / 1000, 3600)
    import_recording(recording, store)
    bridge = bridges(["--archive", store])
    browser.resize(1280, 800)
    browser.open(bridge.url)
    wait_for(lambda: len(browser.js("window.sensorbridge.sessions")) == 1, message="the session")
    session = browser.js("window.sensorbridge.sessions")[0]
    assert session["samples"] == count and session["channels"] == ["x", "y", "z"]
    assert abs(session["start"] - start_ms) < 1 and abs(session["end"] - (start_ms + (count - 1) * 1000 / RATE)) < 1

    browser.js("window.sensorbridge.setWindow('3600')")
    history = wait_settled(browser)
    view = browser.js("window.sensorbridge.view")
    assert abs(view["t1"] - session["end"]) < 1, "an archive's live edge is its newest sample"
    assert view["t1"] - view["t0"] == 3600e3
    # Asked at the plot's pixel width, and the page holds what the bridge answers.
    layout = browser.js("window.sensorbridge.lastLayout")
    width = layout["right"] - layout["left"]
    query = query_of(history["url"])
    asked = int(query["points"])
    # (The plot's margins follow its labels: the first ask, before any data, may be at a width
    # a few pixels wider; an answer with more buckets than columns is not asked again.)
    wanted = width * (int(query["to"]) - int(query["from"])) / 3600e3
    assert wanted - 2 <= asked <= wanted * 1.02 + 2, (asked, wanted)
    page = browser.js("window.sensorbridge.historyData()")
    answer = json.loads(get(bridge.url + history["url"]))
    for key in ("t0", "t1", "n", "min", "max", "mean", "channels", "exact"):
        assert page[key] == answer[key], key
    assert history["exact"] is False
    assert width / 2 <= history["buckets"] <= asked, "about a bucket per pixel column"
    assert sum(page["n"]) == count, "every stored sample in one bucket"
    x = page["channels"].index("x")
    assert min(page["min"][x]) == 0 and max(page["max"][x]) == 999
    # The buckets are drawn, over the whole view.
    shown = browser.js("window.sensorbridge.lastLayout.history")
    covered = sum(b - a for layer in shown for a, b in layer["intervals"])
    assert abs(covered - (view["t1"] - max(view["t0"], session["start"]))) < 1
    assert browser.js("window.sensorbridge.series") == ["x", "y", "z"]
    assert inked_columns(browser) > 0.97, "the buckets are drawn across the plot"
    # Measurements are exact or nothing: an archive's page holds no samples of this view.
    wait_for(lambda: "holds none of the visible range's samples" in browser.js("document.getElementById('measurements-caption').textContent"),
             message="the measurements say why they are empty")
    assert browser.js("document.querySelectorAll('#measurements-body tr').length") == 0
    save_screenshot(browser, "history-hour")
    # On a phone the same view fits the width.
    browser.resize(390, 844)
    browser.js("window.sensorbridge.draw()")
    assert browser.js("document.documentElement.scrollWidth <= window.innerWidth + 1")
    wait_settled(browser, "history drawn on a phone")
    save_screenshot(browser, "history-hour-phone")
    browser.resize(1280, 800)

    # Go to a time and zoom in: the page refines down to single samples, as recorded.
    target = start_ms + 1234 * 1000 + 25            # between two samples (50 ms apart)
    assert browser.js("window.sensorbridge.goTo(%d)" % target) is True
    requests = browser.js("window.sensorbridge.history.requests")
    for _ in range(60):
        if browser.js("window.sensorbridge.view.t1 - window.sensorbridge.view.t0") <= 2000:
            break
        browser.key("graph", "+")
    history = wait_settled(browser, "single samples")
    assert history["exact"] is True
    assert history["requests"] > requests
    page = browser.js("window.sensorbridge.historyData()")
    assert set(page["n"]) == {1}
    for k, t in enumerate(page["t0"]):
        n = round((t - start_ms) * RATE / 1000)
        assert abs(t - (start_ms + n * 1000 / RATE)) < 0.01
        assert [page["mean"][c][k] for c in range(3)] == value(n), "sample %d as recorded" % n
        assert page["min"][0][k] == page["max"][0][k] == page["mean"][0][k]
    view = browser.js("window.sensorbridge.view")
    assert view["t0"] <= target <= view["t1"] and not view["following"]
    # The cursor readout shows the sample at (just before) the time gone to.
    readout = browser.js("window.sensorbridge.readout")
    assert readout["x"] == value(1234 * RATE)[0]
    save_screenshot(browser, "history-samples")
    assert "from=" in browser.js("location.search"), "the view is in the address"

    # CSV of the visible range comes from the bridge's export, whole.
    browser.click("export-csv")
    export = wait_for(lambda: browser.js("window.sensorbridge.lastExport"), message="export")
    assert export["source"] == "bridge"
    lines = get(bridge.url + export["url"]).strip().split("\n")
    assert lines[0] == "time,x,y,z"
    first_n = math.ceil((export["from"] - start_ms) * RATE / 1000)
    last_n = math.floor((export["to"] - start_ms) * RATE / 1000)
    assert len(lines) - 1 == last_n - first_n + 1
    for line, n in zip(lines[1:], range(first_n, last_n + 1)):
        t, xs, ys, zs = line.split(",")
        assert abs(float(t) - (start_ms + n * 1000 / RATE)) < 0.01
        assert [float(xs), float(ys), float(zs)] == value(n)


def test_scrolling_back_across_a_bridge_restart_shows_both_sessions_and_the_gap(browser, bridges, tmp_path):
    recording, store = str(tmp_path / "short.log"), str(tmp_path / "store.sqlite")
    count = write_recording(recording, time.time() - 3600, 2, rate=50)
    first = bridges(["--replay", recording, "--store", store])
    wait_for(lambda: json.loads(get(first.url + "api/status"))["source"]["state"] == "finished", timeout=20,
             message="the first replay finished")
    first.stop()
    time.sleep(2)
    second = bridges(["--replay", recording, "--store", store])
    browser.resize(1280, 800)
    browser.open(second.url + "?window=60")
    wait_for(lambda: len(browser.js("window.sensorbridge.sessions")) == 2, timeout=40, message="two sessions")
    sessions = browser.js("window.sensorbridge.sessions")
    assert sessions[0]["samples"] == count and not sessions[0]["open"] and sessions[1]["open"]
    assert sessions[1]["start"] - sessions[0]["end"] > 1500, "the bridge was away for 2 s"
    wait_for(lambda: browser.js("window.sensorbridge.samples") >= count, timeout=20, message="the second run on the page")
    browser.js("window.sensorbridge.setWindow('60')")
    history = wait_settled(browser)
    # The first run comes from the store, the second from the stream; the gap between them is shaded.
    page = browser.js("window.sensorbridge.historyData()")
    first_run = [n for t, n in zip(page["t0"], page["n"]) if sessions[0]["start"] <= t <= sessions[0]["end"]]
    assert sum(first_run) == count, "every sample of the first run, from the store"
    layout = browser.js("window.sensorbridge.lastLayout")
    assert [sessions[0]["end"], sessions[1]["start"]] in layout["gaps"]
    assert any(m["kind"] == "session" and m["t"] == sessions[1]["start"] for m in layout["marks"])
    shown = [i for layer in layout["history"] for i in layer["intervals"]]
    assert any(a <= sessions[0]["start"] and b >= sessions[0]["end"] for a, b in shown), "the first run is drawn"
    assert browser.js("window.sensorbridge.firstTime") >= sessions[1]["start"], "the page holds only the second run"
    # Drawn: ink in the columns of the first run (from the store) and of the second (held).
    ink = browser.js("""(function(runs){
        const seriesPixel = SERIES_PIXEL;
        const canvas = document.getElementById('graph'), layout = window.sensorbridge.lastLayout;
        const dpr = canvas.width / canvas.getBoundingClientRect().width, ctx = canvas.getContext('2d');
        const x = (t) => layout.left + (t - layout.t0) / (layout.t1 - layout.t0) * (layout.right - layout.left);
        return runs.map(function (run) {
          const a = Math.ceil(x(run[0]) * dpr) + 1, b = Math.floor(x(run[1]) * dpr) - 1;
          const top = Math.ceil(layout.panels[0].top * dpr), h = Math.floor((layout.panels[0].bottom - layout.panels[0].top) * dpr);
          const data = ctx.getImageData(a, top, Math.max(1, b - a), h).data;
          let n = 0;
          for (let i = 0; i < data.length; i += 4) if (seriesPixel(data, i)) n++;
          return n; }); })(arguments[0])""".replace("SERIES_PIXEL", SERIES_PIXEL).replace("arguments[0]", json.dumps(
        [[sessions[0]["start"], sessions[0]["end"]], [sessions[1]["start"], sessions[1]["start"] + 1500]])))
    assert ink[0] > 50 and ink[1] > 50, ink
    assert history["error"] is None
    save_screenshot(browser, "history-restart")
    browser.resize(390, 844)
    browser.js("window.sensorbridge.draw()")
    save_screenshot(browser, "history-restart-phone")
    browser.resize(1280, 800)


def test_without_a_store_the_page_says_history_is_off_and_stays_live(browser, feeder, bridges):
    feeder.start(lambda n: "a:%d" % n)
    bridge = bridges([feeder.path, "--no-store"])
    browser.open(bridge.url)
    wait_for(lambda: browser.js("window.sensorbridge.samples") > 20, message="samples")
    history = wait_for(lambda: (lambda h: h if h["error"] else None)(browser.js("window.sensorbridge.history")),
                       message="the reason")
    assert "history is off" in history["error"]
    assert history["enabled"] is False
    browser.js("window.sensorbridge.setWindow('3600')")
    browser.js("window.sensorbridge.draw()")
    assert browser.js("window.sensorbridge.history.requests") == 0, "nothing asked of a bridge that keeps no history"
    assert browser.js("window.sensorbridge.state") == "live"
    assert browser.js("window.sensorbridge.view.following") is True
    assert "history is off" in browser.js("document.getElementById('history-state').textContent")
