"""What the plot draws, read back from the canvas in Chromium and Firefox against the real binary
on a pseudo-terminal: every series' scale readable, labels inside the canvas and clear of each
other, the grid under the data and names over it (issue 21). `lastLayout.labels` lists the
labels the plot drew with their boxes; the pixels under those boxes are checked too."""
import json
import math
import time

from conftest import save_screenshot, wait_for

RED, GREEN, BLUE = (0xe1, 0x57, 0x59), (0x59, 0xa1, 0x4f), (0x4e, 0x79, 0xa7)   # the page's first colours
MARKER, GRID = (0xb5, 0x65, 0x1d), (0xe3, 0xe7, 0xeb)


def three_sizes(n):
    """Three series hundreds, hundredths and ~500 in size: one shared scale flattens two of them.
    (Not an integer ramp: the bridge may take a rising integer column for the board's clock.)"""
    return "big:%.1f,small:%.4f,level:%.1f" % (800 * math.sin(n / 30), 0.02 * math.cos(n / 17), 500.5 + n % 100)


def open_paused(browser, feeder, bridges, query, make_line=three_sizes, rate=50, size=(1280, 800), seconds=4):
    feeder.start(make_line, rate=rate)
    bridge = bridges([feeder.path])
    browser.resize(*size)
    browser.open(bridge.url + query)
    wait_for(lambda: browser.js("window.sensorbridge.samples") > rate * seconds, timeout=30, message="samples")
    return bridge


def freeze(browser):
    """Paused: the plot stops moving, so what is read is what was drawn."""
    if not browser.js("window.sensorbridge.paused"):
        browser.js("window.sensorbridge.pause()")
    browser.js("window.sensorbridge.draw()")
    return browser.js("window.sensorbridge.lastLayout")


def count_pixels(browser, box, colour, tolerance=60):
    """Pixels of the canvas in box {x, y, w, h} (CSS pixels) within `tolerance` of colour."""
    return browser.js("""(function (box, colour, tolerance) {
        const canvas = document.getElementById('graph');
        const dpr = canvas.width / canvas.getBoundingClientRect().width;
        const x = Math.max(0, Math.floor(box.x * dpr)), y = Math.max(0, Math.floor(box.y * dpr));
        const w = Math.max(1, Math.min(canvas.width - x, Math.ceil(box.w * dpr))), h = Math.max(1, Math.min(canvas.height - y, Math.ceil(box.h * dpr)));
        const d = canvas.getContext('2d').getImageData(x, y, w, h).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (Math.abs(d[i] - colour[0]) + Math.abs(d[i + 1] - colour[1]) + Math.abs(d[i + 2] - colour[2]) < tolerance) n++;
        }
        return n; })(%s, %s, %d)""" % (json.dumps(box), json.dumps(list(colour)), tolerance))


def ink_rows(browser, x0, x1, y0, y1):
    """Runs of rows in [y0, y1) with dark ink (text) between x0 and x1: one per label."""
    return browser.js("""(function (x0, x1, y0, y1) {
        const canvas = document.getElementById('graph');
        const dpr = canvas.width / canvas.getBoundingClientRect().width;
        const X = Math.floor(x0 * dpr), W = Math.max(1, Math.floor((x1 - x0) * dpr)), Y = Math.max(0, Math.floor(y0 * dpr));
        const H = Math.max(1, Math.floor((y1 - y0) * dpr));
        const d = canvas.getContext('2d').getImageData(X, Y, W, H).data;
        let runs = 0, inRun = false, gap = 0;
        for (let r = 0; r < H; r++) {
          let ink = false;
          for (let c = 0; c < W && !ink; c++) { const i = 4 * (r * W + c); ink = d[i] + d[i + 1] + d[i + 2] < 450; }
          if (ink) { if (!inRun) runs++; inRun = true; gap = 0; } else if (++gap > 2 * dpr) inRun = false;
        }
        return runs; })(%f, %f, %f, %f)""" % (x0, x1, y0, y1))


def assert_labels_clear(layout):
    """Every label inside the canvas, and no two overlapping."""
    labels = layout["labels"]
    for label in labels:
        assert label["x"] >= 0 and label["y"] >= 0, label
        assert label["x"] + label["w"] <= layout["width"] and label["y"] + label["h"] <= layout["height"], label
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            apart = a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"] or a["y"] + a["h"] <= b["y"] or b["y"] + b["h"] <= a["y"]
            assert apart, "%r overlaps %r" % (a, b)


def test_per_channel_scale_on_one_plot_labels_every_series_in_its_colour(browser, feeder, bridges):
    open_paused(browser, feeder, bridges, "?window=10&scale=channel")
    for size, name in (((1280, 800), "desktop"), ((390, 844), "phone")):
        browser.resize(*size)
        time.sleep(0.3)
        layout = freeze(browser)
        assert layout["kind"] == "time" and len(layout["panels"]) == 1
        width, height = browser.js("(function(r){ return [r.width, r.height]; })(document.getElementById('graph').getBoundingClientRect())")
        gutters = [{"x": 0, "y": 0, "w": layout["left"] - 2, "h": height},
                   {"x": layout["right"] + 2, "y": 0, "w": width - layout["right"] - 2, "h": height}]
        # Drawn: each series' colour is in the margins beside the plot (its labels).
        for colour in (RED, GREEN, BLUE):
            assert sum(count_pixels(browser, g, colour) for g in gutters) >= 20, "%s: the scale in %s is on the canvas" % (name, colour)
        assert_labels_clear(layout)
        for series, colour in (("big", RED), ("small", GREEN), ("level", BLUE)):
            mine = [l for l in layout["labels"] if l["kind"] == "y" and l["series"] == series]
            assert len(mine) >= 2, "%s: %s has %d labels" % (name, series, len(mine))
            for label in mine:
                assert count_pixels(browser, label, colour) >= 3, "%s: %s's label %s drawn in its colour" % (name, series, label["text"])
            assert any(l["kind"] == "header" and l["series"] == series for l in layout["labels"])
        save_screenshot(browser, "plot-per-channel-" + name)
        browser.js("window.sensorbridge.resume()")


def test_stacked_panels_each_carry_at_least_two_y_labels(browser, feeder, bridges):
    open_paused(browser, feeder, bridges, "?window=10&mode=stacked")
    for size, name in (((1280, 800), "desktop"), ((390, 844), "phone")):
        browser.resize(*size)
        time.sleep(0.3)
        layout = freeze(browser)
        assert len(layout["panels"]) == 3
        for p, panel in enumerate(layout["panels"]):
            # On the canvas: at least two separate labels of ink in the margin beside the panel.
            rows = ink_rows(browser, 0, layout["left"] - 3, panel["top"] - 4, panel["bottom"] + 4)
            assert rows >= 2, "%s: panel %d shows %d labels" % (name, p, rows)
        assert_labels_clear(layout)
        for p, panel in enumerate(layout["panels"]):
            mine = [l for l in layout["labels"] if l["kind"] == "y" and l["panel"] == p]
            assert len(mine) >= 2, "%s: panel %d labelled %s" % (name, p, [l["text"] for l in mine])
        save_screenshot(browser, "plot-stacked-" + name)
        browser.js("window.sensorbridge.resume()")


def red_rows(browser, px, y0, y1):
    """For the pixel columns px - 2, px and px + 2 (CSS px), which rows in [y0, y1) are the first series' red."""
    return browser.js("""(function (px, y0, y1, colour) {
        const canvas = document.getElementById('graph');
        const dpr = canvas.width / canvas.getBoundingClientRect().width;
        const ctx = canvas.getContext('2d'), Y = Math.floor(y0 * dpr), H = Math.floor((y1 - y0) * dpr);
        const red = (d, i) => Math.abs(d[i] - colour[0]) + Math.abs(d[i + 1] - colour[1]) + Math.abs(d[i + 2] - colour[2]) < 40;
        return [-2, 0, 2].map(function (dx) {
          const d = ctx.getImageData(Math.floor((px + dx) * dpr), Y, 1, H).data, rows = [];
          for (let r = 0; r < H; r++) rows.push(red(d, 4 * r));
          return rows; }); })(%f, %f, %f, %s)""" % (px, y0, y1, json.dumps(list(RED))))


def vertical_grid(browser, layout):
    """x (CSS px) of the grid-grey columns of the first panel's highest row without data in it."""
    return browser.js("""(function (layout, grid, red) {
        const canvas = document.getElementById('graph');
        const dpr = canvas.width / canvas.getBoundingClientRect().width, ctx = canvas.getContext('2d');
        const near = (d, i, c, tol) => Math.abs(d[i] - c[0]) + Math.abs(d[i + 1] - c[1]) + Math.abs(d[i + 2] - c[2]) < tol;
        const X = Math.ceil(layout.left * dpr) + 2, W = Math.floor(layout.right * dpr) - X - 2;
        const panel = layout.panels[0];
        for (let y = Math.ceil(panel.top * dpr) + 3; y < panel.bottom * dpr - 3; y++) {
          const d = ctx.getImageData(X, y, W, 1).data;
          let data = false, greys = [];
          for (let c = 0; c < W; c++) { if (near(d, 4 * c, red, 120)) data = true; if (near(d, 4 * c, grid, 12)) greys.push(c); }
          if (data || greys.length > W / 3) continue;   // data, or a horizontal grid line
          return greys.map((c) => (X + c) / dpr);
        }
        return []; })(%s, %s, %s)""" % (json.dumps({k: layout[k] for k in ("left", "right", "panels")}), json.dumps(list(GRID)), json.dumps(list(RED))))


def test_grid_lines_lie_under_the_data(browser, feeder, bridges):
    open_paused(browser, feeder, bridges, "?window=5", make_line=lambda n: "a:%d" % (n % 7), seconds=1)
    # A solid band of 1 kHz samples (the page's benchmark data): a bar in every pixel column.
    browser.js("window.sensorbridge.fillSynthetic(8, 1000, 1)")
    layout = freeze(browser)
    panel = layout["panels"][0]
    # The vertical grid lines, found on the canvas: grey columns in a row the band does not reach.
    inner = [x + 0.5 for x in vertical_grid(browser, layout) if layout["left"] + 30 < x < layout["right"] - 60]
    assert len(inner) >= 3, inner
    for px in inner:
        before, at, after = red_rows(browser, px - 0.5, panel["top"] + 2, panel["bottom"] - 2)
        both = [r for r in range(len(at)) if before[r] and after[r]]
        assert len(both) >= 10, "the data crosses the grid line at x=%s" % px
        covered = sum(1 for r in both if at[r])
        # A grid line over the data would show as a grey cut through the band (a dropout).
        assert covered >= 0.75 * len(both), "grid line at x=%s cuts the data: %d of %d rows red" % (px, covered, len(both))
    assert all(any(abs(px - tick) < 1 for tick in layout["ticks"]) for px in inner), "grey columns found are the plot's ticks"
    save_screenshot(browser, "plot-grid-under-data")


def test_series_names_are_drawn_over_the_data(browser, feeder, bridges):
    # 0 and 100 in turn on a fixed 0-100 scale, 500 samples on a phone's 300-odd pixel columns:
    # a band (solid, or tightly hatched where the window is wider) over the panel, under the name too.
    open_paused(browser, feeder, bridges, "?window=10&mode=stacked&scale=fixed&min=0&max=100",
                make_line=lambda n: "band:%d" % (100 * (n % 2)), size=(390, 844), seconds=11)
    layout = freeze(browser)
    save_screenshot(browser, "plot-name-over-data")
    assert_labels_clear(layout)
    ys = [l["text"] for l in layout["labels"] if l["kind"] == "y"]
    assert "0" in ys and "100" in ys, "a fixed scale's ends are labelled: %s" % ys
    name = next(l for l in layout["labels"] if l["kind"] == "name")
    assert name["text"] == "band"
    area = name["w"] * name["h"]
    beside = {"x": name["x"] + name["w"] + 10, "y": name["y"], "w": name["w"], "h": name["h"]}
    band = count_pixels(browser, beside, RED, 40)
    assert band >= 0.5 * area, "the band beside the name: %d red pixels of %d" % (band, area)
    # The name's box: the name in red on a translucent panel (light over the band), not buried in it.
    red = count_pixels(browser, name, RED, 40)
    assert 8 <= red <= 0.35 * area and red < 0.6 * band, "the name over the data: %d red pixels of %d" % (red, area)
    assert count_pixels(browser, name, (0xfa, 0xe1, 0xe1), 30) >= 0.25 * area, "the translucent backing"


def test_mark_labels_at_a_narrow_width_never_overlap(browser, feeder, bridges):
    open_paused(browser, feeder, bridges, "?window=10", size=(390, 844), seconds=3)
    for _ in range(4):
        browser.js("window.sensorbridge.reconnect()")
        wait_for(lambda: browser.js("window.sensorbridge.connection") == "open", timeout=10, message="reconnected")
        time.sleep(0.35)
    wait_for(lambda: sum(1 for e in browser.js("window.sensorbridge.lastLayout.marks") if e["kind"] == "lost") >= 4,
             timeout=10, message="four marks")
    for mode in ("shared", "stacked"):
        browser.js("(function(){const m=document.getElementById('mode'); m.value='%s'; m.dispatchEvent(new Event('change'));})()" % mode)
        layout = freeze(browser)
        assert_labels_clear(layout)
        marks = layout["marks"]
        shown = [l for l in layout["labels"] if l["kind"] == "mark"]
        assert len(shown) == sum(1 for m in marks if m["labelled"]) >= 2
        assert all(m["text"] in ("connection lost", "connected") or m["kind"] == "session" for m in marks), marks
        for label in shown:
            assert count_pixels(browser, label, MARKER, 80) >= 5, "mark label %r drawn" % label["text"]
        # Every mark keeps its dashed line, labelled or not.
        x = lambda t: layout["left"] + (t - layout["t0"]) / (layout["t1"] - layout["t0"]) * (layout["right"] - layout["left"])
        for mark in marks:
            px = round(x(mark["t"]))
            line = {"x": px - 1, "y": layout["panels"][-1]["bottom"] - 60, "w": 3, "h": 50}
            assert count_pixels(browser, line, MARKER, 80) >= 10, "the line of the mark at %s" % mark["t"]
        save_screenshot(browser, "plot-marks-phone-" + mode)
        browser.js("window.sensorbridge.resume()")


def test_live_columns_kept_between_draws_give_the_pixels_of_a_full_redraw(browser, feeder, bridges):
    """The plot keeps its pixel columns' summaries between draws and, live, summarises only
    the new ones (issue 21 item 8). On two real canvases of the page, one plot drawing a live
    sequence with what it kept and one summarising everything afresh: the same pixels, draw
    after draw, as samples arrive, the oldest leave and a disconnection breaks the lines."""
    open_paused(browser, feeder, bridges, "?window=10", seconds=1)
    result = browser.js("""(function () {
        const make = function () {
          const canvas = document.createElement('canvas');
          canvas.style.width = '640px'; canvas.style.height = '300px';
          document.body.appendChild(canvas);
          return canvas;
        };
        const a = make(), b = make();
        const cached = new Plot(a);
        const theme = { panel: '#ffffff', text: '#1b2027', muted: '#5c6773', grid: '#e3e7eb', axis: '#c3cad2',
                        marker: '#b5651d', gap: '#eceff2', overlayBg: 'rgba(0,0,0,0.8)', overlayText: '#ffffff' };
        const store = new SeriesStore({ keepMs: 50000 });
        const names = ['big', 'sparse', 'level'], columns = names.map((n) => store.seriesIndex(n));
        const series = names.map((name, k) => ({ name: name, index: k, color: ['#e15759', '#59a14f', '#4e79a7'][k] }));
        let now = Date.now() - 100000, n = 0;
        const push = function (until) {
          for (; now < until; now += 1, n++) {
            store.push(now, [800 * Math.sin(n / 300) + (n * 7919 % 97), n % 3 ? null : 0.02 * Math.cos(n / 170), 500.5 + (n % 1000) / 10], columns);
          }
        };
        push(now + 55000);
        const pixels = (canvas) => canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let draws = 0, differing = 0, worst = 0, kept = 0, all = 0;
        for (let step = 0; step < 40; step++) {
          if (step === 20) { store.breakAll(now, 'disconnected'); now += 2000; }
          push(now + 110 * (0.5 + (step % 5) / 3));
          const view = { store: store, series: series, t0: now - 60000, t1: now, limit: Infinity, cursorT: null, mode: step < 30 ? 'shared' : 'stacked',
                         scale: 'auto', theme: theme, marks: store.events, gaps: [], history: [] };
          const fresh = new Plot(b);
          fresh.cacheColumns = false;
          const before = cached.summarised;
          cached.render(view); fresh.render(view);
          kept += cached.summarised - before; all += fresh.summarised;
          const p = pixels(a), q = pixels(b);
          let diff = 0;
          for (let i = 0; i < p.length; i++) if (p[i] !== q[i]) diff++;
          if (diff) { differing++; worst = Math.max(worst, diff); }
          draws++;
        }
        a.remove(); b.remove();
        return { draws: draws, differing: differing, worst: worst, summarised: kept, afresh: all };
    })()""")
    assert result["draws"] == 40
    assert result["differing"] == 0, "draws whose pixels differ from a full redraw: %r" % result
    assert result["summarised"] < result["afresh"] / 5, "the cache kept most columns: %r" % result
