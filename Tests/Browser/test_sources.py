"""A bridge of several sources: the page's Source select, in Chromium and Firefox, against the
real binary reading two pseudo-terminals (see conftest.py). A bridge of one has no select."""
import contextlib
import json
import time
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


@contextlib.contextmanager
def two_boards(feeder, bridges):
    """The first board on `feeder`, a second on a pseudo-terminal of its own, one bridge of both:
    (the second feeder, the bridge)."""
    second = Feeder()
    try:
        feeder.start(first_board)
        second.start(second_board)
        yield second, bridges([feeder.path, second.path])
    finally:
        second.close()


def test_the_select_chooses_the_source_shown_and_the_address_keeps_it(browser, feeder, bridges):
    with two_boards(feeder, bridges) as (second, bridge):
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


def panels(browser):
    return browser.js("window.sensorbridge.panels")


def main_layout(browser):
    return browser.js("(function () { const l = window.sensorbridge.lastLayout; return {left: l.left, right: l.right, t0: l.t0, t1: l.t1}; })()")


def pointer(browser, canvas_css, kind, x_fraction, extra=""):
    """A mouse event at x_fraction of the canvas' width, half way down (as a person's mouse)."""
    return browser.js(
        "(function () { const c = document.querySelector(%s), r = c.getBoundingClientRect();"
        " const e = new %s(%s, {bubbles: true, cancelable: true, clientX: r.left + r.width * %r, clientY: r.top + r.height / 2,"
        " pointerId: 7, pointerType: 'mouse', button: 0, buttons: 1 %s}); c.dispatchEvent(e); return true; })()"
        % (json.dumps(canvas_css), "WheelEvent" if kind == "wheel" else "PointerEvent", json.dumps(kind), x_fraction, extra))


def test_the_other_sources_stack_under_the_plot_on_its_time_axis(browser, feeder, bridges):
    second, third = Feeder(), Feeder()
    try:
        feeder.start(first_board)
        second.start(second_board)
        third.start(lambda n: "big:%d" % (2000000 + 1000 * (n % 9)))
        bridge = bridges([feeder.path, "esp=" + second.path, third.path])
        one, two, three = [s["name"] for s in listed(bridge)]
        assert two == "esp"

        browser.open(bridge.url)
        wait_for(lambda: browser.js("window.sensorbridge.samples") > 20, message="samples of the first source")
        wait_for(lambda: browser.js("document.getElementById('source-box').hidden") is False, message="the Source select")
        assert panels(browser) == [], "no panels until asked for"
        assert browser.js("document.getElementById('source-panels').hidden") is True

        # The box, as a person ticks it: a panel for each other source, in the bridge's order.
        browser.js("(function () { const b = document.getElementById('stack'); b.checked = true;"
                   " b.dispatchEvent(new Event('change', {bubbles: true})); })()")
        assert "stack=1" in browser.js("location.search")
        wait_for(lambda: [p["name"] for p in panels(browser)] == [two, three], message="two panels")
        assert browser.js("document.getElementById('main-head').hidden") is False
        assert browser.js("document.getElementById('main-name').textContent") == one, "the main plot's source is named among the panels"
        wait_for(lambda: all(p["samples"] > 20 and p["state"] == "live" for p in panels(browser)), message="both panels live")
        esp, big = panels(browser)
        assert esp["series"] == ["c", "d"] and big["series"] == ["big"], "each panel its own source's series"
        assert 0 <= esp["latest"]["c"] < 30 and 500 <= esp["latest"]["d"] < 505
        assert 2000000 <= big["latest"]["big"] <= 2008000
        assert browser.js("window.sensorbridge.series") == ["a", "b"], "the main plot still shows the first source"
        assert esp["duplicates"] == 0 and big["duplicates"] == 0
        heads = browser.js("Array.from(document.querySelectorAll('.source-panel .panel-head')).map(h => h.textContent)")
        assert heads[0].startswith(two) and "live" in heads[0] and "● c" in heads[0] and "Hz" in heads[0], heads

        # One time axis: the same window and the same margins in every plot, though the third
        # board's values (two million) need far wider labels than the first's.
        def aligned():
            browser.js("window.sensorbridge.draw()")
            main = main_layout(browser)
            return all(p["layout"] and [p["layout"][k] for k in ("left", "right", "t0", "t1")] == [main[k] for k in ("left", "right", "t0", "t1")]
                       for p in panels(browser))
        wait_for(aligned, message="the panels on the main plot's axis")
        assert main_layout(browser)["left"] > 58, "the main plot took the widest labels' margin"

        # The panels act on that one window: a wheel over a panel zooms it, a drag pans it.
        before = main_layout(browser)
        pointer(browser, ".source-panel canvas", "wheel", 0.5, ", deltaY: -100")
        wait_for(lambda: abs((main_layout(browser)["t1"] - main_layout(browser)["t0"]) - 0.8 * (before["t1"] - before["t0"])) < 50,
                 message="the window zoomed in from a panel")
        # The drag's first move pauses the window (and pans it a tenth); from there on it moves
        # only with the pointer, so the rest of the pan is measured against the window after
        # that move (not against a clock that ran on meanwhile), and in the page's view (the
        # plot draws it on the next frame).
        pointer(browser, ".source-panel canvas", "pointerdown", 0.5)
        pointer(browser, ".source-panel canvas", "pointermove", 0.6)
        assert browser.js("window.sensorbridge.paused") is True, "a drag pauses, as on the main plot"
        started = browser.js("window.sensorbridge.view")
        pointer(browser, ".source-panel canvas", "pointermove", 0.8)
        pointer(browser, ".source-panel canvas", "pointerup", 0.8)
        dragged = browser.js("window.sensorbridge.view")
        span = started["t1"] - started["t0"]
        # A fifth of the canvas' width is at least a fifth of the plot's: that much of the span back.
        assert dragged["t1"] < started["t1"] - 0.19 * span, ("dragged right: back in time", started, dragged)
        assert abs((dragged["t1"] - dragged["t0"]) - span) < 1, "a pan keeps the span"
        assert browser.js("window.sensorbridge.paused") is True, "still paused after the drag, back in time"
        wait_for(lambda: abs(main_layout(browser)["t1"] - dragged["t1"]) < 1, message="the dragged window drawn")
        wait_for(aligned, message="the panels moved with the main plot")
        held = {p["name"]: p["lastTime"] for p in panels(browser)}
        browser.js("window.sensorbridge.resume()")
        wait_for(lambda: all(p["lastTime"] > held[p["name"]] for p in panels(browser)), message="the panels went on meanwhile")
        # What a person sees: a few seconds of each board, live.
        wait_for(lambda: browser.js("window.sensorbridge.samples") > 250, message="five seconds of samples")
        save_screenshot(browser, "sources-stacked")
        browser.resize(390, 844)
        browser.js("window.sensorbridge.draw()")
        wait_for(aligned, message="aligned at a phone's width")
        assert browser.js("document.documentElement.scrollWidth <= window.innerWidth"), "nothing wider than a phone"
        browser.js("document.querySelector('.source-panel').scrollIntoView()")
        save_screenshot(browser, "sources-stacked-phone")
        browser.resize(1280, 900)

        # Another source in the main plot: the first takes its place among the panels.
        choose(browser, two)
        wait_for(lambda: [p["name"] for p in panels(browser)] == [one, three], message="the first source in a panel")
        wait_for(lambda: browser.js("window.sensorbridge.series") == ["c", "d"], message="the main plot on the second source")
        assert browser.js("document.getElementById('main-name').textContent") == two
        wait_for(lambda: panels(browser)[0]["series"] == ["a", "b"] and panels(browser)[0]["samples"] > 20, message="the first source's panel")

        # A board unplugged: its panel says so, the others and the main plot go on.
        third.close()
        wait_for(lambda: panels(browser)[1]["state"] == "disconnected", message="the third panel's state")
        assert browser.js("window.sensorbridge.state") == "live"
        assert panels(browser)[0]["state"] == "live"
        # The head is redrawn with the panel, on the page's next frame.
        wait_for(lambda: "board disconnected" in browser.js("document.querySelectorAll('.source-panel')[1].textContent"),
                 message="the head saying so")
        browser.js("document.querySelectorAll('.source-panel')[1].scrollIntoView()")
        save_screenshot(browser, "sources-stacked-unplugged")

        # The main plot's board unplugged, then a pause: each panel shows what it held at the
        # pause (its own newest sample), not only what came before the main board went.
        second.close()
        wait_for(lambda: browser.js("window.sensorbridge.state") == "disconnected", message="the main plot's board gone")
        time.sleep(1)
        browser.js("window.sensorbridge.pause()")
        browser.js("window.sensorbridge.draw()")
        main_last, live_panel = browser.js("window.sensorbridge.lastTime"), panels(browser)[0]
        assert live_panel["name"] == one and live_panel["state"] == "live"
        # Taken at the first frame after the pause: within a moment of its newest sample now.
        assert live_panel["lastTime"] - 1000 < live_panel["shownUpTo"] <= live_panel["lastTime"], live_panel
        assert live_panel["shownUpTo"] > main_last + 500, (live_panel["shownUpTo"], main_last)
        browser.js("window.sensorbridge.resume()")
        browser.js("window.sensorbridge.draw()")
        assert panels(browser)[0]["shownUpTo"] is None

        # A reload keeps the panels; unticked, they go and the address forgets them.
        browser.js("window.beforeReload = true")
        browser.open(browser.js("location.href"))
        wait_for(lambda: browser.js("window.beforeReload === undefined && !!window.sensorbridge"), message="the reloaded page")
        wait_for(lambda: [p["name"] for p in panels(browser)] == [one, three], message="the panels after the reload")
        assert browser.js("document.getElementById('stack').checked") is True
        browser.js("window.sensorbridge.setStacked(false)")
        assert panels(browser) == []
        assert browser.js("document.querySelectorAll('.source-panel').length") == 0
        assert browser.js("document.getElementById('main-head').hidden") is True
        assert "stack=" not in browser.js("location.search")
    finally:
        second.close()
        third.close()


def test_a_panel_reads_its_own_source_history_past_what_it_holds(browser, feeder, bridges):
    with two_boards(feeder, bridges) as (_, bridge):
        two = listed(bridge)[1]["name"]
        time.sleep(4)
        # The page keeps 2 s: the panel's first 4 s come from the second source's store.
        browser.open(bridge.url + "?stack=1&history=2&window=30")
        wait_for(lambda: len(panels(browser)) == 1 and panels(browser)[0]["samples"] > 20, message="the panel")
        wait_for(lambda: panels(browser)[0]["history"]["layers"] > 0, timeout=15, message="the panel's history drawn")
        panel = panels(browser)[0]
        assert "source=" + two in panel["history"]["url"], panel["history"]
        assert panel["history"]["error"] is None
        assert panel["series"] == ["c", "d"]
        assert panel["firstTime"] > browser.js("Date.now()") - 4000, "the panel holds about 2 s itself"
