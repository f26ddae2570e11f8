// The stacked source panels (web/views/source-panels.js): which sources get a panel, what a
// panel says of its source, and the shared margins that put a time at one x in every plot,
// drawn by the real Plot on a recording canvas. `node --test Tests/Web`. The panels against a
// real bridge: Tests/Browser/test_sources.py.
import test from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { panelNames, alignedMargins, panelState } from "../../../web/views/source-panels.js";

const require = createRequire(import.meta.url);
require("../../../web/store.js");
require("../../../web/plot.js");
const { THEME } = require("../plot-theme.js");
const { SeriesStore, Plot } = globalThis;

const sources = [{ name: "bench" }, { name: "esp32" }, { name: "udp-4210" }];

test("every source but the one the main plot shows gets a panel, in the bridge's order", () => {
  assert.deepEqual(panelNames(sources, "bench"), ["esp32", "udp-4210"]);
  assert.deepEqual(panelNames(sources, "esp32"), ["bench", "udp-4210"]);
  assert.deepEqual(panelNames(sources, "udp-4210"), ["bench", "esp32"]);
  assert.deepEqual(panelNames([{ name: "one" }], "one"), []);
  assert.deepEqual(panelNames([], ""), []);
});

test("a panel says what the main plot's pill would: the stream first, then the source, then silence", () => {
  const connected = { state: "connected" };
  assert.deepEqual(panelState("connecting", connected, 0), { name: "connecting", text: "connecting…" });
  assert.deepEqual(panelState("unreachable", connected, 0), { name: "unreachable", text: "unreachable, retrying" });
  assert.deepEqual(panelState("open", connected, 0.2), { name: "live", text: "live" });
  assert.deepEqual(panelState("open", connected, 7.4), { name: "stale", text: "no data for 7 s" });
  assert.deepEqual(panelState("open", connected, Infinity), { name: "stale", text: "no data yet" });
  assert.deepEqual(panelState("open", { state: "starting" }, Infinity), { name: "stale", text: "waiting for the source" });
  assert.deepEqual(panelState("open", { state: "released" }, 0), { name: "released", text: "released for upload" });
  assert.deepEqual(panelState("open", { state: "disconnected" }, 9), { name: "disconnected", text: "board disconnected" });
  assert.deepEqual(panelState("open", { state: "finished" }, 9), { name: "finished", text: "replay finished" });
});

/// A canvas whose context only measures text (0.6 em a character) and ignores drawing.
function canvas(width, height) {
  const ctx = new Proxy({ font: "10px sans-serif", measureText(text) { return { width: text.length * 0.6 * parseFloat(/(\d+)px/.exec(this.font)[1]) }; } },
    { get: (target, key) => (key in target ? target[key] : () => {}), set: (target, key, value) => { target[key] = value; return true; } });
  return { width: 0, height: 0, getContext: () => ctx, getBoundingClientRect: () => ({ width: width, height: height, left: 0 }) };
}

/// A plot of one series, `values(i)` at T0 + 10·i ms, over [T0, T0 + 10 s].
function render(plot, values, margins) {
  const store = new SeriesStore({ keepMs: 1e12 });
  const columns = [undefined, store.seriesIndex("v")];
  for (let i = 0; i < 1000; i++) store.push(T0 + i * 10, [T0 + i * 10, values(i)], columns);
  return plot.render(Object.assign({ store: store, series: [{ name: "v", index: 0, color: "#e15759" }], t0: T0, t1: T0 + 10000, limit: Infinity,
                                     cursorT: null, mode: "shared", scale: "auto", theme: THEME, marks: [], gaps: [], history: [] }, margins));
}
const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);

test("with the shared margins, plots of very different labels put every time at one x", () => {
  const narrow = new Plot(canvas(1000, 300)), wide = new Plot(canvas(1000, 300));
  // Counts 0–9 against values near two million: labels of one digit against seven.
  const small = (i) => i % 10, large = (i) => 2e6 + 1e5 * Math.sin(i / 40);
  const first = [render(narrow, small, {}), render(wide, large, {})];
  assert.ok(first[1].left > first[0].left, "the large values' labels need the wider margin: " + first[1].left + " vs " + first[0].left);
  const margins = alignedMargins(first);
  assert.equal(margins.left, Math.max(first[0].ownLeft, first[1].ownLeft));
  assert.equal(margins.right, Math.max(first[0].ownRight, first[1].ownRight));
  const second = [render(narrow, small, { minLeft: margins.left, minRight: margins.right }),
                  render(wide, large, { minLeft: margins.left, minRight: margins.right })];
  assert.equal(second[0].left, second[1].left);
  assert.equal(second[0].right, second[1].right);
  assert.equal(second[0].left, margins.left);
  // Settled: the margins asked for are what the plots need, so the next frame changes nothing.
  assert.deepEqual(alignedMargins(second), margins);
  // Without the panels the main plot keeps its own margins.
  assert.equal(render(new Plot(canvas(1000, 300)), small, { minLeft: 0, minRight: 0 }).left, first[0].left);
  // XY layouts and missing ones take no part.
  assert.deepEqual(alignedMargins([null, { kind: "xy", ownLeft: 500 }, second[0]]), { left: second[0].ownLeft, right: second[0].ownRight });
});
