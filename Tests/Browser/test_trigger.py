"""The trigger view (issue 21, item 5): an oscilloscope on the live stream, in Chromium and
Firefox. A known periodic signal goes through the pty (200 lines/s, a 2 Hz sine and a square
beside it); the page, opened with ?view=trigger, captures sweeps aligned on the crossing."""
import csv
import io
import math
import time

from conftest import save_screenshot, wait_for

RATE = 200           # lines a second, 5 ms apart
HZ = 2               # the sine's frequency: a period of 100 lines, 500 ms


def sine_line(n):
    phase = 2 * math.pi * HZ * n / RATE
    # The board's clock (ms) times the samples: the page sees the lines' own spacing however the
    # pty and a busy machine bunch them.
    return "ms:%d,v:%.2f,sq:%d" % (n * 1000 // RATE, 512 + 400 * math.sin(phase), 700 if math.sin(phase + 0.5) >= 0 else 300)


def trigger(browser):
    return browser.js("window.sensorbridge.trigger")


def select(browser, element_id, value):
    """Chooses an option as a user would: the select's value, then its change event."""
    browser.js("(function (s) { s.value = %r; s.dispatchEvent(new Event('change', {bubbles: true})); })(document.getElementById(%r))" % (value, element_id))


def type_into(browser, element_id, text):
    browser.js("(function (s) { s.value = %r; s.dispatchEvent(new Event('change', {bubbles: true})); })(document.getElementById(%r))" % (text, element_id))


def dark(browser, on):
    """The page in the dark (or back to the light) colour scheme."""
    if browser.name == "chromium":
        browser.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark" if on else "light"}]})
    elif on:
        browser.client.set_pref("layout.css.prefers-color-scheme.content-override", 0)
    else:
        browser.client.clear_pref("layout.css.prefers-color-scheme.content-override")


def assert_crossing(times, values, level, edge):
    """The sample just before t = 0 is on one side of the level, the one just after on the
    other. (Lines the bridge read at once can share a time stamp: when the crossing's two
    samples do, both are at t = 0 exactly, so the samples either side of 0 are compared.)"""
    before = max(k for k, t in enumerate(times) if t < 0)
    after = min(k for k, t in enumerate(times) if t > 0)
    assert after - before <= 2 and times[after] - times[before] <= 5.01, (times[before:after + 1])
    a, b = values[before], values[after]
    assert (a < level <= b) if edge == "rising" else (a > level >= b), (times[before:after + 1], values[before:after + 1])


def test_sweeps_are_aligned_on_the_trigger_every_period(browser, feeder, bridges):
    feeder.start(sine_line, rate=RATE)
    bridge = bridges([feeder.path, "--time-column", "ms"])
    browser.open(bridge.url + "?window=5&view=trigger&trig=v&tlevel=530&tedge=rising&tmode=normal&tspan=400&tpre=25%25")
    state = wait_for(lambda: (lambda s: s if s and s["triggers"] >= 6 else None)(trigger(browser)), timeout=20, message="triggers")
    assert (state["source"], state["level"], state["edge"], state["mode"], state["state"]) == ("v", 530, "rising", "normal", "triggered")
    sweep = state["sweep"]
    assert sweep["t0"] == state["lastTriggerTime"]
    times, v = sweep["times"], sweep["values"]["v"]
    assert set(sweep["values"]) == {"v", "sq"}, "every shown series in the sweep"
    assert -100 <= times[0] < -94 and 294 < times[-1] <= 300 and len(times) == 80, "25 % of 400 ms before the trigger, the rest after"
    assert_crossing(times, v, 530, "rising")
    assert -5 < times[max(k for k, t in enumerate(times) if t < 0)] < 0, "interpolated between two samples"
    # The signal rises through 530 once a period: every 500 ms (the page's times are the
    # board's clock mapped onto the bridge's, which may step by a little while it settles).
    gaps = [b - a for a, b in zip(state["triggerTimes"], state["triggerTimes"][1:])][2:]
    assert len(gaps) >= 3 and all(abs(g - 500) < 10 for g in gaps), gaps
    assert sorted(abs(g - 500) for g in gaps)[len(gaps) // 2] < 0.5, gaps
    assert abs(state["interval"] - gaps[-1]) < 1e-6
    assert "triggered at " in browser.js("document.getElementById('trigger-state').textContent")
    # Falling: the value just before t = 0 is above the level, just after below.
    select(browser, "trigger-edge", "falling")
    state = wait_for(lambda: (lambda s: s if s["edge"] == "falling" and s["triggers"] >= 1 else None)(trigger(browser)), timeout=10, message="a falling trigger")
    assert_crossing(state["sweep"]["times"], state["sweep"]["values"]["v"], 530, "falling")
    assert "tedge=falling" in browser.js("location.search")
    # Paused, the page holds what had arrived: no new sweeps; resumed, they go on. The first
    # update after the pause may still feed what had arrived since the one before (a sweep
    # more at most): counted once it has run, then nothing for 1.2 s (two periods).
    browser.js("window.sensorbridge.pause()")
    time.sleep(0.3)
    paused = trigger(browser)["triggers"]
    time.sleep(1.2)
    assert trigger(browser)["triggers"] == paused
    browser.js("window.sensorbridge.resume()")
    wait_for(lambda: trigger(browser)["triggers"] >= paused + 2, timeout=10, message="triggers after the pause")
    assert browser.js("window.sensorbridge.counters.policyViolations") == 0
    browser.js("document.getElementById('view-trigger').scrollIntoView()")
    time.sleep(0.3)
    save_screenshot(browser, "trigger")
    browser.resize(390, 844)
    browser.js("window.sensorbridge.draw()")
    browser.js("document.getElementById('view-trigger').scrollIntoView()")
    time.sleep(0.3)
    save_screenshot(browser, "trigger-phone")
    dark(browser, True)
    try:
        wait_for(lambda: browser.js("matchMedia('(prefers-color-scheme: dark)').matches"), message="dark")
        time.sleep(0.5)
        save_screenshot(browser, "trigger-phone-dark")
        browser.resize(1280, 900)
        browser.js("document.getElementById('view-trigger').scrollIntoView()")
        time.sleep(0.5)
        save_screenshot(browser, "trigger-dark")
    finally:
        dark(browser, False)
        browser.resize(1280, 900)


def test_single_stops_after_one_capture_and_exports_it(browser, feeder, bridges):
    feeder.start(sine_line, rate=RATE)
    bridge = bridges([feeder.path, "--time-column", "ms"])
    browser.open(bridge.url + "?view=trigger&trig=v&tlevel=600&tmode=single&tspan=300&tpre=100&thold=50")
    state = wait_for(lambda: (lambda s: s if s and s["state"] == "stopped" else None)(trigger(browser)), timeout=20, message="single capture")
    assert state["triggers"] == 1 and state["mode"] == "single"
    first = state["lastTriggerTime"]
    # Two seconds on (four periods; the stream steady, past the pty's first burst): still the one.
    wait_for(lambda: browser.js("window.sensorbridge.samples") > 600, timeout=20, message="samples")
    state = trigger(browser)
    assert (state["state"], state["triggers"], state["lastTriggerTime"]) == ("stopped", 1, first)
    assert "stopped (single)" in browser.js("document.getElementById('trigger-state').textContent")
    # Re-armed: one more capture, later, then stopped again.
    browser.click("trigger-rearm")
    state = wait_for(lambda: (lambda s: s if s["triggers"] == 2 and s["state"] == "stopped" else None)(trigger(browser)), timeout=10, message="the re-armed capture")
    assert state["lastTriggerTime"] > first + 1400
    time.sleep(1.2)
    assert trigger(browser)["triggers"] == 2
    # The capture as CSV: ms from the trigger, a column a series, the sweep's rows.
    browser.click("trigger-csv")
    exported = wait_for(lambda: trigger(browser)["lastExport"], message="the CSV")
    rows = list(csv.reader(io.StringIO(exported["text"])))
    assert rows[0] == ["t_ms", "v", "sq"]
    sweep = state["sweep"]
    assert len(rows) - 1 == len(sweep["times"]) == exported["rows"] > 40
    for row, t, v, sq in zip(rows[1:], sweep["times"], sweep["values"]["v"], sweep["values"]["sq"]):
        assert abs(float(row[0]) - t) < 1e-3 and float(row[1]) == v and float(row[2]) == sq
    assert -100 <= float(rows[1][0]) < -94 and 194 < float(rows[-1][0]) <= 200
    assert_crossing([float(r[0]) for r in rows[1:]], [float(r[1]) for r in rows[1:]], 600, "rising")
    browser.click("trigger-png")
    png = wait_for(lambda: (lambda e: e if e and e["kind"] == "png" else None)(trigger(browser)["lastExport"]), message="the PNG")
    assert png["bytes"] > 1000
    # The settings are in the address, and read back from it.
    search = browser.js("location.search")
    for key in ("view=trigger", "trig=v", "tlevel=600", "tmode=single", "tspan=300", "tpre=100", "thold=50"):
        assert key in search, (key, search)
    browser.open(bridge.url + search)
    wait_for(lambda: trigger(browser), message="the view again")
    controls = browser.js("['source', 'level', 'edge', 'mode', 'pre', 'span', 'holdoff'].map(k => document.getElementById('trigger-' + k).value)")
    assert controls == ["v", "600", "rising", "single", "100", "300", "50"], controls


def test_a_level_nothing_crosses_free_runs_in_auto_and_waits_in_normal(browser, feeder, bridges):
    feeder.start(sine_line, rate=RATE)
    bridge = bridges([feeder.path, "--time-column", "ms"])
    browser.open(bridge.url + "?view=trigger&trig=v&tlevel=5000&tspan=500")
    state = wait_for(lambda: (lambda s: s if s and s["state"] == "auto" else None)(trigger(browser)), timeout=20, message="auto")
    assert state["triggers"] == 0 and state["sweep"] is not None and state["sweep"]["free"]
    assert "auto (no trigger)" in browser.js("document.getElementById('trigger-state').textContent")
    browser.js("document.getElementById('view-trigger').scrollIntoView()")
    time.sleep(0.3)
    save_screenshot(browser, "trigger-auto")
    select(browser, "trigger-mode", "normal")
    time.sleep(1)
    state = trigger(browser)
    assert (state["state"], state["triggers"], state["sweep"]) == ("armed", 0, None)
    # With no level set, the default is the middle of the source's visible range (112 .. 912).
    type_into(browser, "trigger-level", "")
    state = wait_for(lambda: (lambda s: s if s["triggers"] >= 1 else None)(trigger(browser)), timeout=10, message="a trigger at the mid-range")
    assert abs(state["level"] - 512) < 15, state["level"]
    assert "tlevel" not in browser.js("location.search")
