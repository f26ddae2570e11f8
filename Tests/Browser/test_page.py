"""What a person sees on the graph page, in Chromium and in Firefox, against the real binary
on a pseudo-terminal (see conftest.py)."""
import base64
import math
import struct
import time

from conftest import save_screenshot, wait_for


def labelled(n):
    return "pitch:%.2f,roll:%.2f,yaw:%d" % (30 * math.sin(n / 40), 20 * math.cos(n / 55), n)


def open_page(browser, feeder, bridges, make_line=labelled, query="", samples=30):
    """Feeds the pty at 50 Hz, starts a bridge on it, opens the page and waits for samples."""
    feeder.start(make_line)
    bridge = bridges([feeder.path])
    browser.open(bridge.url + query)
    wait_for(lambda: browser.js("window.sensorbridge.samples") > samples, message="samples on the page")
    return bridge


def test_names_from_a_labelled_sketch_are_shown(browser, feeder, bridges):
    open_page(browser, feeder, bridges, samples=60)
    assert browser.js("window.sensorbridge.series") == ["pitch", "roll", "yaw"]
    assert browser.js("window.sensorbridge.state") == "live"
    legend = browser.js("Array.from(document.querySelectorAll('#legend button')).map(b => b.textContent)")
    assert legend == ["pitch", "roll", "yaw"]
    readout = browser.js("document.getElementById('cursor-readout').textContent")
    assert "pitch" in readout and "yaw" in readout
    assert browser.js("document.getElementById('tilt').hidden") is True, "pitch/roll/yaw is no accelerometer"
    assert 40 <= browser.js("window.sensorbridge.rate") <= 60
    save_screenshot(browser, "labelled")


def test_two_alternating_labels_become_two_series(browser, feeder, bridges):
    def alternating(n):
        return "temp:%.1f" % (21 + n / 100) if n % 2 == 0 else "hum:%d" % (40 + n % 7)
    open_page(browser, feeder, bridges, alternating, query="?mode=stacked", samples=40)
    series = browser.js("window.sensorbridge.series")
    assert sorted(series) == ["hum", "temp"], "in the order the bridge first saw them"
    rows = browser.js("window.sensorbridge.rows()")
    t, h = 1 + series.index("temp"), 1 + series.index("hum")
    temps = [row[t] for row in rows if row[t] is not None]
    hums = [row[h] for row in rows if row[h] is not None]
    assert all((row[1] is None) != (row[2] is None) for row in rows), "each line carries one of the two"
    assert temps and hums and min(temps) >= 21 and max(hums) <= 46
    save_screenshot(browser, "alternating-stacked")


def test_a_bridge_restarted_under_the_page_gives_no_duplicate_or_reordered_sample(browser, feeder, bridges):
    feeder.start(lambda n: "n:%d" % n)
    first = bridges([feeder.path])
    browser.open(first.url)
    wait_for(lambda: browser.js("window.sensorbridge.samples") > 50, message="samples")
    stream = browser.js("window.sensorbridge.stream")
    first.stop()   # SIGTERM: the bridge says it is going away (1001)
    wait_for(lambda: browser.js("window.sensorbridge.state") == "stopped", message="stopped shown")
    wait_for(lambda: "retrying" in browser.js("window.sensorbridge.stateText"), timeout=1, message="the pill")
    time.sleep(1)
    bridges([feeder.path], port=first.port)
    wait_for(lambda: browser.js("window.sensorbridge.stream") not in (None, stream), timeout=15, message="new stream")
    before = browser.js("window.sensorbridge.samples")
    wait_for(lambda: browser.js("window.sensorbridge.samples") > before + 50, message="samples after the restart")
    rows = browser.js("window.sensorbridge.rows()")
    counts = [row[1] for row in rows]
    times = [row[0] for row in rows]
    assert len(counts) == len(set(counts)), "no sample twice"
    assert counts == sorted(counts), "no sample out of order"
    assert times == sorted(times)
    # The line breaks where the bridge was away, and the page says what happened.
    events = browser.js("window.sensorbridge.counters")
    assert events["reconnects"] >= 1
    assert browser.js("window.sensorbridge.state") == "live"
    save_screenshot(browser, "bridge-restarted")


def test_a_dropped_connection_resumes_with_every_sample_once(browser, feeder, bridges):
    open_page(browser, feeder, bridges, lambda n: "n:%d" % n, samples=50)
    stream = browser.js("window.sensorbridge.stream")
    before = browser.js("window.sensorbridge.lastSeq")
    browser.js("window.sensorbridge.reconnect()")
    wait_for(lambda: browser.js("window.sensorbridge.counters")["reconnects"] >= 1, message="a reconnect")
    wait_for(lambda: browser.js("window.sensorbridge.lastSeq") > before + 50, message="samples after it")
    assert browser.js("window.sensorbridge.stream") == stream
    counts = [row[1] for row in browser.js("window.sensorbridge.rows()")]
    # The bridge resumed after the last sample the page had: nothing twice, nothing missing.
    assert counts == list(range(int(counts[0]), int(counts[0]) + len(counts)))
    assert browser.js("window.sensorbridge.counters")["duplicates"] == 0
    save_screenshot(browser, "reconnected")


def test_the_page_says_disconnected_within_two_seconds_of_the_pty_closing(browser, feeder, bridges):
    feeder.start(labelled)
    bridge = bridges([feeder.path])
    browser.open(bridge.url)
    wait_for(lambda: browser.js("window.sensorbridge.state") == "live", message="live")
    closed = time.time()
    feeder.close()
    wait_for(lambda: browser.js("window.sensorbridge.state") == "disconnected", timeout=2, message="disconnected")
    assert time.time() - closed <= 2.0
    wait_for(lambda: browser.js("window.sensorbridge.stateText") == "board disconnected", timeout=1, message="the pill")
    assert browser.js("window.sensorbridge.source").get("detail"), "the bridge's reason is shown"
    wait_for(lambda: browser.js("window.sensorbridge.rate") == 0, timeout=3, message="rate falls to 0")
    save_screenshot(browser, "disconnected")


def test_pause_freezes_the_view_while_data_keeps_arriving(browser, feeder, bridges):
    open_page(browser, feeder, bridges, samples=50)
    browser.key("graph", " ")  # space pauses
    wait_for(lambda: browser.js("window.sensorbridge.paused"), message="paused")
    view = browser.js("window.sensorbridge.view")
    image = browser.js("document.getElementById('graph').toDataURL()")
    received = browser.js("window.sensorbridge.received")
    time.sleep(1.0)
    assert browser.js("window.sensorbridge.received") >= received + 30, "data keeps arriving"
    assert browser.js("window.sensorbridge.view") == view
    browser.js("window.sensorbridge.draw()")
    assert browser.js("document.getElementById('graph').toDataURL()") == image, "the plot does not move"
    # Keyboard zoom while paused, then back.
    browser.key("graph", "+")
    zoomed = browser.js("window.sensorbridge.view")
    assert zoomed["t1"] - zoomed["t0"] < view["t1"] - view["t0"]
    browser.key("graph", "0")
    assert browser.js("window.sensorbridge.view")["t1"] == view["t1"]
    browser.click("pause")
    wait_for(lambda: not browser.js("window.sensorbridge.paused"), message="resumed")


def test_csv_export_holds_the_samples_with_the_series_names(browser, feeder, bridges):
    open_page(browser, feeder, bridges)
    # Every sample arrived before the pause, so all are shown, and the file holds what is shown.
    feeder.stop()
    time.sleep(0.3)
    browser.js("window.sensorbridge.pause()")
    browser.click("export-csv")
    export = wait_for(lambda: browser.js("window.sensorbridge.lastExport"), message="export")
    lines = export["text"].strip().split("\n")
    assert lines[0] == "time,ms,pitch,roll,yaw"
    rows = browser.js("window.sensorbridge.rows()")
    assert len(lines) - 1 == len(rows) == export["rows"]
    for line, row in zip(lines[1:], rows):
        iso, ms, pitch, roll, yaw = line.split(",")
        assert abs(float(ms) - row[0]) < 0.01
        assert iso.endswith("Z") and iso[:4].isdigit()
        assert float(yaw) == row[3] and float(pitch) == row[1]
    assert export["name"].endswith(".csv")


def test_png_export_is_a_real_image(browser, feeder, bridges):
    open_page(browser, feeder, bridges)
    browser.click("export-png")
    export = wait_for(lambda: browser.js("window.sensorbridge.lastExport"), message="export")
    assert export["kind"] == "png"
    data = base64.b64decode(export["dataURL"].split(",", 1)[1])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (export["width"], export["height"]) and width >= 200 and height >= 150
    assert len(data) > 5000, "a plot, not a blank image"


def test_settings_live_in_the_url_and_legend_clicks_hide_series(browser, feeder, bridges):
    open_page(browser, feeder, bridges, query="?window=60&scale=fixed&min=-50&max=50&hide=yaw", samples=20)
    settings = browser.js("window.sensorbridge.settings")
    assert settings["window"] == 60 and settings["scale"] == "fixed" and settings["min"] == -50
    assert browser.js("window.sensorbridge.visibleSeries") == ["pitch", "roll"]
    browser.click_css("#legend button[data-series='roll']")
    assert browser.js("window.sensorbridge.visibleSeries") == ["pitch"]
    assert "hide=yaw%2Croll" in browser.js("location.search") or "hide=yaw,roll" in browser.js("location.search")
    browser.click_css("#legend button[data-series='yaw']")
    assert browser.js("window.sensorbridge.visibleSeries") == ["pitch", "yaw"]
    # XY of two channels.
    browser.js("(function(){const m=document.getElementById('mode'); m.value='xy'; m.dispatchEvent(new Event('change'));})()")
    assert "mode=xy" in browser.js("location.search")
    browser.js("window.sensorbridge.draw()")
    assert browser.js("window.sensorbridge.lastLayout.kind") == "xy"
    assert browser.js("window.sensorbridge.lastLayout.points") > 10
    save_screenshot(browser, "xy")


def test_an_accelerometer_gets_the_tilt_readout(browser, feeder, bridges):
    open_page(browser, feeder, bridges, lambda n: "%d,%d,%d" % (338 + n % 50, 338, 400), samples=20)
    assert browser.js("window.sensorbridge.series") == ["x", "y", "z"]
    assert browser.js("document.getElementById('tilt').hidden") is False
    assert browser.js("document.getElementById('pitch').textContent") != "–"
    save_screenshot(browser, "accelerometer")
