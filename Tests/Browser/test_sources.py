"""A bridge of several sources: the page's Source select, in Chromium and Firefox, against the
real binary reading two pseudo-terminals (see conftest.py). A bridge of one has no select."""
import json
import urllib.request

from conftest import Feeder, save_screenshot, wait_for


def first_board(n):
    return "a:%d,b:%d" % (n % 50, 100 + n % 7)


def second_board(n):
    return "c:%d,d:%d" % (n % 30, 500 + n % 5)


def listed(bridge):
    with urllib.request.urlopen(bridge.url + "api/sources") as answer:
        return json.load(answer)["sources"]


def choose(browser, name):
    """As a person choosing from the select: its value, then the change event. Returns what
    the page holds right after (in the same task, before the new stream can answer)."""
    return browser.js("(function () { const s = document.getElementById('source-choice'); s.value = %s;"
                      " s.dispatchEvent(new Event('change', {bubbles: true}));"
                      " return [window.sensorbridge.samples, window.sensorbridge.series]; })()" % json.dumps(name))


def page_sources(browser):
    return browser.js("Array.from(document.getElementById('source-choice').options).map(o => [o.value, o.textContent])")


def test_the_select_chooses_the_source_shown_and_the_address_keeps_it(browser, feeder, bridges):
    second = Feeder()
    try:
        feeder.start(first_board)
        second.start(second_board)
        bridge = bridges([feeder.path, second.path])
        sources = listed(bridge)
        assert [s["location"] for s in sources] == [feeder.path, second.path]
        one, two = sources[0]["name"], sources[1]["name"]

        browser.open(bridge.url)
        wait_for(lambda: browser.js("window.sensorbridge.samples") > 20, message="samples of the first source")
        wait_for(lambda: browser.js("document.getElementById('source-box').hidden") is False, message="the Source select")
        assert browser.js("window.sensorbridge.series") == ["a", "b"], "the first source is the default"
        assert page_sources(browser) == [[one, one], [two, two]], "both listed, connected: the name alone"
        assert browser.js("document.getElementById('source-choice').value") == one
        assert browser.js("window.sensorbridge.chosenSource") == one
        assert feeder.path in browser.js("document.getElementById('source').textContent")
        assert browser.js("document.getElementById('source-box').textContent").strip().startswith("Source")

        # At once: nothing of the first source stays.
        assert choose(browser, two) == [0, []]
        assert "source=" + two in browser.js("location.search")
        wait_for(lambda: browser.js("window.sensorbridge.samples") > 20, message="samples of the second source")
        assert browser.js("window.sensorbridge.series") == ["c", "d"]
        assert browser.js("Array.from(document.querySelectorAll('#legend button')).map(b => b.textContent)") == ["c", "d"]
        rows = browser.js("window.sensorbridge.rows()")
        assert all(len(row) == 3 and 0 <= row[1] < 30 and 500 <= row[2] < 505 for row in rows), "the second board's values only"
        assert browser.js("window.sensorbridge.state") == "live"
        assert second.path in browser.js("document.getElementById('source').textContent"), "the header names the source shown"
        assert browser.js("window.sensorbridge.counters.duplicates") == 0
        # Its sessions, its history, its raw lines.
        wait_for(lambda: browser.js("window.sensorbridge.sessions"), message="the second source's sessions")
        assert {s["source"] for s in browser.js("window.sensorbridge.sessions")} == {second.path}
        browser.js("window.sensorbridge.setWindow('3600')")
        wait_for(lambda: (browser.js("window.sensorbridge.history.url") or "").find("source=" + two) >= 0,
                 message="a history request naming the source")
        browser.js("window.sensorbridge.serial.setOpen(true)")
        wait_for(lambda: len(browser.js("window.sensorbridge.serial.lines")) > 5, message="the monitor's lines")
        assert all(l["text"].startswith("c:") for l in browser.js("window.sensorbridge.serial.lines"))
        browser.js("window.sensorbridge.serial.setOpen(false)")
        browser.js("window.sensorbridge.setWindow('10')")
        save_screenshot(browser, "sources")
        browser.resize(390, 844)
        browser.js("window.sensorbridge.draw()")
        right = browser.js("document.getElementById('source-choice').getBoundingClientRect().right")
        assert right <= browser.js("document.documentElement.clientWidth"), "the select fits a phone's width"
        assert browser.js("document.documentElement.scrollWidth <= window.innerWidth"), "the toolbar wraps"
        save_screenshot(browser, "sources-phone")
        browser.resize(1280, 900)

        # A reload keeps the choice: the stream opens on it, the first source never shows.
        browser.js("window.beforeReload = true")
        browser.open(browser.js("location.href"))
        # The old page may still answer for a moment after the navigation began.
        wait_for(lambda: browser.js("window.beforeReload === undefined && !!window.sensorbridge"), message="the reloaded page")
        seen = set()

        def second_source_shown():
            series = browser.js("window.sensorbridge.series")
            seen.update(series)
            # The stored history may arrive before the stream names its series.
            return browser.js("window.sensorbridge.samples") > 20 and series
        wait_for(second_source_shown, message="samples after the reload")
        assert seen == {"c", "d"}, seen
        wait_for(lambda: browser.js("document.getElementById('source-choice').value") == two, message="the select after the reload")

        # A source that goes away says so in the select (the list is asked for every 10 s).
        feeder.close()
        wait_for(lambda: page_sources(browser)[0][1] == one + " — disconnected", timeout=25, message="the first source's state")
        assert browser.js("window.sensorbridge.state") == "live", "the source shown goes on"
    finally:
        second.close()


def test_a_bridge_of_one_source_has_no_select(browser, feeder, bridges):
    feeder.start(first_board)
    bridge = bridges([feeder.path])
    browser.open(bridge.url)
    wait_for(lambda: browser.js("window.sensorbridge.samples") > 20, message="samples")
    wait_for(lambda: len(browser.js("window.sensorbridge.sources")) == 1, message="the bridge's list")
    assert browser.js("document.getElementById('source-box').hidden") is True
    assert browser.js("window.sensorbridge.chosenSource") == ""
    assert browser.js("window.sensorbridge.chooseSource('nothing')") is False
    assert "source=" not in browser.js("location.search")
    assert browser.js("window.sensorbridge.series") == ["a", "b"]
    save_screenshot(browser, "sources-one")
