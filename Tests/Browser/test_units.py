"""Units, calibration and derived series (issue 21, items 1 and 2), in Chromium and Firefox:
the page keeps calibrated values, so the plot, the measurements, the tilt, CSV and the views
all read in units; a derived series is computed from them, kept like any series, and both
live in the address. Bad input says where and why and changes nothing."""
import math
import urllib.parse

from conftest import save_screenshot, wait_for

COUNTS_PER_G, ZERO = 67.6, 338


def flat_board(n):
    """The shipped sketch's ADXL335 lying flat and a little tilted about y: x ≈ 0.1 g, z ≈ 1 g."""
    x = ZERO + 0.1 * COUNTS_PER_G + (n % 3 - 1) * 0.5
    return "x:%.2f,y:%.2f,z:%.2f" % (x, ZERO + (n % 5 - 2) * 0.4, ZERO + math.sqrt(1 - 0.01) * COUNTS_PER_G)


def set_field(browser, series, field, value):
    browser.js("(function(){var i=document.querySelector('#cal-body tr[data-series=%s] input[name=%s]');"
               "i.value=%s;i.dispatchEvent(new Event('change'));})()" % (series, field, '"%s"' % value))


def rows_by_name(browser):
    names = browser.js("window.sensorbridge.series")
    return names, browser.js("window.sensorbridge.rows()")


def test_the_adxl335_preset_reads_g_everywhere_and_survives_a_reload(browser, feeder, bridges):
    feeder.start(flat_board, rate=100)
    bridge = bridges([feeder.path])
    browser.open(bridge.url + "?window=5")
    wait_for(lambda: browser.js("window.sensorbridge.samples") > 100, message="samples")
    raw = browser.js("window.sensorbridge.rows()")
    assert 300 < raw[-1][3] < 420, "raw counts before any calibration"
    browser.click("series-toggle")
    wait_for(lambda: browser.js("document.querySelectorAll('#cal-body tr').length") == 3, message="a row a series")
    browser.click("preset-adxl335")
    # Every held value is now in g: the old ones rescaled, the new ones calibrated as they come.
    rows = wait_for(lambda: (lambda r: r if r and abs(r[0][3] - 0.995) < 0.01 else None)(browser.js("window.sensorbridge.rows()")),
                    message="held values in g")
    for row in rows:
        assert abs(row[1] - 0.1) < 0.02 and abs(row[2]) < 0.03 and abs(row[3] - math.sqrt(0.99)) < 0.001, row
    query = urllib.parse.parse_qs(urllib.parse.urlparse(browser.js("location.href")).query)
    assert "cal" in query and all(name in query["cal"][0] for name in ("x:", "y:", "z:")), query
    legend = browser.js("Array.from(document.querySelectorAll('#legend button')).map(b => b.textContent)")
    assert legend == ["x (g)", "y (g)", "z (g)"]
    measured = wait_for(lambda: (lambda m: m if m.get("z") and abs(m["z"]["mean"] - math.sqrt(0.99)) < 0.001 else None)(
        browser.js("window.sensorbridge.measurements")), message="measurements in g")
    assert abs(measured["x"]["mean"] - 0.1) < 0.01
    # Tilt reads the calibrated g: atan2(0.1, 0.995) ≈ 5.7°.
    tilt = wait_for(lambda: browser.js("window.sensorbridge.tilt"), message="tilt")
    assert tilt["unit"] == "g" and abs(tilt["pitch"] - math.degrees(math.atan2(0.1, math.sqrt(0.99)))) < 1.0, tilt
    readout = browser.js("document.querySelector('#cursor-readout [data-series=z]').textContent")
    assert readout.strip().endswith(" g"), readout
    save_screenshot(browser, "units-preset")
    # CSV of the page is in g too.
    export = browser.js("window.sensorbridge.exportCSV()")   # a promise: WebDriver waits for it
    lines = export["text"].strip().split("\n")
    assert lines[0].split(",")[2:] == ["x", "y", "z"], lines[0]
    assert all(abs(float(line.split(",")[4]) - math.sqrt(0.99)) < 0.001 for line in lines[1:]), lines[1:3]
    # A reload with the address: the history the bridge sends again is calibrated on arrival.
    browser.open(browser.js("location.href"))
    wait_for(lambda: browser.js("window.sensorbridge.samples") > 100, message="samples after reload")
    rows = browser.js("window.sensorbridge.rows()")
    assert all(abs(r[3] - math.sqrt(0.99)) < 0.001 for r in rows), rows[:3]


def test_a_derived_series_is_computed_measured_and_kept_and_bad_ones_change_nothing(browser, feeder, bridges):
    feeder.start(lambda n: "x:%d,y:%d,z:%d" % (3 + n % 2, 4, 12), rate=100)
    bridge = bridges([feeder.path])
    browser.open(bridge.url + "?window=5")
    wait_for(lambda: browser.js("window.sensorbridge.samples") > 50, message="samples")
    browser.click("series-toggle")
    href = browser.js("location.href")
    # Bad: where and why, and nothing changes.
    for text, why in (("mag = sqrt(x*", "at 14: the expression ends too soon"), ("x = y * 2", "already a series"), ("mag = w + 1", "no series named 'w'"),
                      ("mag = foo(x)", "not a function")):
        browser.js("document.getElementById('derive-text').value = %r" % text)
        browser.click("derive-add")
        error = wait_for(lambda: browser.js("document.getElementById('derive-error').textContent"), message="an error")
        assert why in error, (text, error)
        assert browser.js("window.sensorbridge.series") == ["x", "y", "z"]
        assert browser.js("location.href") == href
    browser.js("document.getElementById('derive-text').value = 'mag = sqrt(x*x + y*y + z*z)'")
    browser.click("derive-add")
    wait_for(lambda: browser.js("window.sensorbridge.series") == ["x", "y", "z", "mag"], message="the derived series")
    assert browser.js("document.getElementById('derive-error').textContent") == ""
    # Every held row has it, the old ones computed at once, the new ones as they arrive.
    wait_for(lambda: browser.js("window.sensorbridge.samples") > 150, message="more samples")
    for row in browser.js("window.sensorbridge.rows()"):
        assert row[4] is not None and abs(row[4] - math.sqrt(row[1] ** 2 + row[2] ** 2 + row[3] ** 2)) < 1e-9, row
    measured = wait_for(lambda: (lambda m: m if "mag" in m else None)(browser.js("window.sensorbridge.measurements")),
                        message="mag measured")
    assert 13 <= measured["mag"]["min"] <= measured["mag"]["max"] <= math.sqrt(16 + 16 + 144) + 1e-9
    query = urllib.parse.parse_qs(urllib.parse.urlparse(browser.js("location.href")).query)
    assert query["expr"] == ["mag = sqrt(x*x + y*y + z*z)"], query
    # Calibrating x recomputes mag from the calibrated x.
    set_field(browser, "x", "scale", "10")
    wait_for(lambda: all(abs(r[4] - math.sqrt(r[1] ** 2 + r[2] ** 2 + r[3] ** 2)) < 1e-9 and r[1] >= 30
                         for r in browser.js("window.sensorbridge.rows()")), message="mag of the calibrated x")
    # A scale of 0 is refused, with why, and changes nothing.
    before = browser.js("window.sensorbridge.rows()")[:5]
    set_field(browser, "y", "scale", "0")
    assert "other than 0" in browser.js("document.getElementById('cal-answer').textContent")
    assert browser.js("document.querySelector('#cal-body tr[data-series=y] input[name=scale]').getAttribute('aria-invalid')") == "true"
    assert browser.js("window.sensorbridge.rows()")[:5] == before
    save_screenshot(browser, "units-derived")
    browser.resize(390, 844)
    browser.js("document.getElementById('series-panel').scrollIntoView()")
    save_screenshot(browser, "units-derived-phone")
    browser.resize(1280, 900)
    # Kept in the address: a new page has the derived series from its first samples.
    browser.open(browser.js("location.href"))
    wait_for(lambda: browser.js("window.sensorbridge.series") == ["x", "y", "z", "mag"] and browser.js("window.sensorbridge.samples") > 20,
             message="the derived series after a reload")
    # Removed, it goes.
    browser.click("series-toggle")
    browser.click_css("#derived-list li[data-series=mag] button")
    wait_for(lambda: browser.js("window.sensorbridge.series") == ["x", "y", "z"], message="mag removed")
    assert "expr" not in browser.js("location.search")
