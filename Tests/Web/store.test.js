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

test("a line breaks only where the stream says so, never from late, bunched or sparse arrivals", () => {
  const store = new SeriesStore({ keepMs: 1e12 });
  const temp = store.seriesIndex("temp"), hum = store.seriesIndex("hum");
  let t = 0;
  for (let i = 0; i < 40; i++) { t += 20; store.push(t, i % 2 ? [null, 40] : [21, null], [temp, hum]); }
  t += 3000;  // the board was quiet for 3 s (or the samples came late): nothing was lost
  for (let i = 0; i < 10; i++) { t += i === 5 ? 120 : 1; store.push(t, i % 2 ? [null, 41] : [22, null], [temp, hum]); }
  assert.deepStrictEqual(store.breakTimes(temp), [20], "a line starts at its first value, and nowhere else");
  assert.deepStrictEqual(store.breakTimes(hum), [40]);
  store.breakAll(t, "gap", "gap: 3 skipped");
  store.push(t + 20, [23, 42], [temp, hum]);
  assert.deepStrictEqual(store.breakTimes(temp), [20, t + 20], "a gap the stream announced breaks it");
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

test("CSV written a slice at a time equals the whole, within a time range, while samples arrive and drop out", () => {
  const store = new SeriesStore({ capacity: 256, maxCapacity: 512, keepMs: 1e12 });
  const a = store.seriesIndex("a"), b = store.seriesIndex("b");
  const base = 1763683199000;
  // Times repeat (two samples in one ms) and cross whole seconds.
  for (let i = 0; i < 400; i++) store.push(base + Math.floor(i / 2) * 7.25, [i, i % 3 ? null : -i / 4], [a, b]);
  const whole = store.csv();
  const writer = store.csvWriter();
  let text = writer.header;
  while (!writer.done) text += writer.next(7);
  assert.strictEqual(text, whole, "the same text as csv(), ISO times included");
  assert.strictEqual(writer.rows, 400);

  const from = store.timeAt(100), to = store.timeAt(299);
  const ranged = store.csvWriter(from, to);
  assert.strictEqual(ranged.total, 200);
  let part = ranged.header;
  let n = 400;
  while (!ranged.done) {
    part += ranged.next(13);
    // More samples arrive between slices; the ring is full, so the oldest drop out.
    for (let k = 0; k < 9; k++, n++) store.push(base + Math.floor(n / 2) * 7.25, [n, null], [a, b]);
  }
  const lines = part.trim().split("\n");
  assert.strictEqual(lines.length, 201, "each row of the range once, none after `to`");
  assert.deepStrictEqual(lines.slice(1).map((l) => Number(l.split(",")[2])), Array.from({ length: 200 }, (_, k) => 100 + k));
});

test("the rate counts the 2 s up to the newest sample, so samples still on their way do not lower it", () => {
  const store = new SeriesStore({ keepMs: 1e12 });
  const x = store.seriesIndex("x");
  for (let i = 0; i <= 10000; i++) store.push(i, [i], [x]);     // 1 kHz for 10 s
  // The page took the newest 35 ms late: the clock is past the last sample held.
  assert.strictEqual(store.rate(10000 + 35, 2000), 1000);
  assert.strictEqual(store.rate(10000, 2000), 1000);
  // Stalled: measured to the clock, so it falls as the window empties, to 0.
  assert.ok(store.rate(10000 + 1000, 2000) < 510 && store.rate(10000 + 1000, 2000) > 490);
  assert.strictEqual(store.rate(10000 + 2500, 2000), 0);
  // A stall of 150 ms, then the samples all at once: the window still counts 2 s of them.
  const bursty = new SeriesStore({ keepMs: 1e12 });
  const z = bursty.seriesIndex("z");
  for (let i = 0; i <= 10000; i++) bursty.push(i > 8000 && i < 8150 ? 8150 : i, [i], [z]);
  assert.strictEqual(bursty.rate(10010, 2000), 1000);
  const slow = new SeriesStore({ keepMs: 1e12 });
  const y = slow.seriesIndex("y");
  for (let t = 0; t <= 10000; t += 1000) slow.push(t, [1], [y]);  // 1 Hz
  assert.strictEqual(slow.rate(10400, 2000), 1);
});

test("tilt only from ADXL335 counts or from g, never a nonsense angle", () => {
  const Tilt = globalThis.Tilt;
  const near = (a, b) => Math.abs(a - b) < 1e-9;
  const flatG = Tilt.tilt(0, 0, 1, 338);
  assert.strictEqual(flatG.unit, "g");
  assert.ok(near(flatG.pitch, 0) && near(flatG.roll, 0), "a flat board printing g reads 0°, not -134.9°");
  const tippedG = Tilt.tilt(Math.SQRT1_2, 0, Math.SQRT1_2, 338);
  assert.ok(near(tippedG.pitch, 45));
  const flatCounts = Tilt.tilt(338, 338, 338 + 67.6, 338);
  assert.strictEqual(flatCounts.unit, "counts");
  assert.ok(near(flatCounts.pitch, 0) && near(flatCounts.roll, 0));
  const rolled = Tilt.tilt(338, 338 + 67.6, 338, 338);
  assert.ok(near(rolled.roll, 90));
  assert.strictEqual(Tilt.tilt(512, 512, 512, 338), null, "4.5 g is no board at rest");
  assert.strictEqual(Tilt.tilt(512, 512, 512, 512), null, "all at zero-g is no reading at rest");
  assert.strictEqual(Tilt.tilt(0, 0, 9.81, 338), null, "m/s²: not a unit the readout knows yet");
  assert.strictEqual(Tilt.tilt(1200, 40, 3, 338), null, "some other sensor");
  assert.strictEqual(Tilt.tilt(0, NaN, 1, 338), null);
});
