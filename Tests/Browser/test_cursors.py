"""A span selected with the mouse and two cursors (issue 21, item 3), in Chromium and Firefox:
shift+drag selects a span that the measurements then cover exactly; a click places cursor A,
shift+click cursor B, and the page gives Δt, 1/Δt and Δ per series; Esc clears them. The
pointer events are the ones a mouse makes, dispatched on the canvas."""
from conftest import save_screenshot, wait_for


def x_of(browser, t):
    """The canvas's client x of time t in the last drawn layout."""
    layout = browser.js("window.sensorbridge.lastLayout")
    left = browser.js("document.getElementById('graph').getBoundingClientRect().left")
    return left + layout["left"] + (t - layout["t0"]) / (layout["t1"] - layout["t0"]) * (layout["right"] - layout["left"])


def mouse(browser, kind, x, shift=False):
    browser.js("document.getElementById('graph').dispatchEvent(new PointerEvent(%r, {pointerId: 1, pointerType: 'mouse', "
               "isPrimary: true, clientX: %r, clientY: 200, button: %d, buttons: %d, shiftKey: %s, bubbles: true, "
               "cancelable: true}))" % (kind, x, -1 if kind == "pointermove" else 0, 0 if kind == "pointerup" else 1,
                                        "true" if shift else "false"))


def value_at(rows, k, t):
    """Series k's newest value at or before t, as the page's lookup gives it."""
    before = [r for r in rows if r[0] <= t and r[k] is not None]
    return before[-1][k]


def test_a_selected_span_is_measured_and_two_cursors_give_deltas(browser, feeder, bridges):
    feeder.start(lambda n: "a:%d,b:%d" % (n % 50 * 2, 5 + n % 7), rate=100)
    bridge = bridges([feeder.path])
    browser.open(bridge.url + "?window=5")
    wait_for(lambda: browser.js("window.sensorbridge.samples") > 300, message="samples")
    browser.js("window.sensorbridge.pause()")
    browser.js("window.sensorbridge.draw()")
    rows = browser.js("window.sensorbridge.rows()")
    ta, tb = rows[40][0] + 0.5, rows[240][0] + 0.5
    assert x_of(browser, tb) - x_of(browser, ta) > 100, "a span the mouse can drag over"

    # Shift+drag: the selection, and the measurements of it alone.
    mouse(browser, "pointerdown", x_of(browser, ta), shift=True)
    for k in range(1, 6):
        mouse(browser, "pointermove", x_of(browser, ta) + k * (x_of(browser, tb) - x_of(browser, ta)) / 5, shift=True)
    mouse(browser, "pointerup", x_of(browser, tb), shift=True)
    selection = wait_for(lambda: browser.js("window.sensorbridge.selection"), message="a selection")
    layout = browser.js("window.sensorbridge.lastLayout")
    pixel = (layout["t1"] - layout["t0"]) / (layout["right"] - layout["left"])
    assert abs(selection[0] - ta) <= pixel and abs(selection[1] - tb) <= pixel, (selection, ta, tb, pixel)
    inside = [r for r in rows if selection[0] <= r[0] <= selection[1]]
    measured = wait_for(lambda: (lambda m: m if m.get("a", {}).get("count") == len(inside) else None)(
        browser.js("window.sensorbridge.measurements")), message="the selection measured")
    values = [r[1] for r in inside]
    assert measured["a"]["min"] == min(values) and measured["a"]["max"] == max(values)
    assert abs(measured["a"]["mean"] - sum(values) / len(values)) < 1e-9
    assert browser.js("document.getElementById('measurements-caption').textContent").startswith("Measurements of the selection")

    # A click places A, shift+click B: Δt, 1/Δt and Δ per series from the values there.
    ca, cb = rows[100][0] + 2, rows[175][0] + 2
    mouse(browser, "pointerdown", x_of(browser, ca))
    mouse(browser, "pointerup", x_of(browser, ca))
    mouse(browser, "pointerdown", x_of(browser, cb), shift=True)
    mouse(browser, "pointerup", x_of(browser, cb), shift=True)
    cursors = wait_for(lambda: browser.js("window.sensorbridge.cursors"), message="both cursors")
    assert abs(cursors["a"] - ca) <= pixel and abs(cursors["b"] - cb) <= pixel, (cursors, ca, cb)
    assert abs(cursors["dt"] - (cursors["b"] - cursors["a"])) < 1e-9
    assert abs(cursors["hz"] - 1000 / cursors["dt"]) < 1e-9
    for k, name in ((1, "a"), (2, "b")):
        assert cursors["delta"][name] == value_at(rows, k, cursors["b"]) - value_at(rows, k, cursors["a"]), name
    assert browser.js("window.sensorbridge.selection") == selection, "a click does not clear the selection"
    browser.js("window.sensorbridge.draw()")
    drawn = browser.js("window.sensorbridge.lastLayout.cursors")
    assert [c["name"] for c in drawn] == ["A", "B"]
    text = browser.js("document.getElementById('marks-text').textContent")
    assert "Δt " in text and "1/Δt " in text and "Δa " in text and "selection " in text, text
    save_screenshot(browser, "cursors")
    browser.resize(390, 844)
    browser.js("window.sensorbridge.draw()")
    save_screenshot(browser, "cursors-phone")
    browser.resize(1280, 900)

    # Esc clears both; the measurements go back to the visible range.
    browser.js("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}))")
    assert browser.js("window.sensorbridge.selection") is None and browser.js("window.sensorbridge.cursors") is None
    wait_for(lambda: browser.js("document.getElementById('measurements-caption').textContent").startswith(
        "Measurements of the visible range"), message="the visible range measured again")
    assert browser.js("document.getElementById('marks').hidden") is True
