// The stacked source panels (web/views/source-panels.js): which sources get a panel, what a
// panel says of its source, and the shared margins that put a time at one x in every plot,
// drawn by the real Plot on a recording canvas. `node --test Tests/Web`. The panels against a
// real bridge: Tests/Browser/test_sources.py.
import test from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { panelNames, alignedMargins, panelState, settleMargins, SHRINK_AFTER_MS } from "../../../web/views/source-panels.js";

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

test("a slow board is not silent, and a bridge that stopped says so", () => {
  const connected = { state: "connected" };
  assert.deepEqual(panelState("open", connected, 4, 25), { name: "live", text: "live" }, "a line every 5 s: silent only after 25 s");
  assert.deepEqual(panelState("open", connected, 26, 25), { name: "stale", text: "no data for 26 s" });
  assert.deepEqual(panelState("unreachable", connected, 1, 3, true), { name: "stopped", text: "bridge stopped, retrying…" });
  assert.deepEqual(panelState("open", connected, 1, 3, true), { name: "live", text: "live" }, "back: the stream says");
  // A state the bridge never sends is not looked up on Object's prototype.
  assert.deepEqual(panelState("open", { state: "constructor" }, 0), { name: "live", text: "live" });
});

test("margins grow at once, shrink only after the narrower need lasted, and never take turns", () => {
  const m = (left, right) => ({ left, right });
  let step = settleMargins(m(58, 14), m(67, 14), null, 0);
  assert.deepEqual(step, { margins: m(67, 14), narrowerSince: null, redraw: true });
  step = settleMargins(m(67, 14), m(67, 14), null, 10);
  assert.deepEqual(step, { margins: m(67, 14), narrowerSince: null, redraw: false });
  // A plot whose labels depend on its width: at 67 it needs 58, at 58 it needs 67. The
  // margins stay at 67 and nothing asks for a redraw, however many frames.
  let margins = m(67, 14), since = null, redraws = 0;
  for (let frame = 0; frame < 100; frame++) {
    const needed = margins.left === 67 ? m(58, 14) : m(67, 14);
    const next = settleMargins(margins, needed, since, frame * 10);   // 1 s of frames
    margins = next.margins; since = next.narrowerSince; redraws += next.redraw ? 1 : 0;
  }
  assert.deepEqual(margins, m(67, 14));
  assert.equal(redraws, 0);
  // A need that stays narrower (the wide panel closed) is taken after SHRINK_AFTER_MS.
  step = settleMargins(m(67, 14), m(58, 14), since, since + SHRINK_AFTER_MS - 1);
  assert.deepEqual(step.margins, m(67, 14));
  step = settleMargins(m(67, 14), m(58, 14), since, since + SHRINK_AFTER_MS);
  assert.deepEqual(step, { margins: m(58, 14), narrowerSince: null, redraw: true });
  // One side wider, the other narrower: the wider taken, the other kept for now.
  assert.deepEqual(settleMargins(m(58, 30), m(70, 14), null, 0).margins, m(70, 30));
});

// ---- The panels themselves, on a fake page: their streams opened and closed ----

/// The least of a DOM the panels use: elements that keep their children, attributes and listeners.
function fakeDocument() {
  const doc = {
    createElement(tag) {
      const element = {
        tagName: tag.toUpperCase(), ownerDocument: doc, children: [], parent: null, dataset: {}, style: {}, attributes: {},
        className: "", textContent: "", title: "", hidden: false, listeners: {},
        setAttribute(key, value) { this.attributes[key] = value; },
        addEventListener(type, listener) { (this.listeners[type] = this.listeners[type] || []).push(listener); },
        append(...items) { for (const item of items) if (typeof item === "object") this.appendChild(item); },
        appendChild(child) { if (child.parent) child.remove(); child.parent = this; this.children.push(child); return child; },
        remove() { if (this.parent) this.parent.children.splice(this.parent.children.indexOf(this), 1); this.parent = null; },
        getContext() { return new Proxy({}, { get: () => () => ({ width: 0 }) }); },
        getBoundingClientRect() { return { left: 0, width: 800, height: 200 }; },
      };
      return element;
    },
  };
  return doc;
}

/// WebSockets that record what was opened and closed; `open()` and `say(message)` act as the bridge.
function fakeSockets() {
  const made = [];
  class FakeSocket {
    constructor(url, protocols) { this.url = url; this.protocols = protocols; this.readyState = 0; this.closed = false; made.push(this); }
    open() { this.readyState = 1; this.onopen(); }
    say(message) { this.onmessage({ data: JSON.stringify(message) }); }
    close() { this.closed = true; this.readyState = 3; if (this.onclose) this.onclose({ code: 1005 }); }
    drop(code) { this.readyState = 3; this.onclose({ code: code || 1006 }); }
  }
  return { FakeSocket, made };
}

function fakeHost(container, sockets, timers) {
  return {
    container: container, Plot: Plot, SeriesStore: SeriesStore, History: globalThis.SensorHistory,
    WebSocket: sockets.FakeSocket, setTimeout: (f, ms) => timers.push({ f, ms }), fetch: () => new Promise(() => {}),
    streamBase: "ws://bridge/graph", streamQuery: (name) => new URLSearchParams({ history: "600", source: name }),
    apiURL: (path, fields) => path + "?" + new URLSearchParams(fields), now: () => 1e12, colors: ["#e15759"], historySeconds: 600,
    requestDraw() {}, zoom() {}, dragStart() { return { t0: 0, t1: 1 }; }, dragTo() {}, dragEnd() {}, hover() {}, resetZoom() {},
  };
}

test("each panel streams its own source; panels that go close their stream, and a retry waiting opens nothing", async () => {
  const { createSourcePanels } = await import("../../../web/views/source-panels.js");
  const doc = fakeDocument(), container = doc.createElement("div"), sockets = fakeSockets(), timers = [];
  const panels = createSourcePanels(fakeHost(container, sockets, timers));
  const list = [{ name: "bench", location: "/dev/ttyACM0" }, { name: "esp", location: "esp.local:23" }, { name: "udp", location: ":4210" }];
  panels.show(list, ["esp", "udp"]);
  assert.equal(panels.count, 2);
  assert.deepEqual(sockets.made.map((s) => new URL(s.url).searchParams.get("source")), ["esp", "udp"]);
  assert.deepEqual(sockets.made.map((s) => s.protocols[0]), ["sensorbridge.batch.v1", "sensorbridge.batch.v1"]);
  assert.deepEqual(container.children.map((box) => box.dataset.source), ["esp", "udp"]);
  assert.equal(container.hidden, false);

  // The bridge answers one: its samples are that panel's alone.
  const esp = sockets.made[0];
  esp.open();
  esp.say({ type: "hello", stream: "s1", channels: ["c", "d"], seq: 0, state: "connected" });
  esp.say({ type: "samples", seq: 0, samples: [[1e12 - 20, 1, 500], [1e12 - 10, 2, 501]] });
  esp.say({ type: "samples", seq: 1, samples: [[1e12 - 10, 2, 501], [1e12, 3, 502]] });   // a resend of one: held once
  const [first, second] = panels.describe();
  assert.deepEqual([first.name, first.samples, first.duplicates, first.series, first.latest], ["esp", 3, 1, ["c", "d"], { c: 3, d: 502 }]);
  assert.deepEqual([second.name, second.samples, second.state], ["udp", 0, "connecting"]);

  // A drop: one mark however many retries fail, no break (the stream resumes after seq 2).
  esp.drop();
  const retry = timers.shift();
  retry.f();
  sockets.made[sockets.made.length - 1].drop();
  timers.shift().f();
  const resumed = sockets.made[sockets.made.length - 1];
  assert.equal(new URL(resumed.url).searchParams.get("after"), "2", "resumes after the newest held");
  assert.equal(panels.describe()[0].state, "connecting");
  assert.deepEqual(panels.describe()[0].marks, ["lost"], "one mark for the outage");
  resumed.open();
  resumed.say({ type: "hello", stream: "s1", channels: ["c", "d"], seq: 3, state: "connected" });
  resumed.say({ type: "samples", seq: 3, samples: [[1e12 + 10, 4, 503]] });
  assert.deepEqual([panels.describe()[0].samples, panels.describe()[0].state, panels.describe()[0].duplicates], [4, "live", 1]);

  // Another source shown in the main plot: the order changes, the kept panels keep their stream.
  const before = sockets.made.length;
  panels.show(list, ["bench", "esp"]);
  assert.deepEqual(container.children.map((box) => box.dataset.source), ["bench", "esp"]);
  assert.equal(sockets.made.length, before + 1, "only bench's stream is new");
  const udp = sockets.made[1];
  assert.equal(udp.closed, true, "udp's panel went: its stream is closed");

  // Every panel closed (the box unticked): every stream closed, and the retry that was
  // waiting for esp's next attempt opens nothing.
  resumed.drop();
  const waiting = timers.shift();
  panels.show(list, []);
  assert.equal(panels.count, 0);
  assert.equal(container.children.length, 0);
  assert.equal(container.hidden, true);
  const count = sockets.made.length;
  waiting.f();
  assert.equal(sockets.made.length, count, "no socket opened after the panels closed");
  assert.ok(sockets.made.every((s) => s.closed || s.readyState === 3), "no socket left open");
});
