"""The page on a relay (--source mqtt://...): the stream crosses a real Mosquitto broker from
the edge bridge that reads the board, and the page cannot tell, except that it says so
when the edge vanishes (its Last Will), in Chromium and Firefox."""
import os
import sys
import tempfile

import pytest
from conftest import ROOT, save_screenshot, wait_for

sys.path.insert(0, os.path.join(ROOT, "scripts", "bench"))
from bench_mqtt import mosquitto  # noqa: E402  (the benchmark's broker, started the same way)


@pytest.fixture
def broker():
    process, port = mosquitto(tempfile.mkdtemp(prefix="mosquitto-"))
    yield port
    process.kill()
    process.wait()


def wave(n):
    return "ax:%d,ay:%d,az:%d" % (338 + n % 40, 338 - n % 30, 406 + n % 7)


def test_a_relay_page_is_live_and_says_when_the_edge_bridge_is_gone(browser, feeder, bridges, broker):
    url = "mqtt://127.0.0.1:%d/lab/bench1" % broker
    feeder.start(wave)
    edge = bridges([feeder.path, "--mqtt", url])
    relay = bridges(["--source", url])
    browser.open(relay.url)
    wait_for(lambda: browser.js("window.sensorbridge.samples") > 50, timeout=15, message="relayed samples on the page")
    assert browser.js("window.sensorbridge.state") == "live"
    assert browser.js("window.sensorbridge.series") == ["ax", "ay", "az"], "the edge's names came through the broker"
    save_screenshot(browser, "relay-live")

    edge.process.kill()  # no goodbye: the broker publishes the edge's Last Will
    wait_for(lambda: browser.js("window.sensorbridge.state") == "disconnected", message="the page saying the edge is gone")
    # The pill is redrawn on the next frame, not the moment the state changes.
    wait_for(lambda: browser.js("window.sensorbridge.stateText") == "board disconnected", timeout=1, message="the pill")
    assert "is gone" in browser.js("document.getElementById('state').title")
    save_screenshot(browser, "relay-edge-gone")
