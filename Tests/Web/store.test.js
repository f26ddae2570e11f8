// Unit tests of the page's SeriesStore (web/store.js), run with `node --test Tests/Web`.
"use strict";
const test = require("node:test");
const assert = require("node:assert");
require("../../web/store.js");
const SeriesStore = globalThis.SeriesStore;

/// Per-column [min, max] of series s in [t0, t1], the slow way.
function bruteColumns(store, s, t0, t1, msPerColumn) {
  const out = new Map();
  for (let i = 0; i < store.length; i++) {
    const p = store.physical(i), t = store.time[p], v = store.values[s][p];
    if (v !== v || t < t0 || t > t1) continue;
    const c = Math.floor((t - t0) / msPerColumn);
    const cur = out.get(c) || [Infinity, -Infinity];
    out.set(c, [Math.min(cur[0], v), Math.max(cur[1], v)]);
  }
  return out;
}

test("column min/max from block summaries equals a full scan, across growth and wrap-around", () => {
  const store = new SeriesStore({ capacity: 256, maxCapacity: 1024, keepMs: 1e12 });
  const a = store.seriesIndex("a"), b = store.seriesIndex("b");
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 5000; i++) {
    // b appears on every third sample only: summaries must skip the missing values.
    store.push(1000 + i, [random() * 100, i % 3 === 0 ? random() * 10 : null], [a, b]);
  }
  assert.strictEqual(store.capacity, 1024, "grew to the maximum, then wrapped");
  assert.strictEqual(store.length, 1024);
  for (const [t0, t1, width] of [[store.firstTime(), store.lastTime(), 7], [store.firstTime() + 100, store.lastTime() - 50, 300], [4500, 4700, 1]]) {
    for (const s of [a, b]) {
      const expected = bruteColumns(store, s, t0, t1, width);
      const seen = new Map();
      store.columns(s, t0, t1, width, (c, first, min, max) => {
        if (c >= 0 && t0 + c * width <= t1) seen.set(c, [min, max]);
      });
      for (const [c, range] of expected) assert.deepStrictEqual(seen.get(c), range, "column " + c + " of series " + s);
    }
  }
});

test("a series breaks its line after a silence much longer than its usual interval", () => {
  const store = new SeriesStore({ keepMs: 1e12 });
  const temp = store.seriesIndex("temp"), hum = store.seriesIndex("hum");
  const breaks = (s) => { const out = []; for (let i = 0; i < store.length; i++) if (store.breaks[s][store.physical(i)]) out.push(store.timeAt(i)); return out; };
  let t = 0;
  for (let i = 0; i < 40; i++) { t += 20; store.push(t, i % 2 ? [null, 40] : [21, null], [temp, hum]); }
  t += 3000;  // the board was quiet for 3 s
  for (let i = 0; i < 10; i++) { t += 20; store.push(t, i % 2 ? [null, 41] : [22, null], [temp, hum]); }
  assert.deepStrictEqual(breaks(temp), [20, 3820], "alternating values do not break; the silence does");
  assert.deepStrictEqual(breaks(hum), [40, 3840]);
});

test("an explicit break (a gap, a disconnection) breaks every series at its next value", () => {
  const store = new SeriesStore({ keepMs: 1e12 });
  const x = store.seriesIndex("x");
  for (let i = 0; i < 10; i++) store.push(i * 10, [i], [x]);
  store.breakAll(95, "gap", "gap: 12 skipped");
  store.push(100, [10], [x]);
  assert.strictEqual(store.breaks[x][store.physical(store.length - 1)], 1);
  assert.deepStrictEqual(store.events, [{ t: 95, kind: "gap", text: "gap: 12 skipped" }]);
});

test("the store keeps keepMs of history and reads values at a time", () => {
  const store = new SeriesStore({ keepMs: 1000 });
  const x = store.seriesIndex("x");
  for (let i = 0; i <= 300; i++) store.push(i * 10, [i], [x]);
  assert.strictEqual(store.firstTime(), 2000);
  assert.strictEqual(store.lastTime(), 3000);
  assert.deepStrictEqual(store.valueAt(x, 2505, 1000), { t: 2500, v: 250 });
  assert.strictEqual(store.valueAt(x, 1000, 100), null);
});

test("CSV has ISO time, ms and one column per series by name, empty where a line had no value", () => {
  const store = new SeriesStore();
  const a = store.seriesIndex("a"), b = store.seriesIndex("b,c");
  store.push(1763683200123.5, [1, null], [a, b]);
  store.push(1763683200143.5, [null, -0.5], [a, b]);
  assert.strictEqual(store.csv(),
    'time,ms,a,"b,c"\n2025-11-21T00:00:00.123Z,1763683200123.500,1,\n2025-11-21T00:00:00.143Z,1763683200143.500,,-0.5\n');
});

test("a series the bridge forgot is dropped once none of its values is held, and the others keep theirs", () => {
  const store = new SeriesStore({ capacity: 256, keepMs: 1000 });
  const old = store.seriesIndex("old"), kept = store.seriesIndex("kept");
  for (let t = 0; t < 500; t += 10) store.push(t, [1, 2], [old, kept]);
  assert.strictEqual(store.retire(["kept"]), false, "its values are still on the page");
  const fresh = store.seriesIndex("fresh");
  for (let t = 500; t < 2000; t += 10) store.push(t, [3, 4], [store.index.get("kept"), fresh]);
  assert.strictEqual(store.retire(["kept", "fresh"]), true, "its last value scrolled out");
  assert.deepStrictEqual(store.names, ["kept", "fresh"]);
  assert.strictEqual(store.values.length, 2);
  assert.strictEqual(store.index.get("fresh"), 1);
  const at = store.valueAt(store.index.get("fresh"), store.lastTime(), 100);
  assert.strictEqual(at.v, 4, "the remaining series read their own values");
  assert.strictEqual(store.retire(["kept", "fresh"]), false);
});
