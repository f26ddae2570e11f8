// Unit tests of the page's Plot (web/plot.js) on a canvas that records what is drawn, run with
// `node --test Tests/Web`. The browser tests (Tests/Browser/test_plot_layout.py) read real pixels;
// these try many sizes, layouts and scales quickly.
"use strict";
const test = require("node:test");
const assert = require("node:assert");
require("../../web/store.js");
require("../../web/plot.js");
const SeriesStore = globalThis.SeriesStore, Plot = globalThis.Plot;

const { THEME } = require("./plot-theme.js");
const COLORS = ["#e15759", "#59a14f", "#4e79a7", "#f28e2b", "#b07aa1", "#76b7b2"];
const T0 = Date.UTC(2025, 10, 21, 12, 0, 0);

/// A 2-D context that records each drawing call with the style it was made in; text is
/// measured at 0.6 em a character.
function recordingCanvas(width, height) {
  const ops = [];
  const ctx = {
    font: "10px sans-serif", fillStyle: "#000", strokeStyle: "#000", lineWidth: 1, globalAlpha: 1,
    textAlign: "left", textBaseline: "alphabetic", lineJoin: "miter",
    setTransform() {}, save() {}, restore() {}, clip() {}, beginPath() {}, moveTo() {}, lineTo() {}, rect() {}, arc() {},
    setLineDash() {}, fill() { ops.push({ op: "fill", style: this.fillStyle }); },
    stroke() { ops.push({ op: "stroke", style: this.strokeStyle }); },
    strokeRect() { ops.push({ op: "strokeRect", style: this.strokeStyle }); },
    fillRect(x, y, w, h) { ops.push({ op: "fillRect", style: this.fillStyle, alpha: this.globalAlpha, x: x, y: y, w: w, h: h }); },
    fillText(text, x, y) { ops.push({ op: "fillText", style: this.fillStyle, text: text, x: x, y: y }); },
    measureText(text) { return { width: text.length * 0.6 * parseFloat(/(\d+(\.\d+)?)px/.exec(this.font)[1]) }; },
  };
  const canvas = { width: 0, height: 0, getContext: () => ctx, getBoundingClientRect: () => ({ width: width, height: height }) };
  return { canvas: canvas, ops: ops };
}

/// `count` series of very different sizes (hundreds, hundredths, a count near 500, ...),
/// sampled at `rate` Hz for `seconds`.
function makeStore(count, seconds, rate) {
  const store = new SeriesStore({ keepMs: 1e12 });
  const names = ["big", "small", "count", "negative", "tiny", "mega"].slice(0, count);
  const columns = [undefined].concat(names.map((n) => store.seriesIndex(n)));
  const n = Math.floor(seconds * rate);
  for (let i = 0; i < n; i++) {
    const t = T0 + i * 1000 / rate;
    const row = [t, 800 * Math.sin(i / 30), 0.02 * Math.cos(i / 17), 500 + (i % 100), -3 - Math.sin(i / 9), 1e-4 * Math.sin(i / 5), 2e6 + 1e5 * Math.cos(i / 40)];
    store.push(t, row.slice(0, count + 1), columns);
  }
  return { store: store, series: names.map((name, k) => ({ name: name, index: k, color: COLORS[k] })) };
}

function draw(width, height, data, options) {
  const rec = recordingCanvas(width, height);
  const plot = new Plot(rec.canvas);
  const view = Object.assign({ store: data.store, series: data.series, t0: T0, t1: T0 + 10000, limit: Infinity, cursorT: null,
                               mode: "shared", scale: "auto", theme: THEME, marks: [], gaps: [], history: [] }, options || {});
  const layout = plot.render(view);
  return { layout: layout, ops: rec.ops };
}

function overlaps(a, b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/// Marks every `every` ms over the view, with texts as the page writes them.
function marks(every) {
  const out = [];
  for (let t = T0 + 700, k = 0; t < T0 + 10000; t += every, k++) {
    out.push({ t: t, kind: k % 3 ? "lost" : "session", text: k % 3 ? "connection lost" : "session " + (k + 2) + " started" });
  }
  return out;
}

const SIZES = [[1240, 496], [1000, 420], [700, 380], [370, 360], [370, 260], [300, 260]];

test("every label lies inside the canvas and no two overlap, in every layout, scale and size", () => {
  for (const count of [1, 2, 3, 6]) {
    const data = makeStore(count, 10, 100);
    for (const [width, height] of SIZES) {
      for (const mode of ["shared", "stacked", "xy"]) {
        for (const scale of ["auto", "channel", "fixed"]) {
          for (const overlay of [null, "paused · disconnected: the device went away"]) {
            const { layout } = draw(width, height, data, { mode: mode, scale: scale, fixedMin: -1000, fixedMax: 1000, marks: marks(400),
                                                           overlay: overlay, xy: [data.series[0], data.series[1]] });
            const where = count + " series, " + width + "x" + height + ", " + mode + ", " + scale + (overlay ? ", overlay" : "");
            if (mode !== "xy" || count > 1) assert.ok(layout.labels.length > 3, where);
            for (const l of layout.labels) {
              assert.ok(l.x >= 0 && l.y >= 0 && l.x + l.w <= width && l.y + l.h <= height, where + ": " + JSON.stringify(l) + " outside");
            }
            for (let i = 0; i < layout.labels.length; i++) {
              for (let j = i + 1; j < layout.labels.length; j++) {
                const a = layout.labels[i], b = layout.labels[j];
                // Six panels on a phone leave no band for the page's message: it may cover a name.
                if (count === 6 && mode === "stacked" && (a.kind === "overlay" || b.kind === "overlay")) continue;
                assert.ok(!overlaps(a, b), where + ": " + JSON.stringify(a) + " overlaps " + JSON.stringify(b));
              }
            }
          }
        }
      }
    }
  }
});

test("the last time label is whole at the right edge", () => {
  const data = makeStore(1, 10, 100);
  for (const [width, height] of SIZES) {
    // The view ends on ten whole seconds, so the last tick (at any step) is on the plot's right edge.
    const { layout } = draw(width, height, data, { t0: T0, t1: T0 + 10000 });
    const times = layout.labels.filter((l) => l.kind === "time");
    const last = times[times.length - 1];
    assert.strictEqual(last.t, T0 + 10000, "a tick at the right edge, " + width);
    assert.ok(last.x + last.w <= width, "inside at " + width);
  }
});

test("per channel in one panel: every series has its own labels (at least two), in its colour, and its name", () => {
  for (const count of [2, 3, 6]) {
    const data = makeStore(count, 10, 100);
    for (const [width, height] of SIZES) {
      const { layout, ops } = draw(width, height, data, { scale: "channel" });
      for (const s of data.series) {
        const mine = layout.labels.filter((l) => l.kind === "y" && l.series === s.name);
        assert.ok(mine.length >= 2, s.name + " has " + mine.length + " labels at " + width + "x" + height);
        for (const l of mine) {
          const drawn = ops.find((o) => o.op === "fillText" && o.text === l.text && Math.abs(o.x - l.x) < 1e-6);
          assert.ok(drawn && drawn.style === s.color, s.name + "'s label " + l.text + " in its colour");
        }
        assert.ok(layout.labels.some((l) => l.kind === "header" && l.series === s.name), s.name + " names its column");
        // The labels say the series' range: the lowest below the highest, inside the range drawn.
        const values = mine.map((l) => l.value);
        const r = layout.panels[0].ranges.get(s.index);
        assert.ok(Math.min(...values) >= r[0] && Math.max(...values) <= r[1]);
      }
      // Alternating sides: left and right of the plot both carry labels.
      const ys = layout.labels.filter((l) => l.kind === "y");
      assert.ok(ys.some((l) => l.x + l.w <= layout.left) && ys.some((l) => l.x >= layout.right), "both sides at " + width);
    }
  }
});

test("stacked: each panel has at least two y labels, whatever its series' size, height or count", () => {
  for (const count of [1, 2, 3, 4, 6]) {
    const data = makeStore(count, 10, 100);
    for (const [width, height] of SIZES) {
      for (const scale of ["auto", "channel"]) {
        const { layout } = draw(width, height, data, { mode: "stacked", scale: scale });
        layout.panels.forEach(function (panel, p) {
          const mine = layout.labels.filter((l) => l.kind === "y" && l.panel === p);
          assert.ok(mine.length >= 2, "panel " + p + " of " + count + " at " + width + "x" + height + ": " + mine.map((l) => l.text));
          // Each label is beside its own panel, not its neighbour's.
          for (const l of mine) assert.ok(l.y >= panel.top - (p === 0 ? 12 : 5) && l.y + l.h <= panel.bottom + 5, JSON.stringify(l));
        });
      }
    }
  }
});

test("grid lines are drawn before (under) the data; names and mark labels after (over) it", () => {
  const data = makeStore(3, 10, 100);
  for (const mode of ["shared", "stacked"]) {
    const { ops } = draw(1240, 496, data, { mode: mode, marks: marks(2000) });
    const isData = (o) => (o.op === "fillRect" || o.op === "stroke") && COLORS.includes(o.style);
    const lastData = ops.map(isData).lastIndexOf(true);
    const firstData = ops.findIndex(isData);
    assert.ok(firstData > 0 && lastData > firstData);
    const grids = ops.map((o, i) => (o.op === "stroke" && o.style === THEME.grid ? i : -1)).filter((i) => i >= 0);
    assert.ok(grids.length > 0);
    if (mode === "shared") assert.ok(grids.every((i) => i < firstData), "every grid stroke before the first data: " + grids + " / " + firstData);
    // Stacked: each panel's grid before that panel's data, none after the last data.
    assert.ok(grids.every((i) => i < lastData), mode + ": a grid stroke after the data");
    const texts = ops.filter((o) => o.op === "fillText");
    const late = (text) => ops.findIndex((o) => o.op === "fillText" && o.text === text) > lastData;
    if (mode === "stacked") for (const s of data.series) assert.ok(late(s.name), s.name + " drawn over the data");
    assert.ok(texts.some((o) => o.text === "connection lost") && late("connection lost"), "mark labels over the data");
    // Text over the data has a translucent panel under it.
    const name = ops.findIndex((o) => o.op === "fillText" && o.text === (mode === "stacked" ? "big" : "connection lost"));
    assert.ok(ops[name - 1].op === "fillRect" && ops[name - 1].style === THEME.panel && ops[name - 1].alpha < 1);
  }
});

test("marks close together on a phone: every mark is listed, labels never overlap, a hidden one still has its line", () => {
  const data = makeStore(3, 10, 100);
  for (const every of [150, 300, 600]) {
    for (const mode of ["shared", "stacked"]) {
      const { layout, ops } = draw(370, 360, data, { mode: mode, marks: marks(every) });
      const expected = marks(every);
      assert.strictEqual(layout.marks.length, expected.length);
      const shown = layout.labels.filter((l) => l.kind === "mark");
      assert.strictEqual(shown.length, layout.marks.filter((m) => m.labelled).length);
      assert.ok(shown.length >= 2, "some labels shown");
      for (const m of layout.marks) assert.ok(expected.some((e) => e.t === m.t && e.text === m.text), "the whole text kept");
      for (let i = 0; i < shown.length; i++) for (let j = i + 1; j < shown.length; j++) assert.ok(!overlaps(shown[i], shown[j]));
      assert.ok(ops.some((o) => o.op === "stroke" && o.style === THEME.marker), "the marks' lines");
    }
  }
});
