"""The serial panel: the raw monitor and the send box, in Chromium and Firefox, against the
real binary on a pseudo-terminal that plays the board (see conftest.py)."""
from conftest import save_screenshot, wait_for


def chatty(n):
    """Readings, with a sketch message and a line the parser must skip now and then."""
    if n % 25 == 7:
        return "# sketch says hello %d" % n
    if n % 25 == 13:
        return "oops banana %d" % n
    return "%d,%d,%d" % (338 + n % 40, 338 - n % 30, 406)


def test_the_monitor_shows_raw_lines_and_a_sent_line_reaches_the_board(browser, feeder, bridges):
    feeder.start(chatty)
    bridge = bridges([feeder.path, "--allow-send"])
    browser.open(bridge.url + "?serial=1")
    wait_for(lambda: browser.js("window.sensorbridge.samples") > 20, message="samples on the page")
    assert browser.js("window.sensorbridge.serial.open") is True
    wait_for(lambda: any(l["kind"] == "rejected" for l in browser.js("window.sensorbridge.serial.lines"))
             and any(l["kind"] == "message" for l in browser.js("window.sensorbridge.serial.lines")),
             message="a skipped line and a sketch message in the monitor")
    lines = browser.js("window.sensorbridge.serial.lines")
    rejected = [l for l in lines if l["kind"] == "rejected"]
    assert rejected[0]["text"].startswith("oops banana") and rejected[0]["reason"] == "notANumber"
    assert any(l["kind"] == "received" and l["text"].count(",") == 2 for l in lines)
    shown = browser.js("Array.from(document.querySelectorAll('#monitor .rejected .why')).map(e => e.textContent)")
    assert shown and shown[0] == "skipped: notANumber", "the page marks the skipped line"

    browser.js("document.getElementById('send-line').value = 'rate 100'")
    browser.js("document.getElementById('send-ending').value = 'crlf'")
    browser.click("send-button")
    wait_for(lambda: browser.js("window.sensorbridge.serial.lastAnswer") is not None, message="the bridge's answer")
    assert browser.js("window.sensorbridge.serial.lastAnswer")["type"] == "sent"
    wait_for(lambda: b"rate 100\r\n" in feeder.received, message="the line on the board's side of the pty")
    wait_for(lambda: any(l["kind"] == "sent" and l["text"] == "rate 100" for l in browser.js("window.sensorbridge.serial.lines")),
             message="the sent line in the monitor")
    assert browser.js("document.getElementById('send-answer').textContent") == "sent: rate 100"
    assert browser.js("window.sensorbridge.state") == "live", "sending does not disturb the stream"
    save_screenshot(browser, "serial-monitor")


def test_without_allow_send_the_page_says_why_nothing_was_sent(browser, feeder, bridges):
    feeder.start(chatty)
    bridge = bridges([feeder.path])
    browser.open(bridge.url + "?serial=1")
    wait_for(lambda: browser.js("window.sensorbridge.samples") > 5, message="samples on the page")
    browser.js("document.getElementById('send-line').value = '?'")
    browser.click("send-button")
    wait_for(lambda: browser.js("window.sensorbridge.serial.lastAnswer") is not None, message="the bridge's answer")
    answer = browser.js("document.getElementById('send-answer').textContent")
    assert answer == "not sent: sending to the board is off; start the bridge with --allow-send"
    assert b"?" not in feeder.received
    save_screenshot(browser, "serial-refused")
