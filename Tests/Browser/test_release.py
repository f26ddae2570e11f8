"""The port handed over for an upload (`sensorbridge release`), as a viewer sees it: the page
says "released for upload" while the command runs, then goes on live with the new session."""
import subprocess
import time

from conftest import binary_path, save_screenshot, wait_for


def test_the_page_says_released_for_upload_then_goes_on(browser, feeder, bridges):
    feeder.start(lambda n: "ax:%d,ay:%d" % (n % 40, 40 - n % 40))
    bridge = bridges([feeder.path])
    browser.open(bridge.url)
    wait_for(lambda: browser.js("window.sensorbridge.state") == "live", message="live")
    before = browser.js("window.sensorbridge.samples")
    upload = subprocess.Popen([binary_path(), "release", "--port", str(bridge.port), "--hold", "2", "--", "sleep", "3"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: browser.js("window.sensorbridge.state") == "released", timeout=5, message="released")
        # The pill is redrawn on the page's next update, a moment after the state is known.
        wait_for(lambda: browser.js("window.sensorbridge.stateText") == "released for upload", timeout=2, message="the pill")
        assert "is closed for an upload (asked by 127.0.0.1:" in browser.js("document.getElementById('state').title")
        save_screenshot(browser, "released-for-upload")
        # Nothing is read while the command has the port (the board goes on writing).
        held = browser.js("window.sensorbridge.samples")
        time.sleep(1)
        assert browser.js("window.sensorbridge.state") == "released"
        assert browser.js("window.sensorbridge.samples") == held, "samples arrived while the port was released"
        assert upload.wait(20) == 0, upload.stderr.read()
    finally:
        if upload.poll() is None:
            upload.kill()
    assert "is reopening" in upload.stderr.read()
    wait_for(lambda: browser.js("window.sensorbridge.state") == "live", timeout=6, message="live again")
    wait_for(lambda: browser.js("window.sensorbridge.samples") > held + 20, message="samples after the release")
    assert held > before, "samples came before the release"
