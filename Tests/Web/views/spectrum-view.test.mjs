// The spectrum view's arithmetic (web/views/spectrum-view.js's analyseSpectrum), without a
// DOM: samples as the view host gives them → rate, jitter, peaks. `node --test Tests/Web`.
import test from "node:test";
import assert from "node:assert/strict";
import { analyseSpectrum, spectrumState, spectrogram, measureTiming, chooseSize, readSettings, formatHz, formatAmplitude, MIN_SAMPLES } from "../../../web/views/spectrum-view.js";
import { spectrum, peaks } from "../../../web/maths/fft.js";
import { sampleTiming, resampleUniform } from "../../../web/maths/timing.js";

const close = (a, b, tolerance, what) => assert.ok(Math.abs(a - b) <= tolerance, `${what}: ${a} vs ${b} (±${tolerance})`);

/** A seeded uniform random number in [-0.5, 0.5). */
function random(seed = 7) {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
}
/** A normal deviate (Box-Muller) from two of those. */
function gauss(r) { return Math.sqrt(-2 * Math.log(r() + 0.5 + 1e-12)) * Math.cos(2 * Math.PI * (r() + 0.5)); }

/**
 * Samples as the host gives them: times in ms from an epoch, each jittered by `jitter` ms
 * (normal, std), the value the signal's at that (true) time; `tones` [[hz, amplitude]].
 */
function samples({ n = 4000, rate = 200, tones = [[12.5, 100]], offset = 500, jitter = 0, noise = 0, seed = 3, t0 = 1.7e12 }) {
  const r = random(seed);
  const times = new Float64Array(n), values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = i * 1000 / rate + jitter * gauss(r);
    times[i] = t0 + t;
    let v = offset + noise * gauss(r);
    for (const [hz, a] of tones) v += a * Math.sin(2 * Math.PI * hz * t / 1000 + 0.4);
    values[i] = v;
  }
  return { times, values: new Map([["a", values]]) };
}

test("a 12.5 Hz sine of amplitude 100 at 200 samples/s, slightly jittered: peak within a bin, amplitude within 1 % (Hann)", () => {
  const input = samples({ jitter: 0.01 });   // 0.2 % of the period: no resampling
  const { a } = analyseSpectrum(input, ["a"], { window: "hann" });
  close(a.rate, 200, 0.2, "rate measured from the time stamps");
  close(a.jitter, 0.01 * Math.SQRT2, 0.002, "interval jitter (ms): √2 × the time stamps'");
  assert.equal(a.resampled, false);
  assert.equal(a.size, 4096, "auto: the next power of two of 4000 samples");
  assert.equal(a.window, "hann");
  close(a.peaks[0].hz, 12.5, a.binHz, "peak frequency");
  close(a.peaks[0].amplitude, 100, 1, "peak amplitude (1 %)");
  assert.ok(a.peaks.length <= 3);
});

test("the rate is measured, not assumed: 137 samples/s, and an odd frequency between bins, every window within its tolerance", () => {
  for (const [window, tolerance] of [["hann", 0.01], ["blackman-harris", 0.01], ["flat-top", 0.01], ["rectangular", 0.15]]) {
    const { a } = analyseSpectrum(samples({ n: 3000, rate: 137, tones: [[21.37, 3.5]], jitter: 0.02 }), ["a"], { window });
    close(a.rate, 137, 0.05, window + " rate");
    close(a.peaks[0].hz, 21.37, a.binHz, window + " peak");
    close(a.peaks[0].amplitude, 3.5, 3.5 * tolerance, window + " amplitude");
  }
});

test("jitter over 1 % of the period resamples onto a uniform grid; the peak stays right", () => {
  const input = samples({ jitter: 0.5 });   // 10 % of the 5 ms period
  const { a } = analyseSpectrum(input, ["a"], {});
  assert.equal(a.resampled, true);
  assert.equal(a.missing, 0);
  close(a.jitter, 0.5 * Math.SQRT2, 0.05, "interval jitter: √2 × the time stamps'");
  close(a.rate, 200, 0.2, "rate");
  close(a.peaks[0].hz, 12.5, a.binHz, "peak frequency");
  close(a.peaks[0].amplitude, 100, 1, "peak amplitude (1 %)");
  // Just over the limit resamples, just under does not.
  assert.equal(analyseSpectrum(samples({ jitter: 0.05 / Math.SQRT2 * 1.3 }), ["a"], {}).a.resampled, true);
  assert.equal(analyseSpectrum(samples({ jitter: 0.05 / Math.SQRT2 * 0.7 }), ["a"], {}).a.resampled, false);
});

test("missing samples: resampled, so the frequency is right (taking the samples as uniform would not be)", () => {
  const full = samples({ n: 4200 });
  const keep = (i) => i < 1500 || i >= 1700;   // 200 samples (1 s) missing
  const times = full.times.filter((_, i) => keep(i)), values = full.values.get("a").filter((_, i) => keep(i));
  const { a } = analyseSpectrum({ times, values: new Map([["a", values]]) }, ["a"], {});
  assert.equal(a.resampled, true);
  assert.equal(a.missing, 200);
  close(a.rate, 200, 0.01, "rate over the intervals that are not the gap");
  close(a.peaks[0].hz, 12.5, a.binHz, "peak frequency");
  close(a.peaks[0].amplitude, 100, 10, "amplitude (the gap, a twentieth of the grid in the middle of the window, is a straight line)");
  // What this guards against: the samples taken as uniform at the mean spacing.
  const naiveRate = sampleTiming(times).rate;
  const naive = peaks(spectrum(values, naiveRate, { window: "hann" }), 1)[0];
  assert.ok(Math.abs(naive.hz - 12.5) > a.binHz, `taken as uniform, the peak is off: ${naive.hz}`);
});

/** Evenly taken samples stamped when they arrive: in bunches, each delivery 10 to 90 ms after the last. */
function arriving({ n = 4000, rate = 200, hz = 12.5, amplitude = 100, seed = 5 }) {
  const r = random(seed), times = new Float64Array(n), values = new Float64Array(n);
  let delivery = 0;
  for (let i = 0; i < n; i++) {
    const t = i * 1000 / rate;
    while (delivery < t) delivery += 50 + 80 * r();
    times[i] = 1.7e12 + delivery + 0.05 * (r() + 0.5);
    values[i] = 500 + amplitude * Math.sin(2 * Math.PI * hz * t / 1000 + 0.4);
  }
  return { times, values: new Map([["a", values]]) };
}

test("time stamps that arrive in bunches are arrival times: taken as evenly spaced at the fitted rate, not resampled", () => {
  const input = arriving({});
  const { a } = analyseSpectrum(input, ["a"], {});
  assert.equal(a.bunched, true);
  assert.equal(a.resampled, false);
  assert.ok(a.jitter > a.period, "the jitter shown is the stamps' own: " + a.jitter);
  close(a.rate, 200, 0.2, "rate: the slope of a line through the stamps");
  close(a.peaks[0].hz, 12.5, a.binHz, "peak frequency");
  close(a.peaks[0].amplitude, 100, 1, "peak amplitude (1 %)");
  // What this guards against: resampling at the arrival times smears the tone.
  const t = input.times, v = input.values.get("a");
  const smeared = peaks(spectrum(resampleUniform(t, v, sampleTiming(t).period), sampleTiming(t).rate, { window: "hann" }), 1)[0];
  assert.ok(Math.abs(smeared.amplitude - 100) > 3, "resampled at arrival times: " + smeared.amplitude);
  // Fewer bunched: a third of the lines read together with the one before, the rest on time.
  const some = samples({});
  const r = random(11);
  for (let i = 1; i < some.times.length; i++) if (r() < -0.17) some.times[i] = some.times[i - 1] + 0.01;
  const partly = analyseSpectrum(some, ["a"], {}).a;
  assert.equal(partly.bunched, true);
  close(partly.rate, 200, 0.2, "rate when a third are bunched");
  // A line without a value is interpolated in its place, so the later ones keep their phase.
  v[1000] = NaN; v.fill(NaN, 2000, 2003);
  const filled = analyseSpectrum(input, ["a"], {}).a;
  assert.equal(filled.missing, 4);
  assert.equal(filled.resampled, true);
  close(filled.peaks[0].amplitude, 100, 1, "with lines without a value");
});

test("lines that arrive late by varying delays (a late one, then a bunch catching up) are no gaps: arrival times", () => {
  const r = random(9), n = 4000, times = new Float64Array(n), values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = i * 5, late = r() < -0.45 ? 15 * (r() + 0.5) : 0.6 * (r() + 0.5) ** 2;
    times[i] = 1.7e12 + Math.max(t + late, i ? times[i - 1] - 1.7e12 : 0);
    values[i] = 40 * Math.sin(2 * Math.PI * 40 * t / 1000);
  }
  const { a } = analyseSpectrum({ times, values: new Map([["a", values]]) }, ["a"], {});
  assert.equal(a.missing, 0);
  assert.equal(a.bunched, true, "late stamps: arrival times");
  close(a.rate, 200, 0.1, "rate");
  close(a.peaks[0].hz, 40, a.binHz, "40 Hz");
  close(a.peaks[0].amplitude, 40, 0.4, "amplitude within 1 % (resampled at arrival times it would not be)");
  // A stall of 300 ms caught up by a bunch of 61 lines is no gap either.
  const stalled = Float64Array.from({ length: 2000 }, (_, i) => i >= 1000 && i <= 1060 ? 5300 + 0.001 * (i - 1000) : i * 5);
  assert.ok(stalled.every((t, i) => !i || t > stalled[i - 1]));
  const timing = measureTiming(stalled);
  assert.equal(timing.missing, 0);
  close(timing.rate, 200, 0.01, "rate across the stall");
});

test("a 30 % jitter is not taken for missing samples; a lost one is", () => {
  const input = samples({ jitter: 1.5 / Math.SQRT2 });   // intervals: 5 ± 1.5 ms
  const { a } = analyseSpectrum(input, ["a"], {});
  assert.equal(a.missing, 0);
  assert.equal(a.bunched, false);
  close(a.rate, 200, 0.5, "rate");
  const timing = measureTiming(Float64Array.from({ length: 1000 }, (_, i) => i * 5 + (i >= 500 ? 20 : 0)));
  assert.deepEqual([timing.missing, timing.gaps, timing.bunched], [4, 1, false]);
  close(timing.rate, 200, 1e-9, "rate across the gap");
});

test("NaN values never poison the spectrum: they are left out and count as missing", () => {
  const input = samples({});
  const values = input.values.get("a");
  for (let i = 0; i < values.length; i += 37) values[i] = NaN;
  values.fill(NaN, 2000, 2050);
  values[5] = Infinity;
  const { a } = analyseSpectrum(input, ["a"], {});
  // Every 37th but the first (no gap before it) and one in the run, the run of 50, the Infinity.
  assert.equal(a.missing, 109 - 2 + 50 + 1);
  assert.equal(a.resampled, true);
  assert.ok(a.amplitude.every(Number.isFinite), "every bin finite");
  close(a.peaks[0].hz, 12.5, a.binHz, "peak frequency");
  close(a.peaks[0].amplitude, 100, 4, "peak amplitude (the run of 50, mid-window, is a straight line: ~2.5 % less)");
  const json = JSON.stringify(spectrumState({ a }));
  assert.ok(!json.includes("null"), json);
});

test("too few samples says so instead of a spectrum; the state stays plain JSON", () => {
  const input = samples({ n: MIN_SAMPLES - 1 });
  const result = analyseSpectrum(input, ["a", "absent"], {});
  assert.deepEqual(Object.keys(result), ["a"], "a series the page does not hold is left out");
  assert.equal(result.a.note, "too few samples");
  assert.deepEqual(result.a.peaks, []);
  const state = spectrumState(result);
  assert.deepEqual(state, { a: { samples: MIN_SAMPLES - 1, note: "too few samples", peaks: [], window: "hann", size: 0, resampled: false } });
  // All NaN: too few too; nothing at all: an empty object.
  const blank = samples({});
  blank.values.get("a").fill(NaN);
  assert.equal(analyseSpectrum(blank, ["a"], {}).a.note, "too few samples");
  assert.deepEqual(spectrumState(analyseSpectrum({ times: new Float64Array(0), values: new Map() }, ["a"], {})), {});
  // Exactly the minimum is a spectrum.
  const least = analyseSpectrum(samples({ n: MIN_SAMPLES, tones: [[50, 1]] }), ["a"], {}).a;
  close(least.peaks[0].hz, 50, least.binHz, "16 samples of 50 Hz");
});

test("the peaks: the strongest tones, not a strong tone's side lobes", () => {
  const { a } = analyseSpectrum(samples({ tones: [[12.5, 100], [40, 2]] }), ["a"], { window: "hann" });
  close(a.peaks[0].hz, 12.5, a.binHz, "first");
  close(a.peaks[1].hz, 40, a.binHz, "second: the weak tone, not the Hann side lobe (2.7 % of 100) beside the first");
  close(a.peaks[1].amplitude, 2, 0.02, "weak tone's amplitude");
  for (const p of a.peaks.slice(1)) assert.ok(Math.abs(p.hz - 12.5) > 6 * 200 / 4000, "no peak on the first one's skirt: " + p.hz);
  // A drift (a ramp of 50 over the range) is no peak near 0 Hz; peaks under −40 dB are not listed.
  const drifting = samples({ tones: [[12.5, 100], [60, 0.5]] });
  drifting.values.get("a").forEach((v, i, values) => { values[i] = v + 50 * i / values.length; });
  const d = analyseSpectrum(drifting, ["a"], {}).a;
  assert.deepEqual(d.peaks.map((p) => Math.round(p.hz * 10) / 10), [12.5], JSON.stringify(d.peaks));
});

test("zero padding, a fixed size (the newest samples), and Welch averaging", () => {
  const noisy = samples({ n: 8000, noise: 20 });
  const padded = analyseSpectrum(samples({ n: 1000 }), ["a"], { size: 16384 }).a;
  assert.equal(padded.size, 16384);
  assert.equal(padded.segment, 1000);
  close(padded.binHz, 200 / 16384, 1e-4, "bin");
  close(padded.peaks[0].hz, 12.5, padded.binHz, "zero-padded peak");
  close(padded.peaks[0].amplitude, 100, 1, "zero-padded amplitude");
  const newest = analyseSpectrum(noisy, ["a"], { size: 1024 }).a;
  assert.equal(newest.used, 1024);
  assert.equal(newest.segments, 1);
  const welch = analyseSpectrum(noisy, ["a"], { welch: true }).a;
  assert.equal(welch.size, 1024, "auto with Welch: the largest power of two within a quarter of the samples");
  assert.equal(welch.segments, 14, "half-overlapping");
  close(welch.peaks[0].hz, 12.5, welch.binHz, "Welch peak");
  close(welch.peaks[0].amplitude, 100, 2, "Welch amplitude");
  // Welch lowers the noise floor's spread: the std of the bins away from the tone.
  const spread = (r) => {
    const bins = Array.from(r.amplitude).filter((_, k) => Math.abs(k * r.binHz - 12.5) > 3);
    const mean = bins.reduce((s, v) => s + v, 0) / bins.length;
    return Math.sqrt(bins.reduce((s, v) => s + (v - mean) ** 2, 0) / bins.length) / mean;
  };
  const single = analyseSpectrum(noisy, ["a"], { size: 1024 }).a;
  assert.ok(spread(welch) < 0.6 * spread(single), `Welch ${spread(welch)} vs one segment ${spread(single)}`);
});

test("sizes, settings from the address, timing and text", () => {
  assert.equal(chooseSize(4000, "auto", false), 4096);
  assert.equal(chooseSize(1e6, "auto", false), 65536);
  assert.equal(chooseSize(4000, "auto", true), 512);
  assert.equal(chooseSize(20, "auto", true), 16);
  assert.equal(chooseSize(100, 1000, false), 1024);
  const from = (query) => readSettings((key) => new URLSearchParams(query).get(key));
  assert.deepEqual(from(""), { window: "hann", size: "auto", welch: false, db: false, peaks: 3, spectrogram: false });
  assert.deepEqual(from("fftwin=flat-top&fftsize=8192&welch=1&db=1&sgram=1"), { window: "flat-top", size: 8192, welch: true, db: true, peaks: 3, spectrogram: true });
  assert.deepEqual(from("fftwin=kaiser&fftsize=1000"), { window: "hann", size: "auto", welch: false, db: false, peaks: 3, spectrogram: false });
  const t = measureTiming(Float64Array.from([0, 10, 20, 30, 70, 80, 90]));
  assert.deepEqual([t.rate, t.missing, t.gaps, t.jitter, t.bunched], [100, 3, 1, 0, false]);
  assert.equal(formatHz(12.5, 0.05), "12.500 Hz");
  assert.equal(formatHz(1234.5, 2), "1234.5 Hz");
  assert.equal(formatAmplitude(100.04), "100.0");
  assert.equal(formatAmplitude(1e-5), "1.00e-5");
  assert.equal(formatAmplitude(0.1, true), "-20.0 dB");
});

test("the spectrogram: each frame's strongest bin follows a tone that changes from 10 to 40 Hz halfway", () => {
  const values = Float64Array.from({ length: 4000 }, (_, i) => 5 * Math.sin(2 * Math.PI * (i < 2000 ? 10 : 40) * i / 200));
  const g = spectrogram(values, 200);
  assert.equal(g.size, 128, "a power of two near 4√4000");
  assert.ok(g.frames > 200 && g.frames <= 301, "frames: " + g.frames);
  assert.equal(g.db.length, g.frames * g.bins);
  close(g.top, 20 * Math.log10(5), 1.5, "top: the tone's level in dB (Hann between bins)");
  for (let f = 0; f < g.frames; f++) {
    const start = (g.times[f] * 200) - g.size / 2, end = start + g.size;
    if (start < 2000 && end > 2000) continue;   // a frame across the change
    let best = 1;
    for (let k = 1; k < g.bins; k++) if (g.db[f * g.bins + k] > g.db[f * g.bins + best]) best = k;
    close(best * g.binHz, start >= 2000 ? 40 : 10, g.binHz, "frame " + f);
  }
  assert.equal(spectrogram(new Float64Array(40), 200), null, "too few values");
  assert.ok(!analyseSpectrum(samples({}), ["a"], {}).a.uniform.some(Number.isNaN), "the view's uniform values are what it draws");
});

test("review mends: a constant series' spectrogram, a long gap, Welch's newest samples, bunches at any count", () => {
  // A stuck ADC: no power but at 0 Hz; the spectrogram must still have a finite top.
  const g = spectrogram(new Float64Array(4096).fill(512), 1000);
  assert.ok(Number.isFinite(g.top));
  // 1 kHz with a gap of eight minutes: a gap, not bunches, and the rate stays 1 kHz.
  const times = [];
  for (let i = 0; i < 30000; i++) times.push(i);
  for (let i = 0; i < 20000; i++) times.push(30000 + 480000 + i);
  const timing = measureTiming(Float64Array.from(times));
  assert.equal(timing.bunched, false);
  assert.ok(Math.abs(timing.rate - 1000) < 1, "rate " + timing.rate);
  // Welch takes the newest samples: a tone only in the newest tenth is seen.
  const n = 10000, t = Float64Array.from({ length: n }, (_, i) => i), v = Float64Array.from(t, (x) => (x >= 9000 ? Math.sin(2 * Math.PI * 100 * x / 1000) : 0));
  const r = analyseSpectrum({ times: t, values: new Map([["a", v]]) }, ["a"], { welch: true });
  assert.ok(r.a.peaks.length && Math.abs(r.a.peaks[0].hz - 100) < 2 * r.a.binHz, JSON.stringify(r.a.peaks));
  // Lines in bunches of four, at counts where a fixed stride would pick the same place in each.
  for (const count of [32769, 65537, 40000]) {
    const stamps = Float64Array.from({ length: count }, (_, i) => Math.floor(i / 4) * 4);
    assert.equal(measureTiming(stamps).bunched, true, "count " + count);
  }
});
