"""A page of one's own served with --web: the seed project's graph_socket.html style (one
inline script, style= attributes, the `chat` subprotocol, one JSON array a sample) runs under
the relaxed policy a --web folder gets, and under the strict one it is blocked and the
bridge's log says why and what to do. (The seed page loads d3 v3 from d3js.org; this machine
has no internet, so the stand-in draws an SVG polyline itself.)"""
import os
import tempfile

from conftest import save_screenshot, wait_for

PAGE = """<html>
<head><meta charset="utf-8"><title>accelerometer</title></head>
<body>
<div id="graph" style="border:1px solid #888; margin-bottom:10px"><svg width="800" height="300"><polyline id="line" fill="none" stroke="steelblue" points=""/></svg></div>
<div id="angle"></div>
</body>
<script type="text/javascript">
window.received = 0;
window.onload = function () {
    var socket = new WebSocket("ws://" + location.host + "/graph", ["soap", "chat"]);
    var points = [];
    socket.onmessage = function (e) {
        var values = JSON.parse(e.data);
        window.received++;
        points.push(values[1]);
        if (points.length > 80) points.shift();
        document.getElementById("line").setAttribute("points",
            points.map(function (v, i) { return (i * 10) + "," + (300 - v / 1024 * 300); }).join(" "));
        document.getElementById("angle").textContent = "x " + values[1];
    };
};
</script>
</html>
"""


def serve_folder(bridges, feeder, *extra):
    folder = tempfile.mkdtemp(prefix="sensorbridge-user-page-")
    with open(os.path.join(folder, "graph_socket.html"), "w") as page:
        page.write(PAGE)
    feeder.start(lambda n: "%d,%d,%d" % (338 + (n * 7) % 200, 338, 400), rate=50)
    return bridges([feeder.path, "--web", folder] + list(extra))


def test_a_page_of_ones_own_runs_its_inline_script_under_a_folders_policy(browser, feeder, bridges):
    bridge = serve_folder(bridges, feeder)
    browser.open(bridge.url + "graph_socket.html")
    wait_for(lambda: browser.js("window.received") > 20, message="samples drawn by the page's own script")
    assert browser.js("document.getElementById('line').getAttribute('points').split(' ').length") > 20
    # Its style= attribute applied too.
    assert browser.js("getComputedStyle(document.getElementById('graph')).borderTopStyle") == "solid"
    assert "blocked" not in bridge.log
    save_screenshot(browser, "user-page-relaxed")


def test_under_the_strict_policy_the_bridge_logs_what_was_blocked_and_what_to_do(browser, feeder, bridges):
    bridge = serve_folder(bridges, feeder, "--web-policy", "strict")
    browser.open(bridge.url + "graph_socket.html")
    wait_for(lambda: "blocked an inline script" in bridge.log, message="the blocked script in the bridge's log")
    assert "start the bridge with --web-policy relaxed" in bridge.log
    assert browser.js("window.received === undefined")  # the script never ran
    save_screenshot(browser, "user-page-strict")
