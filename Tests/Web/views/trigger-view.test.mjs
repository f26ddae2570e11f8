// The trigger view's capture (web/maths/trigger.js, TriggerCapture): a state machine fed the
// live samples a few at a time, against signals whose crossings are known. `node --test Tests/Web`.
import test from "node:test";
import assert from "node:assert/strict";
import { TriggerCapture, preTriggerMs, sweepCSV } from "../../../web/maths/trigger.js";

const close = (a, b, tolerance, what) => assert.ok(Math.abs(a - b) <= tolerance, `${what}: ${a} vs ${b} (±${tolerance})`);

/** A triangle from 0 to 10 and back, period `period` ms, sampled every `dt` ms from `start`:
 * piecewise linear, so the interpolated crossings are exact. */
function triangle({ n, dt = 1, period = 100, start = 1000.25 }) {
  const times = Float64Array.from({ length: n }, (_, i) => start + i * dt);
  const values = Float64Array.from(times, (t) => { const p = ((t % period) + period) % period / period; return p < 0.5 ? 20 * p : 20 * (1 - p); });
  return { times, values };
}

/** Feeds the samples in chunks of the given sizes (cycled); returns the capture. */
function feedInChunks(capture, times, columns, sizes) {
  let i = 0, k = 0;
  while (i < times.length) {
    const n = sizes[k++ % sizes.length], j = Math.min(times.length, i + n);
    const part = new Map([...Object.entries(columns)].map(([name, v]) => [name, v.subarray(i, j)]));
    capture.feed(times.subarray(i, j), part);
    i = j;
  }
  return capture;
}

test("trigger times are the exact crossings of a known signal, however the samples are cut into feeds", () => {
  // Rising through 2.5 on the triangle: t % 100 = 12.5. Falling: t % 100 = 87.5.
  const { times, values } = triangle({ n: 1000 });
  for (const sizes of [[1000], [1], [3, 7, 1, 16], [50]]) {
    const rising = feedInChunks(new TriggerCapture({ source: "v", level: 2.5, edge: "rising", mode: "normal", span: 40, pre: 10 }), times, { v: values }, sizes);
    const expected = [1012.5, 1112.5, 1212.5, 1312.5, 1412.5, 1512.5, 1612.5, 1712.5, 1812.5, 1912.5];
    assert.equal(rising.triggers, 10, "sizes " + sizes);
    rising.triggerTimes.forEach((t, k) => close(t, expected[k], 1e-9, "rising trigger " + k));
    assert.equal(rising.state, "triggered");
    assert.equal(rising.lastTriggerTime, rising.sweep.t0);
    const falling = feedInChunks(new TriggerCapture({ source: "v", level: 2.5, edge: "falling", mode: "normal", span: 40, pre: 10 }), times, { v: values }, sizes);
    falling.triggerTimes.forEach((t, k) => close(t, 1087.5 + 100 * k, 1e-9, "falling trigger " + k));
    const either = feedInChunks(new TriggerCapture({ source: "v", level: 2.5, edge: "either", mode: "normal", span: 20, pre: 5 }), times, { v: values }, sizes);
    assert.equal(either.triggers, 19, "either edge: both crossings each period (the last falling one has no end yet)");
  }
  // A sine: crossings of 0.5 where sin(ωt) = 0.5, within linear interpolation's error at 1 ms.
  const w = 2 * Math.PI * 5 / 1000, st = Float64Array.from({ length: 2000 }, (_, i) => i);
  const sv = Float64Array.from(st, (t) => Math.sin(w * t));
  const sine = feedInChunks(new TriggerCapture({ source: "s", level: 0.5, mode: "normal", span: 100, pre: 50 }), st, { s: sv }, [13]);
  assert.equal(sine.triggers, 10);
  sine.triggerTimes.forEach((t, k) => close(t, (Math.PI / 6 + 2 * Math.PI * k) / w, 0.005, "sine trigger " + k));
});

test("the sweep is aligned on the crossing, holds every series, and waits for its post-trigger samples", () => {
  const { times, values } = triangle({ n: 120 });
  const other = Float64Array.from(times, (t) => t * 2);
  const capture = new TriggerCapture({ source: "v", level: 2.5, mode: "normal", span: 40, pre: 10 });
  // The first crossing is at 1012.5: its sweep ends at 1042.5.
  const upTo = (t) => times.findIndex((x) => x > t);
  capture.feed(times.subarray(0, upTo(1042)), new Map([["v", values.subarray(0, upTo(1042))], ["w", other.subarray(0, upTo(1042))]]));
  assert.equal(capture.triggers, 0, "not before the sweep's end has arrived");
  assert.equal(capture.sweep, null);
  assert.equal(capture.state, "armed");
  capture.feed(times.subarray(upTo(1042)), new Map([["v", values.subarray(upTo(1042))], ["w", other.subarray(upTo(1042))]]));
  assert.equal(capture.triggers, 1, "then once");
  const s = capture.sweep;
  close(s.t0, 1012.5, 1e-9, "t0");
  assert.ok(s.times[0] >= -10 && s.times[0] < -9, "from pre before");
  assert.ok(s.times[s.times.length - 1] <= 30 && s.times[s.times.length - 1] > 29, "to post after");
  const before = s.times.findLastIndex((t) => t < 0);
  assert.ok(s.values.get("v")[before] < 2.5 && s.values.get("v")[before + 1] >= 2.5, "below just before t = 0, above just after");
  s.times.forEach((t, k) => close(s.values.get("w")[k], 2 * (t + s.t0), 1e-9, "the other series beside it"));
  const report = JSON.parse(JSON.stringify(capture.report()));
  assert.deepEqual(Object.keys(report.sweep.values), ["v", "w"]);
  assert.equal(report.sweep.times.length, s.times.length);
});

test("a crossing straddling two feeds is found once, at its interpolated time; samples fed again are ignored", () => {
  const capture = new TriggerCapture({ source: "v", level: 5, mode: "normal", span: 20, pre: 5 });
  capture.feed([0, 10, 20], { v: [0, 1, 2] });
  capture.feed([20, 30], { v: [2, 8] });          // 20 again: ignored
  capture.feed([30, 40, 50], { v: [8, 9, 9] });   // 30 again
  capture.feed([60, 70], { v: [9, 9] });
  assert.equal(capture.triggers, 1);
  close(capture.lastTriggerTime, 25, 1e-12, "between 20 (2) and 30 (8)");
  capture.feed([80, 90, 100], { v: [9, 9, 9] });
  assert.equal(capture.triggers, 1, "no second trigger without a second crossing");
});

test("holdoff: no trigger within it of the one before", () => {
  const { times, values } = triangle({ n: 1000 });
  const capture = feedInChunks(new TriggerCapture({ source: "v", level: 2.5, mode: "normal", span: 40, pre: 10, holdoff: 150 }), times, { v: values }, [7]);
  assert.deepEqual(capture.triggerTimes.map((t) => Math.round(t * 10) / 10), [1012.5, 1212.5, 1412.5, 1612.5, 1812.5]);
  // Nor during the sweep: a sweep longer than the period takes every other one.
  const long = feedInChunks(new TriggerCapture({ source: "v", level: 2.5, mode: "normal", span: 130, pre: 10 }), times, { v: values }, [7]);
  assert.deepEqual(long.triggerTimes.map((t) => Math.round(t * 10) / 10), [1012.5, 1212.5, 1412.5, 1612.5, 1812.5]);
});

test("single stops after one capture until re-armed; re-armed, it takes the next crossing after now", () => {
  const { times, values } = triangle({ n: 1000 });
  const capture = new TriggerCapture({ source: "v", level: 2.5, mode: "single", span: 40, pre: 10 });
  capture.feed(times.subarray(0, 500), { v: values.subarray(0, 500) });
  assert.equal(capture.state, "stopped");
  assert.equal(capture.triggers, 1);
  close(capture.sweep.t0, 1012.5, 1e-9, "the first");
  capture.feed(times.subarray(500, 700), { v: values.subarray(500, 700) });
  assert.equal(capture.triggers, 1, "stopped");
  close(capture.sweep.t0, 1012.5, 1e-9, "the capture is held");
  capture.rearm();
  assert.equal(capture.state, "armed");
  capture.feed(times.subarray(700), { v: values.subarray(700) });
  assert.equal(capture.state, "stopped");
  assert.equal(capture.triggers, 2);
  close(capture.sweep.t0, 1712.5, 1e-9, "the next crossing after the re-arm (at 1699.25)");
});

test("auto free-runs when nothing crosses the level, normal waits; a trigger takes over again", () => {
  const { times, values } = triangle({ n: 3000 });
  const auto = new TriggerCapture({ source: "v", level: 50, mode: "auto", span: 200, pre: 50, autoAfter: 500 });
  auto.feed(times.subarray(0, 400), { v: values.subarray(0, 400) });
  assert.equal(auto.state, "armed", "not before autoAfter");
  assert.equal(auto.sweep, null);
  auto.feed(times.subarray(400, 1500), { v: values.subarray(400, 1500) });
  assert.equal(auto.state, "auto");
  assert.equal(auto.triggers, 0);
  assert.equal(auto.sweep.free, true);
  close(auto.sweep.t0, times[1499] - 150, 1e-9, "the latest span, t = 0 where the pre-trigger part ends");
  assert.ok(auto.sweep.times[0] >= -50 && auto.sweep.times[auto.sweep.times.length - 1] === 150);
  const normal = new TriggerCapture({ source: "v", level: 50, mode: "normal", span: 200, pre: 50 });
  normal.feed(times, { v: values });
  assert.equal(normal.state, "armed");
  assert.equal(normal.sweep, null);
  // A level the signal crosses: auto shows triggered sweeps, not free ones.
  const crossing = new TriggerCapture({ source: "v", level: 2.5, mode: "auto", span: 40, pre: 10 });
  crossing.feed(times, { v: values });
  assert.equal(crossing.state, "triggered");
  assert.equal(crossing.sweep.free, false);
  assert.equal(crossing.triggers, 30);
  assert.ok(crossing.recent.length <= 3 && crossing.recent.every((s) => !s.free), "the last few sweeps, for persistence");
});

test("NaN never triggers nor poisons: it is stepped over", () => {
  const times = Array.from({ length: 12 }, (_, i) => i * 10);
  // As if NaN were 0, each NaN would be two crossings of 0.5.
  const flat = new TriggerCapture({ source: "v", level: 0.5, edge: "either", mode: "normal", span: 10, pre: 5 });
  flat.feed(times, { v: [1, NaN, 1, NaN, NaN, 1, 1, NaN, 1, 1, 1, 1] });
  assert.equal(flat.triggers, 0);
  const none = new TriggerCapture({ source: "v", level: 0.5, mode: "auto", span: 10, pre: 5, autoAfter: 50 });
  none.feed(times, { v: times.map(() => NaN) });
  assert.equal(none.triggers, 0);
  assert.equal(none.state, "auto");
  // A series sent on every other line: its values cross between the numbers.
  const sparse = new TriggerCapture({ source: "v", level: 0.5, mode: "normal", span: 20, pre: 5 });
  sparse.feed(times, { v: [0, NaN, 0, NaN, 1, NaN, 1, NaN, 1, NaN, 1, NaN] });
  assert.equal(sparse.triggers, 1);
  close(sparse.lastTriggerTime, 30, 1e-12, "halfway between 20 (0) and 40 (1)");
  const report = JSON.parse(JSON.stringify(sparse.report()));
  assert.equal(report.sweep.values.v.includes(null), true, "NaN reported as null");
  // A level that is not a number never triggers.
  const noLevel = new TriggerCapture({ source: "v", level: NaN, mode: "normal", span: 10, pre: 5 });
  noLevel.feed(times, { v: times.map((t) => t) });
  assert.equal(noLevel.triggers, 0);
});

test("the pre-trigger position reads as % of the sweep or ms; a capture exports as CSV", () => {
  assert.equal(preTriggerMs("25%", 400), 100);
  assert.equal(preTriggerMs("120", 400), 120);
  assert.equal(preTriggerMs("120ms", 400), 120);
  assert.equal(preTriggerMs("900", 400), 400);
  assert.equal(preTriggerMs("-5%", 400), 0);
  assert.equal(preTriggerMs("nonsense", 400), 100);
  assert.equal(preTriggerMs(null, 400, 0), 0);
  const csv = sweepCSV({ t0: 5, times: Float64Array.from([-1.5, 0.25, 2]), values: new Map([["a", Float64Array.from([1, NaN, 3])], ["b,c", Float64Array.from([4, 5, 6])]]) });
  assert.equal(csv, 't_ms,a,"b,c"\n-1.5,1,4\n0.25,,5\n2,3,6\n');
});

test("changing the mode keeps the capture: to single re-arms, from single goes on, from auto drops the free sweep", () => {
  const { times, values } = triangle({ n: 3000 });
  const c = new TriggerCapture({ source: "v", level: 2.5, mode: "normal", span: 40, pre: 10 });
  c.feed(times.subarray(0, 500), { v: values.subarray(0, 500) });
  assert.equal(c.triggers, 5);
  c.setMode("single");
  assert.equal(c.state, "armed");
  c.feed(times.subarray(500, 1000), { v: values.subarray(500, 1000) });
  assert.equal(c.triggers, 6);
  assert.equal(c.state, "stopped");
  c.setMode("normal");
  assert.equal(c.state, "armed");
  c.feed(times.subarray(1000, 1500), { v: values.subarray(1000, 1500) });
  assert.equal(c.triggers, 11);
  assert.equal(c.state, "triggered");
  const free = new TriggerCapture({ source: "v", level: 99, mode: "auto", span: 40, pre: 10, autoAfter: 100 });
  free.feed(times, { v: values });
  assert.equal(free.state, "auto");
  free.setMode("normal");
  assert.equal(free.state, "armed");
  assert.equal(free.sweep, null);
});

test("a source that goes quiet while other series go on does not make the capture keep every sample", () => {
  const capture = new TriggerCapture({ source: "a", level: 0.5, mode: "normal", span: 1000, pre: 250 });
  const chunk = 1000;
  for (let c = 0; c < 120; c++) {
    const times = Float64Array.from({ length: chunk }, (_, k) => c * chunk + k);
    const a = Float64Array.from(times, (t) => (t < 2000 ? (t % 100 < 50 ? 0 : 1) : NaN));
    capture.feed(times, new Map([["a", a], ["b", Float64Array.from(times, (t) => t % 7)]]));
  }
  assert.ok(capture.times.length < 20000, "held " + capture.times.length + " of 120 000");
  assert.ok(capture.triggers > 0);
});
