// The plot's column cache (web/plot.js, Plot.prototype.columnsOf): drawn with the summaries
// kept from earlier draws, the plot must make exactly the drawing calls of a plot that
// summarises every column afresh. Run with `node --test Tests/Web`.
"use strict";
const test = require("node:test");
const assert = require("node:assert");
require("../../web/store.js");
require("../../web/plot.js");
const SeriesStore = globalThis.SeriesStore, Plot = globalThis.Plot;

const { THEME } = require("./plot-theme.js");
const COLORS = ["#e15759", "#59a14f", "#4e79a7", "#f28e2b"];
const T0 = Date.UTC(2025, 10, 21, 12, 0, 0) + 0.375;

/// A 2-D context that records every call with its arguments and the style it was made in,
/// one string per call.
function recordingCanvas(width, height) {
  const ops = [];
  const ctx = {
    font: "10px sans-serif", fillStyle: "#000", strokeStyle: "#000", lineWidth: 1, globalAlpha: 1,
    textAlign: "left", textBaseline: "alphabetic", lineJoin: "miter",
    measureText(text) { return { width: text.length * 0.6 * parseFloat(/(\d+(\.\d+)?)px/.exec(this.font)[1]) }; },
  };
  for (const name of ["setTransform", "save", "restore", "clip", "beginPath", "moveTo", "lineTo", "rect", "arc", "setLineDash",
                      "fill", "stroke", "strokeRect", "fillRect", "fillText"]) {
    ctx[name] = function () {
      const style = name.startsWith("fill") ? this.fillStyle : name.startsWith("stroke") ? this.strokeStyle + " " + this.lineWidth : "";
      ops.push(name + "(" + Array.from(arguments).map(String).join(",") + ")" + (style ? " " + style + " " + this.globalAlpha : "") +
               (name === "fillText" ? " " + this.font + " " + this.textAlign : ""));
    };
  }
  const canvas = { width: 0, height: 0, getContext: () => ctx, getBoundingClientRect: () => ({ width: width, height: height }) };
  return { canvas: canvas, ops: ops };
}

/// A live-like store: `rate` Hz, three series (one only on every third line, as a labelled
/// sketch sends it), keeping `keepMs` (in `store`, when given).
function liveStore(keepMs, store) {
  store = store || new SeriesStore({ keepMs: keepMs });
  const names = ["big", "sparse", "level"];
  const columns = names.map((name) => store.seriesIndex(name));
  let n = 0;
  const push = function (t) {
    const row = [800 * Math.sin(n / 300) + (n * 7919 % 97), n % 3 ? null : 0.02 * Math.cos(n / 170), 500.5 + (n % 1000) / 10];
    store.push(t, row, columns);
    n++;
  };
  return { store: store, push: push, series: names.map((name, k) => ({ name: name, index: k, color: COLORS[k] })) };
}

function render(plot, view) {
  const rec = plot.rec;
  rec.ops.length = 0;
  plot.render(view);
  return rec.ops.slice();
}

function newPlot(width, height, cache) {
  const rec = recordingCanvas(width, height);
  const plot = new Plot(rec.canvas);
  plot.cacheColumns = cache;
  plot.rec = rec;
  return plot;
}

/// Draws every view of `steps` with one plot that keeps its columns and with a new plot that
/// keeps none, and asserts the same drawing calls; returns how many views were compared.
function compare(width, height, steps) {
  const cached = newPlot(width, height, true);
  let n = 0, afresh = 0;
  for (const view of steps()) {
    const fresh = newPlot(width, height, false);
    const want = render(fresh, view), got = render(cached, view);
    afresh += fresh.summarised;
    if (got.length !== want.length || got.some((op, i) => op !== want[i])) {
      const i = got.findIndex((op, k) => op !== want[k]);
      assert.fail("view " + n + " (" + JSON.stringify({ t0: view.t0, t1: view.t1, mode: view.mode, scale: view.scale, limit: view.limit }) +
                  "): call " + i + " is " + got[i] + ", afresh " + want[i] + " (" + got.length + " and " + want.length + " calls)");
    }
    n++;
  }
  return { views: n, summarised: cached.summarised, afresh: afresh };
}

function baseView(data, t0, t1, options) {
  return Object.assign({ store: data.store, series: data.series, t0: t0, t1: t1, limit: Infinity, cursorT: null, mode: "shared",
                         scale: "auto", theme: THEME, marks: [], gaps: [], history: [] }, options || {});
}

test("live: the cached columns draw exactly what a full recompute draws, as samples arrive, the oldest go and lines break", () => {
  // 1 kHz, a 60 s view on a 500 px canvas (about 140 samples, two whole blocks, a column);
  // the store keeps 50 s, so its oldest samples leave inside the view. It starts small and
  // grows its rings on the way.
  const data = liveStore(50000);
  const span = 60000;
  let now = T0;
  for (; now < T0 + 20000; now += 1) data.push(now);
  const probe = newPlot(500, 300, false);
  probe.render(baseView(data, now - span, now));
  const ms = span / (probe.layout.right - probe.layout.left);
  const views = function* () {
    for (let step = 0; step < 260; step++) {
      // As the page does: the view ends at now. Mostly a column (or a bit more or less) further
      // on per draw, sometimes exactly one column, sometimes several or none.
      const advance = step % 7 === 3 ? ms * 3.3 : step % 5 === 0 ? 0 : step % 4 === 1 ? ms : ms * (0.6 + (step % 9) / 10);
      const until = now + advance;
      if (step === 90 || step === 170) {
        // A disconnection: no samples for 2 s, then a break before the next of every series.
        data.store.breakAll(now, "disconnected", "disconnected");
        now += 2000;
      }
      if (step === 200) now += 1;                // a sample at an odd time
      for (; now < until; now += 1) data.push(now);
      const mode = step < 120 ? "shared" : step < 180 ? "stacked" : "shared";
      const scale = step < 60 ? "auto" : step < 150 ? "channel" : "auto";
      yield baseView(data, now - span, now, { mode: mode, scale: scale, marks: data.store.events });
    }
  };
  const run = compare(500, 300, views);
  assert.strictEqual(run.views, 260);
  // And the cache did its work: most columns were kept, not summarised again.
  assert.ok(run.summarised < run.afresh / 10, run.summarised + " columns summarised with the cache, " + run.afresh + " without");
  assert.ok(data.store.capacity >= 65536, "the rings grew during the run");
  assert.ok(data.store.firstTime() > T0, "the store dropped its oldest samples");
});

test("paused: a limit, a pan by whole and part columns and a zoom draw as a full recompute does, while samples arrive", () => {
  const data = liveStore(30000);
  let now = T0;
  for (; now < T0 + 40000; now += 2) data.push(now);
  const views = function* () {
    const limit = now - 1;
    let t1 = limit, span = 20000;
    for (let step = 0; step < 80; step++) {
      // Samples keep arriving (after the limit) and the oldest leave while paused.
      for (const until = now + 150; now < until; now += 2) data.push(now);
      if (step < 30) t1 -= span / 400 * (step % 3 === 0 ? 1 : 0.45);
      else if (step < 40) span *= step % 2 ? 0.8 : 1.25;
      else t1 += span / 350;
      yield baseView(data, t1 - span, t1, { limit: limit, scale: step % 2 ? "channel" : "auto" });
    }
  };
  const run = compare(480, 260, views);
  assert.strictEqual(run.views, 80);
  assert.ok(run.summarised < run.afresh / 2, run.summarised + " columns summarised with the cache, " + run.afresh + " without");
});

test("a limit, a reset store, a hidden series and a resized canvas are drawn afresh", () => {
  let data = liveStore(60000);
  let now = T0;
  for (; now < T0 + 30000; now += 5) data.push(now);
  const cached = newPlot(600, 300, true);
  const check = function (view, width) {
    cached.rec.canvas.getBoundingClientRect = () => ({ width: width, height: 300 });
    assert.deepStrictEqual(render(cached, view), render(newPlot(width, 300, false), view));
  };
  check(baseView(data, now - 20000, now), 600);
  check(baseView(data, now - 20000, now, { series: data.series.slice(1) }), 600);
  // The same columns with a limit before samples the cache has seen.
  check(baseView(data, now - 20000, now, { limit: now - 5000 }), 600);
  check(baseView(data, now - 20000, now), 420);
  // The page's store reset and refilled (fillSynthetic, a new stream): new rings.
  data.store.reset();
  data = liveStore(60000, data.store);
  for (let t = now - 10000; t < now; t += 3) data.push(t);
  check(baseView(data, now - 20000, now), 420);
});

test("each column's summary is its samples' first, last, min, max and breaks, however the ring lies", () => {
  // A wrapped ring (the store keeps 20 s of 1 kHz in 32 768 slots), a series on every third
  // line only, a break; columns of 5 to 700 samples, so some hold whole 64-sample blocks.
  const data = liveStore(20000);
  let now = T0;
  for (; now < T0 + 45000; now += 1) {
    if (now === T0 + 38000) { data.store.breakAll(now, "disconnected"); now += 500; }
    data.push(now);
  }
  const store = data.store;
  assert.ok(store.start > 0, "the ring wrapped");
  const plot = new Plot({ getContext: () => ({}) });
  for (const ms of [5.25, 77.5, 700]) {
    const k0 = Math.floor(store.firstTime() / ms) - 3, width = Math.ceil(21000 / ms) + 6;
    for (let s = 0; s < 3; s++) {
      const set = plot.columnsOf(store, s, ms, k0, width, Infinity, store.length);
      const want = Array.from({ length: width }, () => ({ first: NaN, last: NaN, min: Infinity, max: -Infinity, brk: 0 }));
      for (let i = 0; i < store.length; i++) {
        const p = store.physical(i), v = store.values[s][p], c = Math.floor(store.time[p] / ms) - k0;
        if (v !== v || c < 0 || c >= width) continue;
        const w = want[c];
        if (w.first !== w.first) w.first = v;
        w.last = v;
        w.min = Math.min(w.min, v);
        w.max = Math.max(w.max, v);
        w.brk |= store.breaks[s][p];
      }
      want.forEach(function (w, c) {
        const got = { first: set.first[c], last: set.last[c], min: set.min[c], max: set.max[c], brk: set.brk[c] };
        if (w.min === Infinity) assert.strictEqual(got.min, Infinity, "column " + c + " of series " + s + " at " + ms + " ms is empty");
        else assert.deepStrictEqual(got, w, "column " + c + " of series " + s + " at " + ms + " ms");
      });
      assert.ok(want.some((w) => w.brk), "a column with a break");
    }
  }
});
