"""Who may watch, as a person and a scraper meet it: the page with an access token, the
page refused (and saying why), the page's own Content-Security-Policy, and /metrics read by
the Prometheus project's own text parser (prometheus_client)."""
import json
import re
import subprocess
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from conftest import ROOT, binary_path, save_screenshot, wait_for


def token_of(bridge):
    found = re.search(r"\?token=(\S+)", bridge.banner)
    assert found, bridge.banner
    return found.group(1)


def test_the_page_carries_the_token_and_its_policy_blocks_nothing(browser, feeder, bridges):
    feeder.start(lambda n: "x:%d,y:%d" % (n % 50, 100 - n % 30))
    bridge = bridges([feeder.path, "--require-token"])
    token = token_of(bridge)
    browser.open(bridge.url + "?token=" + token)
    wait_for(lambda: browser.js("window.sensorbridge.samples") > 30, message="samples with the token")
    assert browser.js("window.sensorbridge.state") == "live"
    assert browser.js("window.sensorbridge.counters.policyViolations") == 0
    # The page keeps the token in its address (it is how it is shared), and the style sheet applied.
    assert "token=" + token in browser.js("location.search")
    assert browser.js("getComputedStyle(document.querySelector('header')).display") == "flex"
    save_screenshot(browser, "with-token")


def test_without_the_token_the_page_says_it_was_refused_and_why(browser, feeder, bridges):
    feeder.start(lambda n: "x:%d" % n)
    bridge = bridges([feeder.path, "--require-token"])
    browser.open(bridge.url)
    wait_for(lambda: browser.js("window.sensorbridge.state") == "refused", message="refused")
    # The pill shows it at the next frame drawn.
    wait_for(lambda: "access token" in browser.js("document.getElementById('state').title"), message="the reason shown")
    assert browser.js("document.getElementById('state').textContent") == "refused by the bridge"
    assert browser.js("window.sensorbridge.samples") == 0
    save_screenshot(browser, "refused")


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def test_metrics_parse_as_prometheus_text_and_match_the_status(bridges):
    bridge = bridges(["--replay", ROOT + "/hardware/recordings/reset-noise-10s.raw", "--speed", "0", "--history", "600"])
    base = bridge.url
    wait_for(lambda: json.loads(fetch(base + "api/status")[2])["source"]["state"] == "finished", message="replay done")
    status_code, headers, text = fetch(base + "metrics")
    assert status_code == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    families = {family.name: family for family in text_string_to_metric_families(text)}
    status = json.loads(fetch(base + "api/status")[2])

    def value(name, **labels):
        family = families[name]
        matches = [s.value for s in family.samples if all(s.labels.get(k) == v for k, v in labels.items())
                   and not s.name.endswith("_created")]
        assert len(matches) == 1, (name, labels, family.samples)
        return matches[0]

    assert families["sensorbridge_samples_received"].type == "counter"
    assert value("sensorbridge_samples_received") == status["samples"] == 498
    assert value("sensorbridge_lines_received") == status["lines"]
    assert value("sensorbridge_bytes_received") == status["bytes"]
    for kind, count in status["parseErrorsByKind"].items():
        assert value("sensorbridge_parse_errors", kind=kind) == count
    assert sum(s.value for s in families["sensorbridge_parse_errors"].samples) == status["parseErrors"] == 3
    version = subprocess.run([binary_path(), "--version"], capture_output=True, text=True, check=True).stdout.strip()
    assert value("sensorbridge_build_info", version=version) == 1
    assert value("sensorbridge_source_connected") == 0  # the replay has finished
    assert value("sensorbridge_source_reconnects") == status["reconnects"] == 0
    for family in ("rfc6455", "hybi-08", "hybi-07", "hixie-76"):
        assert value("sensorbridge_clients", protocol=family) == 0
    for name, field in (("sensorbridge_frames_sent", "framesSent"), ("sensorbridge_bytes_sent", "bytesSent"),
                        ("sensorbridge_samples_sent", "samplesSent"), ("sensorbridge_samples_skipped", "samplesSkipped")):
        assert value(name) == status["delivery"][field]
    assert value("sensorbridge_clients_evicted") == status["clientsEvicted"] == 0


def test_metrics_need_the_token_when_one_is_set(bridges):
    bridge = bridges(["--replay", ROOT + "/hardware/recordings/tilt-60s-50hz.log", "--require-token"])
    token = token_of(bridge)
    assert fetch(bridge.url + "metrics")[0] == 401
    assert fetch(bridge.url + "metrics?token=" + token)[0] == 200
    assert fetch(bridge.url + "metrics", {"Authorization": "Bearer " + token})[0] == 200
