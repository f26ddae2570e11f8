// The page's units and derived series (web/page/series-transform.js) and the store's side of
// them: recomputing a series in place, and calibrating the bridge's history buckets.
import test from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { SeriesTransform, MAX_DERIVED } from "../../../web/page/series-transform.js";

const require = createRequire(import.meta.url);
require("../../../web/store.js");
const { SeriesStore, SensorHistory } = globalThis;

test("a row is calibrated, then derived from the calibrated values; a missing value stays missing", () => {
  const t = SeriesTransform.fromQuery(new URLSearchParams("cal=x:2:1:V&expr=" + encodeURIComponent("s = x + y") + "&expr=" + encodeURIComponent("d = s * 10")));
  t.prepare(["x", "y"]);
  assert.deepEqual(t.row([100, 3, 4]), [100, 7, 4, 11, 110]);
  const missing = t.row([101, null, 4]);
  assert.ok(Number.isNaN(missing[1]) && Number.isNaN(missing[3]) && Number.isNaN(missing[4]));
  assert.equal(missing[2], 4);
  assert.equal(t.unitOf("x"), "V");
  assert.equal(t.unitOf("s"), "");
});

test("the address round-trips, and what it cannot read is reported, not applied", () => {
  const t = SeriesTransform.fromQuery(new URLSearchParams("cal=x:0:1:g;y:2:0:mV&expr=" + encodeURIComponent("m = sqrt(") + "&expr=" + encodeURIComponent("n = y / 2")));
  assert.equal(t.errors.length, 2, t.errors.join("; "));
  assert.match(t.errors[0], /scale other than 0/);
  assert.match(t.errors[1], /m = sqrt\(.*ends too soon/);
  const out = new URLSearchParams();
  t.toQuery(out);
  const again = SeriesTransform.fromQuery(out);
  assert.deepEqual(again.calibrationOf("y"), { scale: 2, offset: 0, unit: "mV" });
  assert.deepEqual(again.derivedNames, ["n"]);
  assert.equal(again.errors.length, 0);
});

test("definitions are refused with where and why: a board series' name, an unknown series, too many", () => {
  const t = new SeriesTransform();
  t.prepare(["x", "y"]);
  assert.match(t.define("x = y").error, /already a series of the board/);
  assert.match(t.define("m = w + 1").error, /no series named 'w'/);
  assert.match(t.define("m = x +* 2").error, /^at \d+: /);
  assert.deepEqual(t.derivedNames, []);
  assert.deepEqual(t.define("m = x * 2"), { name: "m" });
  assert.deepEqual(t.define("m = x * 3"), { name: "m" }, "the same name replaces");
  assert.equal(t.row([0, 1, 1])[3], 3);
  for (let k = 1; k < MAX_DERIVED; k++) assert.ok(!t.define("d" + k + " = y").error);
  assert.match(t.define("one_more = y").error, /at most/);
  t.remove("m");
  assert.ok(!t.derivedNames.includes("m"));
});

test("a derived series the board starts sending gives way, and says so", () => {
  const t = new SeriesTransform();
  t.prepare(["x"]);
  t.define("mag = x * 2");
  t.prepare(["x", "mag"]);
  assert.deepEqual(t.derivedNames, []);
  assert.match(t.errors.at(-1), /'mag' is now a series of the board/);
});

test("a calibration of 0 or of non-numbers is refused; clearing one returns to raw", () => {
  const t = new SeriesTransform();
  t.prepare(["x"]);
  assert.throws(() => t.setCalibration("x", { scale: 0, offset: 0, unit: "" }), /other than 0/);
  assert.throws(() => t.setCalibration("x", { scale: 1, offset: NaN, unit: "" }), /offset/);
  const before = t.setCalibration("x", { scale: 3, offset: -1, unit: "g" });
  assert.deepEqual(before, { scale: 1, offset: 0, unit: "" });
  assert.equal(t.row([0, 2])[1], 5);
  t.setCalibration("x", null);
  assert.equal(t.row([0, 2])[1], 2);
});

test("the store recomputes a series in place: held values only, new arrays, summaries and breaks anew", () => {
  const store = new SeriesStore({ capacity: 256, keepMs: 1e9 });
  const columns = [undefined, store.seriesIndex("a")];
  for (let i = 0; i < 300; i++) {
    if (i === 200) store.breakAll(i, "gap", "gap");
    store.push(i, [i, i], columns);
  }
  const old = store.values[0];
  store.recompute(0, (p) => old[p] * 2 + 1);
  assert.notEqual(store.values[0], old, "a new array: no plot keeps columns of the old one");
  for (let i = 0; i < store.length; i++) assert.equal(store.values[0][store.physical(i)], store.timeAt(i) * 2 + 1);
  assert.deepEqual(store.breakTimes(0), [0, 200], "breaks stay (the first value starts a line)");
  const columnsSeen = [];
  store.columns(0, 0, 1e6, 1e6, (x, first, min, max) => columnsSeen.push([min, max]));
  assert.deepEqual(columnsSeen, [[store.firstTime() * 2 + 1, 599]], "summaries of the new values");
  store.recompute(0, () => 1, (p) => store.time[p] === 250);
  assert.deepEqual(store.breakTimes(0), [250], "breaks from breakAt when given");
});

test("history buckets are calibrated like samples; a negative scale swaps min and max", () => {
  const result = new SensorHistory.HistoryResult({ from: 0, to: 10, channels: ["a", "b"], t0: [0, 5], t1: [4, 9], n: [5, 5],
    min: [[1, 2], [10, 20]], max: [[3, 4], [30, 40]], mean: [[2, 3], [20, 30]] });
  result.calibrate((name) => (name === "a" ? { scale: -2, offset: 1 } : null));
  assert.deepEqual(Array.from(result.min[0]), [-5, -7]);
  assert.deepEqual(Array.from(result.max[0]), [-1, -3]);
  assert.deepEqual(Array.from(result.mean[0]), [-3, -5]);
  assert.deepEqual(Array.from(result.min[1]), [10, 20], "b untouched");
});

test("a derived series uses only the board's series and those defined before it: no loop, no lag", () => {
  const t = new SeriesTransform();
  t.prepare(["x"]);
  assert.deepEqual(t.define("b = x * 2"), { name: "b" });
  assert.deepEqual(t.define("a = b + 1"), { name: "a" });
  assert.match(t.define("b = a * 2").error, /uses 'a', defined after it/, "a loop through a later series");
  assert.match(t.define("c = c + 1").error, /from itself/);
  assert.deepEqual(t.row([0, 1]), [0, 1, 2, 3]);
  assert.deepEqual(t.row([1, 2]), [1, 2, 4, 5], "no value from the row before");
  // From an address before the board is known: a forward use is refused, not evaluated late.
  const q = SeriesTransform.fromQuery(new URLSearchParams([["expr", "a = b + 1"], ["expr", "b = x * 2"]]));
  assert.deepEqual(q.derivedNames, ["a"]);
  assert.match(q.errors[0], /'a', defined before it, already uses 'b'/);
  // Taking one away takes those that use it.
  assert.deepEqual(t.remove("b").sort(), ["a", "b"]);
  assert.deepEqual(t.derivedNames, []);
});

test("a series that is no longer sent reads as no value, never as its last value", () => {
  const t = new SeriesTransform();
  t.prepare(["x", "y"]);
  t.define("d = x * 2");
  assert.equal(t.row([0, 102, 1])[3], 204);
  t.prepare(["y", "z"]);
  const row = t.row([1, 5, 6]);
  assert.ok(Number.isNaN(row[3]), "x is gone: d has no value (was " + row[3] + ")");
  // Over the held series (x still held from the earlier stream) it is computed from them.
  const binding = t.bind(["y", "z", "x"]);
  binding.slots.set([5, 6, 105]);
  assert.equal(binding.evaluate()[3], 210);
});

test("a name the page still holds from an earlier stream is not taken by a derived series", () => {
  const t = new SeriesTransform();
  t.prepare(["y", "z"]);
  assert.match(t.define("x = y * 3", ["x", "y", "z"]).error, /already a series/);
  assert.deepEqual(t.define("w = x + y", ["x", "y", "z"]), { name: "w" }, "and may be used");
});

test("what the address cannot hold is refused or mended, never thrown", () => {
  const t = SeriesTransform.fromQuery(new URLSearchParams("cal=x%25:2:0;y:3:0:g"));
  assert.equal(t.calibrationOf("y").scale, 3);
  assert.match(t.errors[0], /'%'/);
  t.prepare(["y"]);
  t.setCalibration("y", { scale: 2, offset: 0, unit: "abcdefghijklmno\u{1F600}xyz" });
  assert.equal(t.unitOf("y"), "abcdefghijklmno\u{1F600}", "16 characters, the pair kept whole");
  const out = new URLSearchParams();
  assert.doesNotThrow(() => t.toQuery(out));
  assert.equal(SeriesTransform.fromQuery(out).unitOf("y"), "abcdefghijklmno\u{1F600}");
});

test("clearing calibrations clears those of series no longer sent too", () => {
  const t = SeriesTransform.fromQuery(new URLSearchParams("cal=old:2:0:g;x:3:0:V"));
  t.prepare(["x"]);
  assert.deepEqual(t.clearCalibrations().sort(), ["old", "x"]);
  const out = new URLSearchParams();
  t.toQuery(out);
  assert.equal(out.toString(), "");
});
