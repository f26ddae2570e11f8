// The page's maths (web/maths) against known signals, run with `node --test Tests/Web`.
import test from "node:test";
import assert from "node:assert/strict";
import { measure, cursorDelta } from "../../../web/maths/statistics.js";
import { sampleTiming, resampleUniform } from "../../../web/maths/timing.js";
import { fft, spectrum, peaks, decibels, WINDOW_NAMES } from "../../../web/maths/fft.js";
import { findTriggers, crossingTime, sweep, nextTriggerState } from "../../../web/maths/trigger.js";
import { parseExpression, parseDefinition, ExpressionError } from "../../../web/maths/expression.js";
import { ADXL335_UNO, apply, parseCalibrations, formatCalibrations, tilt, fromZeroAndSensitivity } from "../../../web/maths/calibration.js";

const close = (a, b, tolerance, what) => assert.ok(Math.abs(a - b) <= tolerance, `${what}: ${a} vs ${b} (±${tolerance})`);

function sine({ n, rate, hz, amplitude = 1, offset = 0, phase = 0.3, noise = 0, seed = 1 }) {
  let s = seed;
  const random = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  return Float64Array.from({ length: n }, (_, i) => offset + amplitude * Math.sin(2 * Math.PI * hz * i / rate + phase) + noise * random());
}

test("RMS, mean and std of a sine plus an offset are the textbook ones; NaN is left out", () => {
  const values = sine({ n: 100_000, rate: 1000, hz: 50, amplitude: 2, offset: 3 });
  const withGaps = Float64Array.from(values);
  for (let i = 0; i < withGaps.length; i += 97) withGaps[i] = NaN;
  const times = Float64Array.from(values, (_, i) => i);  // 1 kHz in ms
  const m = measure(values, times);
  close(m.mean, 3, 1e-9, "mean");
  close(m.rms, Math.sqrt(9 + 2), 1e-6, "rms = sqrt(offset² + A²/2)");
  close(m.std, Math.sqrt(2), 1e-4, "std = A/√2");
  close(m.pp, 4, 1e-3, "peak to peak");
  close(m.rate, 1000, 1e-9, "rate");
  assert.equal(m.count, 100_000);
  const g = measure(withGaps, times);
  assert.equal(g.count, 100_000 - Math.ceil(100_000 / 97));
  assert.ok(Number.isFinite(g.rms) && Number.isFinite(g.std));
  assert.deepEqual(measure([NaN, Infinity]), { min: NaN, max: NaN, mean: NaN, rms: NaN, std: NaN, pp: NaN, count: 0, rate: NaN });
  const d = cursorDelta(100, 120, [1, 2], [4, 0]);
  assert.deepEqual(d, { dt: 20, hz: 50, delta: [3, -2] });
});

test("the FFT matches a direct DFT", () => {
  const n = 64, re = sine({ n, rate: 64, hz: 5 }), im = new Float64Array(n);
  const expected = Array.from({ length: n }, (_, k) => {
    let r = 0, i = 0;
    for (let j = 0; j < n; j++) { r += re[j] * Math.cos(-2 * Math.PI * k * j / n); i += re[j] * Math.sin(-2 * Math.PI * k * j / n); }
    return [r, i];
  });
  const copy = Float64Array.from(re);
  fft(copy, im);
  expected.forEach(([r, i], k) => { close(copy[k], r, 1e-9, "re " + k); close(im[k], i, 1e-9, "im " + k); });
  assert.throws(() => fft(new Float64Array(6), new Float64Array(6)), /power of two/);
});

test("a sine of known frequency and amplitude: the peak within one bin, its amplitude within 1 %, every window", () => {
  for (const window of WINDOW_NAMES) {
    for (const [hz, amplitude] of [[50, 1], [123.37, 2.5], [333.3, 0.2]]) {
      const result = spectrum(sine({ n: 4096, rate: 1000, hz, amplitude, offset: 500 }), 1000, { size: 4096, window });
      const [peak] = peaks(result, 3);
      assert.ok(Math.abs(peak.hz - hz) <= result.binHz, `${window} ${hz} Hz: peak at ${peak.hz}`);
      // A rectangular window's main lobe is no parabola: between bins its amplitude is only
      // within 15 % (what flat-top is for); the others must be within 1 %.
      const tolerance = window === "rectangular" ? 0.15 : 0.01;
      close(peak.amplitude / amplitude, 1, tolerance, `${window} ${hz} Hz amplitude`);
    }
  }
});

test("zero padding to 65 536, Welch averaging for noise, dB, and two tones found strongest first", () => {
  const rate = 1000, n = 20_000;
  const a = sine({ n, rate, hz: 40, amplitude: 3, noise: 4 }), b = sine({ n, rate, hz: 210, amplitude: 1, phase: 1 });
  const values = Float64Array.from(a, (v, i) => v + b[i]);
  const padded = spectrum(values.subarray(0, 1000), rate, { size: 65536, window: "hann" });
  assert.equal(padded.size, 65536);
  close(peaks(padded, 1)[0].hz, 40, 1, "padded peak");
  const welch = spectrum(values, rate, { size: 1024, window: "hann", welch: true });
  assert.ok(welch.segments >= 38, "half-overlapping segments: " + welch.segments);
  const [first, second] = peaks(welch, 2);
  close(first.hz, 40, welch.binHz, "strongest");
  close(second.hz, 210, welch.binHz, "second");
  close(first.amplitude, 3, 0.1, "40 Hz amplitude through the noise");
  close(second.amplitude, 1, 0.1, "210 Hz amplitude through the noise");
  const db = decibels(welch.amplitude);
  close(db[first.bin], 20 * Math.log10(welch.amplitude[first.bin]), 1e-12, "dB");
  assert.deepEqual(spectrum([1], 1000).amplitude.length, 0);
});

test("the rate and jitter come from the time stamps, and jittered times are resampled onto a grid", () => {
  const times = Float64Array.from({ length: 1001 }, (_, i) => i * 2 + (i % 2 ? 0.3 : -0.3) * (i > 0 && i < 1000 ? 1 : 0));
  const timing = sampleTiming(times);
  close(timing.rate, 500, 1e-9, "rate");
  close(timing.jitter, 0.6, 0.01, "interval jitter");
  const values = Float64Array.from(times, (t) => 3 * t);  // a ramp: linear interpolation is exact
  const grid = resampleUniform(times, values, 2);
  assert.equal(grid.length, 1001);
  grid.forEach((v, k) => close(v, 3 * (times[0] + 2 * k), 1e-9, "resampled " + k));
});

test("trigger positions are exact, holdoff and edges honoured, NaN never triggers", () => {
  const values = [0, 1, 2, 3, 2, 1, 0, 1, 2, 3, NaN, 3, 1, 2.5];
  const times = values.map((_, i) => i * 10);
  assert.deepEqual(findTriggers(times, values, { level: 1.5, edge: "rising" }), [2, 8, 13]);
  assert.deepEqual(findTriggers(times, values, { level: 1.5, edge: "falling" }), [5, 12]);
  assert.deepEqual(findTriggers(times, values, { level: 1.5, edge: "either" }), [2, 5, 8, 12, 13]);
  assert.deepEqual(findTriggers(times, values, { level: 1.5, edge: "either", holdoff: 40 }), [2, 8, 12]);
  close(crossingTime(times, values, 2, 1.5), 15, 1e-12, "crossing between samples");
  const s = sweep(times, values, 8, 1.5, 20, 15);
  assert.deepEqual(s.times, [-15, -5, 5, 15]);
  assert.deepEqual(s.values, [0, 1, 2, 3]);
  let state = { armed: true };
  state = nextTriggerState(state, { mode: "single", triggered: true, now: 0 });
  assert.equal(state.stopped, true);
  assert.equal(nextTriggerState(state, { mode: "single", triggered: true, now: 5 }), state, "single holds its capture");
  assert.equal(nextTriggerState({ last: 0 }, { mode: "auto", triggered: false, now: 300 }).free, true);
  assert.equal(nextTriggerState({ last: 0 }, { mode: "normal", triggered: false, now: 300 }).free, false);
});

test("expressions evaluate like the maths they write, over series, with NaN for a missing value", () => {
  const row = { x: 3, y: 4, z: 12, "temp-1": 20 };
  const cases = [
    ["sqrt(x*x + y*y + z*z)", 13], ["atan2(x, z) * 180 / pi", Math.atan2(3, 12) * 180 / Math.PI],
    ["2^3^2", 512], ["-2^2", -4], ["2**-1", 0.5], ["(x + y) * 2 - 1", 13], ["10 % 4", 2],
    ["hypot(x, y)", 5], ["max(x, y, z)", 12], ["[temp-1] * 1.8 + 32", 68], ["1e3 + .5", 1000.5], ["e", Math.E],
  ];
  for (const [text, expected] of cases) close(parseExpression(text).evaluate(row), expected, 1e-12, text);
  assert.deepEqual(parseExpression("x * y + [temp-1]").series, ["x", "y", "temp-1"]);
  assert.ok(Number.isNaN(parseExpression("x + w").evaluate(row)), "a series with no value makes no value");
  const d = parseDefinition("mag = sqrt(x*x + y*y)");
  assert.equal(d.name, "mag");
  assert.equal(d.evaluate(row), 5);
});

test("an expression that does not parse says where and why", () => {
  const errors = [
    ["x +", 4, /ends too soon/], ["sqrt(x", 7, /'\)' to close sqrt/], ["foo(x)", 1, /'foo' is not a function/],
    ["x $ y", 3, /'\$' is not allowed/], ["atan2(x)", 1, /takes 2 arguments, not 1/], ["x y", 3, /unexpected 'y'/],
    ["", 1, /empty/], ["[temp", 1, /no '\]'/], ["constructor(1)", 1, /not a function/], ["(".repeat(100) + "1" + ")".repeat(100), 66, /nested too deeply/],
    ["1..2", 3, /unexpected '0.2'/],
  ];
  for (const [text, column, message] of errors) {
    assert.throws(() => parseExpression(text), (e) => e instanceof ExpressionError && e.column === column && message.test(e.message),
      text + " → " + (() => { try { parseExpression(text); return "no error"; } catch (e) { return e.message; } })());
  }
  assert.throws(() => parseDefinition("mag sqrt(x)"), /write name = expression/);
  assert.throws(() => parseDefinition("mag = mag + 1"), /from itself/);
  assert.throws(() => parseDefinition("m = x +"), (e) => e.column === 8 && /ends too soon/.test(e.message));
  assert.throws(() => parseExpression("x".repeat(501)), /longer than 500/);
});

test("calibration: the ADXL335 preset reads g, survives the URL, and tilt shows only near 1 g", () => {
  close(apply(ADXL335_UNO, 338), 0, 1e-12, "0 g");
  close(apply(ADXL335_UNO, 338 + 67.6), 1, 1e-12, "1 g");
  const same = fromZeroAndSensitivity(338, 67.6, "g");
  close(same.scale, ADXL335_UNO.scale, 1e-15, "scale");
  const text = formatCalibrations(new Map([["x", ADXL335_UNO], ["a b", { scale: 2, offset: -1, unit: "m/s²" }], ["plain", { scale: 1, offset: 0, unit: "" }]]));
  const { calibrations, errors } = parseCalibrations(text + ";bad:0:1:g;;nope");
  assert.deepEqual([...calibrations.keys()], ["x", "a b"]);
  assert.deepEqual(calibrations.get("a b"), { scale: 2, offset: -1, unit: "m/s²" });
  assert.equal(errors.length, 2);
  assert.deepEqual(tilt(0, 0, 1), { pitch: -0, roll: 0 });
  close(tilt(Math.sin(Math.PI / 6), 0, Math.cos(Math.PI / 6)).pitch, -30, 1e-9, "pitch");
  assert.equal(tilt(338, 338, 405), null, "counts are not g: no angle");
  assert.equal(tilt(0, 0, 0), null);
});
