"""The measurements panel (issue 21, item 3): for each shown series over the visible range,
min, max, mean, RMS, std, peak-to-peak, count and rate, exact from the samples, in Chromium
and Firefox; the maths come from ES modules (web/maths) loaded under the page's strict policy."""
import math

from conftest import save_screenshot, wait_for


def test_the_panel_measures_the_visible_samples_exactly(browser, feeder, bridges):
    feeder.start(lambda n: "a:%d,b:%.3f" % (500 + (n * 37) % 200, 3 + 2 * math.sin(n / 5)), rate=100)
    bridge = bridges([feeder.path])
    browser.open(bridge.url + "?window=5")
    wait_for(lambda: browser.js("window.sensorbridge.samples") > 300, message="samples")
    wait_for(lambda: "a" in browser.js("window.sensorbridge.measurements"), message="measurements")
    browser.js("window.sensorbridge.pause()")
    rows = browser.js("window.sensorbridge.rows()")
    # A range inside what the page holds: the second to the 250th sample.
    t0, t1 = rows[1][0], rows[250][0]
    browser.js("window.sensorbridge.showRange(%r, %r)" % (t0, t1))
    browser.js("window.sensorbridge.draw()")
    # On a loaded machine lines that arrive together share a time stamp, so a range's ends
    # may take in one more sample than the 249 between them.
    shown = [r for r in rows if t0 <= r[0] <= t1]
    assert 250 <= len(shown) <= 252
    measured = wait_for(lambda: (lambda m: m if m.get("a", {}).get("count") == len(shown) else None)(browser.js("window.sensorbridge.measurements")),
                        message="the range measured")
    for k, name in ((1, "a"), (2, "b")):
        values = [r[k] for r in shown]
        mean = sum(values) / len(values)
        expected = {
            "min": min(values), "max": max(values), "mean": mean,
            "rms": math.sqrt(sum(v * v for v in values) / len(values)),
            "std": math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)),
            "pp": max(values) - min(values), "count": len(values),
            "rate": (len(values) - 1) * 1000 / (shown[-1][0] - shown[0][0]),
        }
        for field, value in expected.items():
            assert math.isclose(measured[name][field], value, rel_tol=1e-9, abs_tol=1e-9), (name, field, measured[name][field], value)
    # The table shows the same figures, one row a series.
    cells = browser.js("Array.from(document.querySelectorAll('#measurements-body tr')).map(r => Array.from(r.children).map(c => c.textContent))")
    assert [c[0] for c in cells] == ["a", "b"]
    rate = measured["a"]["rate"]
    assert cells[0][8] == ("%.0f Hz" if rate >= 100 else "%.1f Hz") % rate and cells[0][7] == str(len(shown)), cells[0]
    assert browser.js("window.sensorbridge.counters.policyViolations") == 0, "the modules load under the page's policy"
    save_screenshot(browser, "measurements")
    browser.resize(390, 844)
    browser.js("window.sensorbridge.draw()")
    browser.js("document.getElementById('measurements').scrollIntoView()")
    save_screenshot(browser, "measurements-phone")
