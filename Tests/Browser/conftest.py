"""The graph page in real headless browsers (Chromium through chromedriver, Firefox ESR
through its built-in Marionette) against the real sensorbridge binary reading a real
pseudo-terminal. scripts/test.sh installs the browsers and runs this with pytest."""
import base64
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCREENSHOTS = os.path.join(ROOT, ".build", "screenshots")


def binary_path():
    path = os.environ.get("SENSORBRIDGE_BINARY")
    if path:
        return path
    bin_dir = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
    return os.path.join(bin_dir, "sensorbridge")


class Feeder:
    """A pseudo-terminal the bridge reads as its serial device, fed lines at a rate."""

    def __init__(self):
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = None
        self.written = 0
        self.received = b""   # what the bridge wrote to the "board"

    def write_line(self, line):
        with self.lock:
            if self.master is None:
                return
            os.write(self.master, (line + "\n").encode())
            self.written += 1
            # Keep the pty's buffer from filling if the bridge is away (restart tests).
            while select.select([self.master], [], [], 0)[0]:
                try:
                    self.received = (self.received + os.read(self.master, 4096))[-65536:]
                except OSError:
                    break

    def start(self, make_line, rate=50):
        """Writes make_line(n) for n = 0, 1, ... at `rate` lines per second, paced by the clock."""
        def run():
            start = time.monotonic()
            n = 0
            while not self.stopped.is_set():
                due = start + n / rate
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                self.write_line(make_line(n))
                n += 1
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopped.set()
        if self.thread:
            self.thread.join()

    def close(self):
        """Closes both ends: the bridge sees the device go away."""
        self.stop()
        with self.lock:
            for fd in (self.master, self.slave):
                if fd is not None:
                    os.close(fd)
            self.master = self.slave = None


class Bridge:
    """The built binary as a child process; `port` from the URL it prints."""

    def __init__(self, args, port=0):
        # A bridge keeps history by default, in $XDG_STATE_HOME/sensorbridge/<source>.sqlite;
        # each test's bridge gets its own (pseudo-terminal names come back), unless it names a
        # store itself.
        env = dict(os.environ)
        self.state_home = None
        if not {"--store", "--no-store", "--archive"} & set(args):
            self.state_home = tempfile.mkdtemp(prefix="sensorbridge-test-state-")
            env["XDG_STATE_HOME"] = self.state_home
        # SENSORBRIDGE_WEB=DIR serves a page folder being edited instead of the built-in page,
        # so page work is tried without rebuilding the binary (under the built-in page's policy).
        if os.environ.get("SENSORBRIDGE_WEB") and "--web" not in args:
            args = args + ["--web", os.environ["SENSORBRIDGE_WEB"], "--web-policy", "strict"]
        self.process = subprocess.Popen([binary_path()] + args + ["--port", str(port)], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env)
        self.port = None
        self.banner = ""
        deadline = time.time() + 30
        while self.port is None:
            if time.time() > deadline or self.process.poll() is not None:
                raise RuntimeError("sensorbridge did not start: " + (self.process.stderr.read() if self.process.poll() is not None else ""))
            line = self.process.stdout.readline()
            self.banner += line
            found = re.search(r"page:\s+http://127\.0\.0\.1:(\d+)/", line)
            if found:
                self.port = int(found.group(1))
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        self._log = []
        threading.Thread(target=self._gather_log, daemon=True).start()

    def _gather_log(self):
        for line in self.process.stderr:
            self._log.append(line)

    @property
    def log(self):
        """What the bridge has written to its log (standard error) so far."""
        return "".join(self._log)

    @property
    def url(self):
        return "http://127.0.0.1:%d/" % self.port

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.state_home:
            shutil.rmtree(self.state_home, ignore_errors=True)
            self.state_home = None


class Browser:
    """What the tests do to a page; each driver finds elements its own way. Both speak the
    WebDriver locator names ("id", "css selector")."""

    def click(self, element_id):
        self.find("id", element_id).click()

    def click_css(self, selector):
        self.find("css selector", selector).click()

    def key(self, element_id, keys):
        self.find("id", element_id).send_keys(keys)


class Chromium(Browser):
    name = "chromium"

    def __init__(self):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
                         "--disable-dev-shm-usage", "--force-color-profile=srgb"):
            options.add_argument(argument)
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)

    def open(self, url):
        self.driver.get(url)

    def js(self, expression):
        return self.driver.execute_script("return " + expression)

    def find(self, using, value):
        return self.driver.find_element(using, value)

    def screenshot(self, path):
        self.driver.save_screenshot(path)

    def resize(self, width, height):
        """The page's viewport in CSS pixels (a phone's is 390 x 844)."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})

    def close(self):
        self.driver.quit()


class Firefox(Browser):
    name = "firefox"

    def __init__(self):
        from marionette_driver.marionette import Marionette
        os.makedirs(os.path.join(ROOT, ".build"), exist_ok=True)
        self.client = Marionette(bin="/usr/bin/firefox-esr", headless=True, host="127.0.0.1",
                                 port=_free_port(), startup_timeout=120,
                                 gecko_log=os.path.join(ROOT, ".build", "gecko.log"))
        self.client.start_session()
        self.client.set_window_rect(width=1280, height=900)

    def open(self, url):
        self.client.navigate(url)

    def js(self, expression):
        # The page's own globals (window.sensorbridge) are visible only outside the sandbox.
        return self.client.execute_script("return " + expression, sandbox=None)

    def find(self, using, value):
        return self.client.find_element(using, value)

    def screenshot(self, path):
        with open(path, "wb") as out:
            out.write(base64.b64decode(self.client.screenshot()))

    def resize(self, width, height):
        """The page's viewport in CSS pixels: the window, less what the browser takes around it."""
        self.client.set_window_rect(width=width, height=height)
        inner = self.js("[window.innerWidth, window.innerHeight]")
        self.client.set_window_rect(width=2 * width - inner[0], height=2 * height - inner[1])

    def close(self):
        try:
            self.client.delete_session()
        finally:
            if self.client.instance:
                self.client.instance.close()


def _free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


BROWSERS = {"chromium": Chromium, "firefox": Firefox}


@pytest.fixture(scope="module", params=sorted(BROWSERS))
def browser(request):
    instance = BROWSERS[request.param]()
    yield instance
    instance.close()


@pytest.fixture
def feeder():
    instance = Feeder()
    yield instance
    instance.close()


@pytest.fixture
def bridges():
    started = []

    def start(args, port=0):
        bridge = Bridge(args, port)
        started.append(bridge)
        return bridge
    yield start
    for bridge in started:
        bridge.stop()


def wait_for(check, timeout=10, interval=0.05, message="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s (last: %r)" % (message, last))


def save_screenshot(browser, name):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    path = os.path.join(SCREENSHOTS, "%s-%s.png" % (name, browser.name))
    browser.screenshot(path)
    with open(path, "rb") as image:
        assert image.read(8) == b"\x89PNG\r\n\x1a\n"
    return path
