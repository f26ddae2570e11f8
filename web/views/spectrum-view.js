// The spectrum view (issue 21, item 4): the amplitude spectrum of the visible range, one line
// a shown series, with its strongest peaks, the sample rate measured from the time stamps and
// its jitter. The arithmetic is `analyseSpectrum` (no DOM: node tests call it); the view reads
// the page only through graph.js's viewHost and keeps its settings in the address.
import { spectrum, peaks, decibels, WINDOW_NAMES, MAX_SIZE } from "../maths/fft.js";
import { sampleTiming, resampleUniform } from "../maths/timing.js";
import { niceStep as roundStep } from "../page/axis.js";

/// Fewer samples than this say "too few samples" instead of a spectrum.
export const MIN_SAMPLES = 16;
/// Jitter (std of the intervals) above this fraction of the period resamples onto a grid.
export const JITTER_LIMIT = 0.01;
/// An interval longer than this many median intervals is a gap: samples are missing there.
const GAP_FACTOR = 1.5;
/// Peaks weaker than this fraction of the strongest (−40 dB) are not marked.
const PEAK_FLOOR = 0.01;
/// Half the main lobe of each window, in resolution bins: a weaker local maximum within three
/// times this of a stronger peak is that peak's side lobe or skirt, not a peak of its own.
const LOBE = { rectangular: 1, hann: 2, "blackman-harris": 4, "flat-top": 5 };

export const DEFAULTS = Object.freeze({ window: "hann", size: "auto", welch: false, db: false, peaks: 3, spectrogram: false });
export const SIZES = [];
for (let n = 64; n <= MAX_SIZE; n *= 2) SIZES.push(n);
// Welch reads at most this many of the newest samples (8 segments of the largest size).
const WELCH_MOST = 8 * MAX_SIZE;

/// The view's settings from its address keys (`fftwin`, `fftsize`, `welch`, `db`); anything
/// unknown falls back to the default.
export function readSettings(param) {
  const win = param("fftwin"), size = param("fftsize");
  return {
    window: WINDOW_NAMES.includes(win) ? win : DEFAULTS.window,
    size: SIZES.includes(Number(size)) ? Number(size) : "auto",
    welch: param("welch") === "1",
    db: param("db") === "1",
    spectrogram: param("sgram") === "1",
    peaks: DEFAULTS.peaks,
  };
}

function nextPowerOfTwo(n) { let p = 1; while (p < n) p *= 2; return p; }
function previousPowerOfTwo(n) { let p = 1; while (p * 2 <= n) p *= 2; return p; }

/**
 * The FFT size for `count` uniform samples. "auto": the next power of two of the samples (zero
 * padded), or with Welch the largest power of two within a quarter of them (7 to 15
 * half-overlapping segments); never above 65 536 nor below 16.
 */
export function chooseSize(count, setting, welch) {
  if (setting !== "auto" && Number(setting) > 0) return Math.min(MAX_SIZE, nextPowerOfTwo(Number(setting)));
  const n = welch ? previousPowerOfTwo(Math.max(MIN_SAMPLES, count / 4)) : nextPowerOfTwo(Math.max(MIN_SAMPLES, count));
  return Math.min(MAX_SIZE, Math.max(MIN_SAMPLES, n));
}

/** Up to 8 192 of the intervals, sorted: one from each of 8 192 equal stretches, at a
 * place in it that moves from stretch to stretch (a fixed stride that is a multiple of the
 * bunch length would pick the same interval of every bunch). */
function someIntervals(times) {
  const n = times.length - 1, take = Math.min(n, 8192), picked = new Float64Array(take);
  for (let i = 0; i < take; i++) {
    const place = (i * 0.6180339887498949) % 1;
    const k = take === n ? i : Math.min(n - 1, Math.floor((i + place) * n / take));
    picked[i] = times[k + 1] - times[k];
  }
  return picked.sort();
}

/** The slope of a least-squares line through the points (index[k], times[index[k]]). */
function slope(times, index) {
  const n = index.length, t0 = times[index[0]];
  let mi = 0, mt = 0;
  for (const i of index) { mi += i; mt += times[i] - t0; }
  mi /= n; mt /= n;
  let sxy = 0, sxx = 0;
  for (const i of index) { sxy += (i - mi) * (times[i] - t0 - mt); sxx += (i - mi) * (i - mi); }
  return sxy / sxx;
}

/**
 * The spacing of samples taken evenly but stamped when they arrived (never before they were
 * taken): a line through the least delayed sample of each of up to 16 stretches, found
 * against a first line fitted through all. The least delayed are each bunch's last, close to
 * when they were taken; a line through all would follow how late the bunches happen to be.
 */
function arrivalPeriod(times) {
  const n = times.length, all = Array.from({ length: n }, (_, i) => i);
  const first = slope(times, all), blocks = Math.min(16, Math.floor(n / 32));
  if (blocks < 4 || !(first > 0)) return first;
  const least = [];
  for (let b = 0; b < blocks; b++) {
    const from = Math.floor(b * n / blocks), to = Math.floor((b + 1) * n / blocks);
    let best = from;
    for (let i = from; i < to; i++) if (times[i] - i * first < times[best] - best * first) best = i;
    least.push(best);
  }
  const period = slope(times, least);
  return period > 0 ? period : first;
}

/**
 * Rate and jitter from the time stamps (ms, ascending). Three cases:
 * - gaps: intervals longer than 1.5 median intervals and 4 standard deviations (robust, from
 *   the median absolute deviation) above the median, after which the samples do not catch up
 *   (`lackingAfter`: a late line followed by a bunch is no gap). `missing` counts the samples
 *   they lack; the period is the span over the samples there would be, the jitter that of
 *   the other intervals.
 * - arrival times (`bunched`): over a tenth of the intervals are under a quarter of the mean
 *   spacing (lines read together), or the stamps lean late from a line through them (skew over
 *   1: delays are never negative). The stamps are when the samples arrived (a serial port's
 *   buffering, a loaded machine), not when they were taken: the rate is the slope of a line
 *   under them (`arrivalPeriod`) and the samples are taken as evenly spaced (resampling at
 *   arrival times would smear the spectrum). Gaps cannot be told from bunches there.
 * - neither: `sampleTiming`'s rate and jitter.
 * @returns {{rate: number, period: number, jitter: number, missing: number, gaps: number, bunched: boolean}}
 */
export function measureTiming(times) {
  const n = times.length;
  const plain = { ...sampleTiming(times), missing: 0, gaps: 0, bunched: false };
  if (n < 3 || !(plain.period > 0)) return plain;
  const sorted = someIntervals(times), median = sorted[sorted.length >> 1];
  // The mean spacing without the longest intervals: a gap of minutes would make every
  // ordinary interval look short.
  const kept = Math.max(1, Math.floor(sorted.length * 0.99));
  let spacing = 0;
  for (let i = 0; i < kept; i++) spacing += sorted[i];
  spacing /= kept;
  // Over a tenth of the intervals under a quarter of the mean spacing: no sampler does that
  // (30 % jitter gives under 1 %), a bunch of lines read at once does.
  let short = 0;
  while (short < sorted.length && sorted[short] < 0.25 * spacing) short++;
  const bunches = short > 0.1 * sorted.length || !(median > 0);
  if (!bunches) {
    const deviations = sorted.map((d) => Math.abs(d - median)).sort();
    const limit = Math.max(GAP_FACTOR * median, median + 4 * 1.4826 * deviations[deviations.length >> 1]);
    const found = [];
    for (let i = 1; i < n; i++) {
      if (times[i] - times[i - 1] <= limit) continue;
      const lacking = lackingAfter(times, i, median);
      if (lacking >= 1) found.push({ i, lacking });
    }
    const period = (times[n - 1] - times[0]) / (n - 1 + found.reduce((sum, g) => sum + g.lacking, 0));
    if (found.length) {
      const gap = new Set(found.map((g) => g.i));
      let sum = 0, count = 0, square = 0;
      for (let i = 1; i < n; i++) if (!gap.has(i)) { sum += times[i] - times[i - 1]; count++; }
      const spacing = sum / count;
      for (let i = 1; i < n; i++) if (!gap.has(i)) square += (times[i] - times[i - 1] - spacing) ** 2;
      return { rate: 1000 / period, period, jitter: count > 1 ? Math.sqrt(square / (count - 1)) : 0,
               missing: found.reduce((sum, g) => sum + g.lacking, 0), gaps: found.length, bunched: false };
    }
  }
  if (bunches || lateSkew(times) > 1) {
    const period = arrivalPeriod(times);
    if (period > 0) return { rate: 1000 / period, period, jitter: plain.jitter, missing: 0, gaps: 0, bunched: true };
  }
  return plain;
}

/** How many samples are missing before times[i]: how far the samples from there lie past
 * where they would be with none missing, in periods (the median interval: gaps do not move
 * it), by the lower quartile over a stretch three times the interval and 50 samples long, so
 * that a stall caught up with a bunch of lines is no gap however long it was. */
function lackingAfter(times, i, period) {
  const start = times[i - 1], past = [], d = times[i] - start;
  const stretch = Math.min(8192, Math.max(32, Math.ceil(3 * d / period) + 50));
  for (let m = 0; i + m < times.length && m < stretch; m++) past.push(times[i + m] - start - (m + 1) * period);
  past.sort((a, b) => a - b);
  // No more than the interval itself lacks (a later gap in the stretch is its own).
  return Math.min(Math.round(past[past.length >> 2] / period), Math.round(d / period) - 1);
}

/** The skewness of the stamps' distances from a least-squares line through them: about 0
 * for jitter either way, over 1 for stamps that are late by varying delays. */
function lateSkew(times) {
  const n = times.length, p = slope(times, Array.from({ length: n }, (_, i) => i));
  let mean = 0;
  for (let i = 0; i < n; i++) mean += times[i] - times[0] - i * p;
  mean /= n;
  let m2 = 0, m3 = 0;
  for (let i = 0; i < n; i++) { const r = times[i] - times[0] - i * p - mean; m2 += r * r; m3 += r * r * r; }
  m2 /= n; m3 /= n;
  return m2 > 0 ? m3 / Math.pow(m2, 1.5) : 0;
}

/**
 * The spectrum of each named series of `samples` (`{times, values: Map(name → values)}`, as
 * the view host's `samples()` gives them; NaN = no value).
 *
 * The rate and jitter are measured from the time stamps (`measureTiming`). When they are
 * sampling times: a series' samples without a value are left out (they count as missing),
 * and when the jitter is over 1 % of the period or samples are missing, the values are
 * resampled onto a uniform grid at the measured rate (linear interpolation) before the FFT.
 * When they are arrival times (bunched): the lines are taken as evenly spaced at the fitted
 * rate, a value missing in a line interpolated from its neighbours. Then the window, the size
 * (zero padding) or Welch segments, and the strongest peaks (interpolated between bins by
 * fft.js's `peaks`).
 *
 * @returns {Object<string, object>} name → `{samples, rate, period, jitter, missing,
 *   resampled, bunched, size, segment, segments, used, binHz, window, amplitude, peaks:
 *   [{hz, amplitude}]}`, or `{samples, note: "too few samples", peaks: []}`
 */
export function analyseSpectrum(samples, names, options = {}) {
  const settings = { ...DEFAULTS, ...options };
  const out = {};
  const times = samples.times;
  // The lines' time stamps: arrival times, when they come in bunches.
  const lines = times.filter(Number.isFinite);
  const arrival = lines.length >= MIN_SAMPLES ? measureTiming(lines) : null;
  const bunched = arrival !== null && arrival.bunched;
  for (const name of names) {
    const values = samples.values.get(name);
    if (!values) continue;
    let count = 0;
    for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]) && Number.isFinite(times[i])) count++;
    if (count < MIN_SAMPLES) {
      out[name] = { samples: count, note: "too few samples", peaks: [], window: settings.window, size: 0, resampled: false };
      continue;
    }
    let timing, uniform, missing, resampled;
    if (bunched) {
      timing = arrival;
      ({ values: uniform, filled: missing } = fillByIndex(values, times));
      resampled = missing > 0;
    } else {
      // The samples with a value, at their own times.
      const t = new Float64Array(count), v = new Float64Array(count);
      for (let i = 0, j = 0; i < values.length; i++) {
        if (Number.isFinite(values[i]) && Number.isFinite(times[i])) { t[j] = times[i]; v[j] = values[i]; j++; }
      }
      // A value on every line: the lines' timing, measured once for all the series.
      timing = count === lines.length && arrival ? arrival : measureTiming(t);
      // A sample without a value leaves a gap in the series' own time stamps: counted there.
      missing = timing.missing;
      resampled = timing.jitter > JITTER_LIMIT * timing.period || missing > 0;
      uniform = resampled && timing.period > 0 ? resampleUniform(t, v, timing.period) : v;
    }
    if (!(timing.rate > 0) || !Number.isFinite(timing.rate)) {
      out[name] = { samples: count, note: "no sample rate (equal time stamps)", peaks: [], window: settings.window, size: 0, resampled: false };
      continue;
    }
    const size = chooseSize(uniform.length, settings.size, settings.welch);
    const result = spectrum(uniform, timing.rate, { size, window: settings.window, welch: settings.welch });
    const used = settings.welch ? Math.min(uniform.length, result.segment + (result.segments - 1) * Math.max(1, result.segment >> 1)) : result.segment;
    out[name] = {
      samples: count, rate: timing.rate, period: timing.period, jitter: timing.jitter, missing, resampled, bunched,
      uniform, grid: uniform.length, size: result.size, segment: result.segment, segments: result.segments, used,
      binHz: result.binHz, window: settings.window, amplitude: result.amplitude,
      peaks: strongestPeaks(result, settings.peaks),
    };
  }
  return out;
}

/** The values of the lines with a time, from the first value to the last, a missing one
 * linearly interpolated from its neighbours by position. */
function fillByIndex(values, times) {
  const kept = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(times[i])) kept.push(values[i]);
  let first = 0, last = kept.length - 1;
  while (first <= last && !Number.isFinite(kept[first])) first++;
  while (last >= first && !Number.isFinite(kept[last])) last--;
  const out = Float64Array.from(kept.slice(first, last + 1));
  let filled = 0, previous = 0;
  for (let i = 1; i < out.length; i++) {
    if (Number.isFinite(out[i])) { previous = i; continue; }
    let next = i;
    while (!Number.isFinite(out[next])) next++;
    for (let k = i; k < next; k++) out[k] = out[previous] + (out[next] - out[previous]) * (k - previous) / (next - previous);
    filled += next - i;
    i = next - 1;
  }
  return { values: out, filled };
}

/**
 * The `count` strongest peaks, each apart from every stronger one by more than the window's
 * skirt (so a strong tone's side lobes are not listed as peaks), at least −40 dB from the
 * strongest, and off the main lobe of 0 Hz; frequency and amplitude as fft.js's `peaks` interpolates them.
 */
function strongestPeaks(result, count) {
  // The 64 strongest local maxima, strongest first (kept in order as found: a sort of every
  // local maximum of a noisy 65 536-point spectrum costs more than the FFT's own passes).
  const a = result.amplitude, candidates = [], keep = 64;
  for (let k = 1; k < a.length - 1; k++) {
    if (!(a[k] > a[k - 1] && a[k] >= a[k + 1] && a[k] > 0)) continue;
    if (candidates.length === keep && a[k] <= a[candidates[keep - 1]]) continue;
    let j = Math.min(candidates.length, keep - 1);
    while (j > 0 && a[candidates[j - 1]] < a[k]) { candidates[j] = candidates[j - 1]; j--; }
    candidates[j] = k;
  }
  const lobe = (LOBE[result.window] || 2) * result.size / result.segment, guard = 3 * lobe;
  const chosen = [];
  for (const k of candidates) {
    if (chosen.length >= count || a[k] < PEAK_FLOOR * a[candidates[0]]) break;
    // Within the main lobe of 0 Hz is what is left of the mean and of drift, not a tone.
    if (k > lobe && chosen.every((c) => Math.abs(c - k) > guard)) chosen.push(k);
  }
  // fft.js's peaks() over the chosen bins and their neighbours only.
  const masked = new Float64Array(a.length);
  for (const k of chosen) { masked[k - 1] = a[k - 1]; masked[k] = a[k]; masked[k + 1] = a[k + 1]; }
  return peaks({ ...result, amplitude: masked }, chosen.length).map((p) => ({ hz: p.hz, amplitude: p.amplitude }));
}

/**
 * A spectrogram of uniform `values` at `rate`: short Hann spectra of `size` points (a power of
 * two near 4√n, 32 to 4096) at up to 300 evenly spread starts. Returns `{size, hop, frames,
 * bins, binHz, times (s from the first sample to each frame's centre), db: Float32Array
 * (frame-major, dB re 1), top (the highest dB)}`, or null for fewer than 64 values.
 */
export function spectrogram(values, rate, options = {}) {
  const n = values.length;
  if (n < 64 || !(rate > 0)) return null;
  const size = options.size || Math.min(4096, Math.max(32, previousPowerOfTwo(4 * Math.sqrt(n))));
  const hop = Math.max(1, Math.ceil((n - size) / 300)), frames = Math.floor((n - size) / hop) + 1, bins = size / 2 + 1;
  const db = new Float32Array(frames * bins), times = new Float64Array(frames);
  let top = -Infinity;
  for (let f = 0; f < frames; f++) {
    const r = spectrum(values.subarray(f * hop, f * hop + size), rate, { size, window: options.window || "hann" });
    for (let k = 0; k < bins; k++) {
      const v = 20 * Math.log10(r.amplitude[k]);
      db[f * bins + k] = v;
      if (k > 0 && v > top) top = v;
    }
    times[f] = (f * hop + size / 2) / rate;
  }
  // A constant series has no power but at 0 Hz (the mean is taken out): nothing above -∞.
  if (!Number.isFinite(top)) top = 0;
  return { size, hop, frames, bins, binHz: rate / size, times, db, top };
}

/** What `window.sensorbridge.spectrum` shows: plain JSON, no NaN, no arrays of bins. */
export function spectrumState(results) {
  const state = {};
  for (const [name, r] of Object.entries(results)) {
    if (r.note) { state[name] = { samples: r.samples, note: r.note, peaks: [], window: r.window, size: 0, resampled: false }; continue; }
    state[name] = {
      rate: r.rate, jitter: r.jitter, peaks: r.peaks.map((p) => ({ hz: p.hz, amplitude: p.amplitude })),
      window: r.window, size: r.size, resampled: r.resampled, bunched: r.bunched, samples: r.samples, missing: r.missing,
      segments: r.segments, binHz: r.binHz,
    };
  }
  return state;
}

// ---- Text ----

const WINDOW_LABELS = { rectangular: "rectangular", hann: "Hann", "blackman-harris": "Blackman-Harris", "flat-top": "flat-top" };

/** Digits for a frequency: a tenth of a bin (the peaks are interpolated), 0 to 4. */
export function formatHz(hz, binHz) {
  const digits = Math.max(0, Math.min(4, Math.ceil(-Math.log10(binHz > 0 ? binHz / 10 : 0.01))));
  return hz.toFixed(digits) + " Hz";
}
/** An amplitude with 4 significant digits (exponent when tiny or huge), or in dB. */
export function formatAmplitude(a, db) {
  if (db) return (a > 0 ? (20 * Math.log10(a)).toFixed(1) : "−∞") + " dB";
  if (a === 0) return "0";
  if (Math.abs(a) >= 1e5 || Math.abs(a) < 1e-3) return a.toExponential(2);
  return a.toPrecision(4);
}
function formatRate(rate) { return (rate >= 100 ? rate.toFixed(1) : rate >= 10 ? rate.toFixed(2) : rate.toFixed(3)) + " Hz"; }
function formatJitter(jitter, period) {
  const ms = jitter >= 1 ? jitter.toFixed(1) : jitter >= 0.01 ? jitter.toFixed(2) : jitter.toExponential(1);
  return ms + " ms (" + (100 * jitter / period).toFixed(1) + " %)";
}
function withSpaces(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, " "); }

// 100.01 Hz in five steps is steps of 20.
const niceStep = (span, count) => roundStep(span, count, 0.001);
function tickText(v, step) { return v.toFixed(Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)))); }

// ---- Drawing ----

const TOP = 22, BOTTOM = 34, RIGHT = 14;

/**
 * Draws the spectra on the canvas (CSS pixels: its box). Returns the layout: the axes'
 * ranges and every text drawn with its box, for tests.
 */
/// Fits the canvas to its box in device pixels and clears it: its context and CSS size.
function fitCanvas(canvas, minHeight, colors) {
  const dpr = window.devicePixelRatio || 1;
  const rect = canvas.getBoundingClientRect();
  const width = Math.max(200, Math.round(rect.width)), height = Math.max(minHeight, Math.round(rect.height));
  if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = colors.panel;
  ctx.fillRect(0, 0, width, height);
  return { ctx, width, height };
}

function drawSpectrum(canvas, results, series, settings, colors, message) {
  const { ctx, width, height } = fitCanvas(canvas, 150, colors);
  const layout = { width, height, labels: [], lines: 0 };
  const placed = layout.labels;
  const font = (size, weight) => { ctx.font = (weight ? weight + " " : "") + size + "px system-ui, sans-serif"; return size; };
  const free = (r) => placed.every((l) => r.x + r.w + 2 <= l.x || l.x + l.w + 2 <= r.x || r.y + r.h <= l.y || l.y + l.h <= r.y);
  const text = (kind, s, x, cy, align, size) => {
    const w = Math.ceil(ctx.measureText(s).width), h = size + 2;
    let left = align === "right" ? x - w : align === "center" ? x - w / 2 : x;
    left = Math.max(1, Math.min(width - 1 - w, left));
    const r = { kind, text: s, x: left, y: Math.max(0, Math.min(height - h, cy - h / 2)), w, h };
    return r;
  };
  const put = (r, color, backing) => {
    if (backing) { ctx.globalAlpha = 0.85; ctx.fillStyle = backing; ctx.fillRect(r.x - 2, r.y, r.w + 4, r.h); ctx.globalAlpha = 1; }
    ctx.fillStyle = color;
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    ctx.fillText(r.text, r.x, r.y + r.h / 2 + 0.5);
    placed.push(r);
  };

  const shown = series.filter((s) => results[s.name] && !results[s.name].note);
  if (!shown.length) {
    font(14);
    put(text("message", message || "too few samples", width / 2, height / 2, "center", 14), colors.muted);
    layout.message = message || "too few samples";
    return layout;
  }

  // The ranges: 0 to the highest Nyquist frequency; 0 to the top (linear) or 100 dB under it.
  let nyquist = Math.max(...shown.map((s) => results[s.name].rate / 2));
  const db = settings.db;
  let top = -Infinity, bottom = Infinity;
  const curves = shown.map((s) => {
    const r = results[s.name];
    const amplitude = db ? decibels(r.amplitude) : r.amplitude;
    for (let k = 1; k < amplitude.length; k++) {
      const a = amplitude[k];
      if (Number.isFinite(a)) { if (a > top) top = a; if (a < bottom) bottom = a; }
    }
    return { s, r, amplitude };
  });
  let y0, y1;
  if (db) {
    if (!Number.isFinite(top)) { top = 0; bottom = -20; }
    y1 = Math.ceil((top + 3) / 10) * 10;
    y0 = Math.max(Math.floor(bottom / 10) * 10, y1 - 120);
    if (y1 - y0 < 20) y0 = y1 - 20;
  } else {
    y0 = 0;
    y1 = top > 0 ? top * 1.12 : 1;
  }
  const fontSize = font(width < 500 ? 11 : 12);
  const ystep = niceStep(y1 - y0, Math.max(2, Math.floor((height - TOP - BOTTOM) / 40)));
  if (!db) y1 = Math.ceil(y1 / ystep - 1e-9) * ystep;
  const yticks = [];
  for (let v = Math.ceil(y0 / ystep - 1e-9) * ystep; v <= y1 + ystep * 1e-9; v += ystep) yticks.push(Math.abs(v) < ystep * 1e-9 ? 0 : v);
  const ytexts = yticks.map((v) => tickText(v, ystep));
  const left = Math.ceil(Math.max(...ytexts.map((s) => ctx.measureText(s).width), 20)) + 10;
  const plotW = Math.max(40, width - left - RIGHT), plotH = Math.max(40, height - TOP - BOTTOM);
  const xstep = niceStep(nyquist, Math.max(2, Math.floor(plotW / (width < 500 ? 60 : 80))));
  // A measured 199.9 Hz rate: the axis ends at 100 Hz, labelled, rather than just short of it.
  const snapped = Math.ceil(nyquist / xstep - 1e-9) * xstep;
  if (snapped - nyquist < 0.02 * nyquist) nyquist = snapped;
  const x = (hz) => left + hz / nyquist * plotW;
  const y = (v) => TOP + plotH - (v - y0) / (y1 - y0) * plotH;
  layout.x = { from: 0, to: nyquist, step: xstep, left, width: plotW };
  layout.y = { from: y0, to: y1, step: ystep, top: TOP, height: plotH, db };

  // The grid, under the data.
  ctx.strokeStyle = colors.grid;
  ctx.lineWidth = 1;
  ctx.beginPath();
  const xticks = [];
  for (let hz = 0; hz <= nyquist + xstep * 1e-9; hz += xstep) xticks.push(hz);
  for (const hz of xticks) { const px = Math.round(x(hz)) + 0.5; ctx.moveTo(px, TOP); ctx.lineTo(px, TOP + plotH); }
  for (const v of yticks) { const py = Math.round(y(v)) + 0.5; ctx.moveTo(left, py); ctx.lineTo(left + plotW, py); }
  ctx.stroke();

  // The lines: each pixel column's bins drawn from their least to their greatest.
  ctx.save();
  ctx.beginPath(); ctx.rect(left, TOP, plotW, plotH); ctx.clip();
  ctx.lineWidth = 1.25;
  ctx.lineJoin = "round";
  for (const c of curves) {
    const a = c.amplitude, binHz = c.r.binHz, floor = y0 - (y1 - y0);
    ctx.strokeStyle = c.s.color;
    ctx.beginPath();
    let column = -1, lo = Infinity, hi = -Infinity, first = true;
    const flush = () => {
      if (column < 0) return;
      const px = left + column + 0.5;
      if (first) { ctx.moveTo(px, y(hi)); first = false; } else ctx.lineTo(px, y(hi));
      if (lo !== hi) ctx.lineTo(px, y(lo));
    };
    for (let k = 0; k < a.length; k++) {
      const v = Number.isFinite(a[k]) ? Math.max(a[k], floor) : floor;
      const col = Math.floor(x(k * binHz) - left);
      if (col !== column) { flush(); column = col; lo = v; hi = v; } else { if (v < lo) lo = v; if (v > hi) hi = v; }
    }
    flush();
    ctx.stroke();
    layout.lines++;
  }
  ctx.restore();
  ctx.strokeStyle = colors.axis;
  ctx.lineWidth = 1;
  ctx.strokeRect(left + 0.5, TOP + 0.5, plotW, plotH);

  // Axis labels: amplitude on the left, Hz under the plot, each axis named.
  font(fontSize);
  yticks.forEach((v, i) => {
    const r = text("y", ytexts[i], left - 6, y(v), "right", fontSize);
    if (free(r)) put(r, colors.muted);
  });
  for (const hz of xticks) {
    const r = text("x", tickText(hz, xstep), x(hz), TOP + plotH + 4 + fontSize / 2 + 1, "center", fontSize);
    if (free(r)) put(r, colors.muted);
  }
  const units = [...new Set(shown.map((s) => s.unit).filter(Boolean))];
  const unitText = units.length === 1 ? units[0] : "";
  put(text("title", "frequency (Hz)", left + plotW, height - fontSize / 2 - 2, "right", fontSize), colors.muted);
  const yTitle = db ? "dB re 1" + (unitText ? " " + unitText : "") : "amplitude" + (unitText ? " (" + unitText + ")" : "");
  const titleBox = text("title", yTitle, left, TOP / 2, "left", fontSize);
  if (free(titleBox)) put(titleBox, colors.muted);

  // The peaks: a marker each, and its frequency and amplitude where there is room.
  font(fontSize, 600);
  for (const c of curves) {
    for (const p of c.r.peaks) {
      const value = db ? 20 * Math.log10(p.amplitude) : p.amplitude;
      if (!Number.isFinite(value)) continue;
      const px = x(p.hz), py = Math.max(TOP, Math.min(TOP + plotH, y(value)));
      ctx.fillStyle = c.s.color;
      ctx.beginPath(); ctx.moveTo(px, py - 2); ctx.lineTo(px - 4, py - 9); ctx.lineTo(px + 4, py - 9); ctx.closePath(); ctx.fill();
      const label = formatHz(p.hz, c.r.binHz) + "  " + formatAmplitude(p.amplitude, db);
      const tries = [[px + 7, py - 12, "left"], [px - 7, py - 12, "right"], [px + 7, py + 8, "left"], [px - 7, py + 8, "right"],
                     [px, py - 24, "center"], [px + 7, py - 26, "left"], [px - 7, py - 26, "right"]];
      for (const [tx, ty, align] of tries) {
        const r = text("peak", label, tx, ty, align, fontSize);
        if (r.y >= TOP && r.y + r.h <= TOP + plotH && r.x >= left && r.x + r.w <= left + plotW && free(r)) {
          r.series = c.s.name; r.hz = p.hz;
          put(r, c.s.color, colors.panel);
          break;
        }
      }
    }
  }
  return layout;
}

/// Dark blue → purple → orange → pale yellow (a magma-like map), for 0..1.
const HEAT = [[0, 0, 4], [59, 15, 112], [140, 41, 129], [222, 73, 104], [254, 159, 109], [252, 253, 191]];
function heat(x) {
  if (!(x > 0)) x = 0;   // NaN, -Infinity: the bottom of the scale
  const f = Math.min(1, x) * (HEAT.length - 1), i = Math.min(HEAT.length - 2, Math.floor(f)), u = f - i;
  return HEAT[i].map((c, j) => Math.round(c + (HEAT[i + 1][j] - c) * u));
}

/**
 * Draws a spectrogram (`spectrogram()`'s result) of the series `name`: time across (seconds
 * to the end of the range), frequency up, 80 dB of colour under its top. Returns the layout.
 */
function drawSpectrogram(canvas, g, name, span, colors) {
  const { ctx, width, height } = fitCanvas(canvas, 120, colors);
  const fontSize = width < 500 ? 11 : 12, labels = [];
  ctx.font = fontSize + "px system-ui, sans-serif";
  ctx.textBaseline = "middle";
  const put = (kind, text, x, cy, align, color) => {
    const w = Math.ceil(ctx.measureText(text).width), h = fontSize + 2;
    const left = Math.max(1, Math.min(width - 1 - w, align === "right" ? x - w : align === "center" ? x - w / 2 : x));
    const r = { kind, text, x: left, y: Math.max(0, Math.min(height - h, cy - h / 2)), w, h };
    if (!labels.every((l) => r.x + r.w + 2 <= l.x || l.x + l.w + 2 <= r.x || r.y + r.h <= l.y || l.y + l.h <= r.y)) return null;
    ctx.fillStyle = color;
    ctx.textAlign = "left";
    ctx.fillText(text, r.x, r.y + r.h / 2 + 0.5);
    labels.push(r);
    return r;
  };
  const layout = { width, height, labels };
  if (!g) { put("message", "too few samples for a spectrogram", width / 2, height / 2, "center", colors.muted); return layout; }
  const nyquist = (g.bins - 1) * g.binHz;
  const ystep = niceStep(nyquist, Math.max(2, Math.floor((height - TOP - BOTTOM) / 40)));
  const yticks = [];
  for (let hz = 0; hz <= nyquist + 1e-9 * ystep; hz += ystep) yticks.push(hz);
  const left = Math.ceil(Math.max(...yticks.map((v) => ctx.measureText(tickText(v, ystep)).width), 20)) + 10;
  const plotW = Math.max(40, width - left - RIGHT), plotH = Math.max(40, height - TOP - BOTTOM);
  // The image: a column a frame, a row a bin (0 Hz at the bottom).
  const image = canvas.ownerDocument.createElement("canvas");
  image.width = g.frames; image.height = g.bins;
  const pixels = image.getContext("2d").createImageData(g.frames, g.bins);
  for (let f = 0; f < g.frames; f++) {
    for (let k = 0; k < g.bins; k++) {
      const [r, gr, b] = heat((g.db[f * g.bins + k] - (g.top - 80)) / 80);
      const o = ((g.bins - 1 - k) * g.frames + f) * 4;
      pixels.data[o] = r; pixels.data[o + 1] = gr; pixels.data[o + 2] = b; pixels.data[o + 3] = 255;
    }
  }
  image.getContext("2d").putImageData(pixels, 0, 0);
  // Frames cover [first centre, last centre] of the span; the image fills the plot.
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(image, left, TOP, plotW, plotH);
  ctx.strokeStyle = colors.axis;
  ctx.lineWidth = 1;
  ctx.strokeRect(left + 0.5, TOP + 0.5, plotW, plotH);
  const y = (hz) => TOP + plotH - hz / nyquist * plotH;
  for (const hz of yticks) put("y", tickText(hz, ystep), left - 6, y(hz), "right", colors.muted);
  // Time: seconds before the end of the range.
  const t0 = g.times[0], t1 = g.times[g.frames - 1], x = (t) => left + (t - t0) / Math.max(1e-9, t1 - t0) * plotW;
  const xstep = niceStep(Math.max(1e-3, t1 - t0), Math.max(2, Math.floor(plotW / 80)));
  for (let t = Math.ceil((t0 - span) / xstep) * xstep; t <= t1 - span + 1e-9; t += xstep) {
    put("x", tickText(t, xstep) + " s", x(t + span), TOP + plotH + 4 + fontSize / 2 + 1, "center", colors.muted);
  }
  put("title", "spectrogram of " + name + ", dB (" + Math.round(g.top - 80) + " to " + Math.round(g.top) + ")", left, TOP / 2, "left", colors.muted);
  put("title", "frequency (Hz) up, time (s) across", left + plotW, height - fontSize / 2 - 2, "right", colors.muted);
  Object.assign(layout, { x: { from: t0 - span, to: t1 - span, step: xstep }, y: { from: 0, to: nyquist, step: ystep }, frames: g.frames, size: g.size });
  return layout;
}

// ---- The view ----

/**
 * @param host graph.js's viewHost: container, param, save, series, range, samples, theme,
 *   live, requestDraw
 */
export function createSpectrumView(host) {
  const settings = readSettings(host.param);
  const doc = host.container.ownerDocument;
  const make = (tag, className, text) => {
    const e = doc.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  };

  // Controls.
  const controls = make("div", "controls");
  const select = (label, id, options, value, title) => {
    const wrap = make("label", null, label + " ");
    const s = make("select");
    s.id = id;
    s.title = title;
    for (const [v, t] of options) { const o = make("option", null, t); o.value = v; s.appendChild(o); }
    s.value = value;
    wrap.appendChild(s);
    controls.appendChild(wrap);
    return s;
  };
  const windowSelect = select("Window", "fft-window", WINDOW_NAMES.map((n) => [n, WINDOW_LABELS[n] || n]), settings.window,
                              "The window: Hann for most, flat-top for exact amplitudes, Blackman-Harris for weak tones beside strong ones");
  const sizeSelect = select("Size", "fft-size", [["auto", "auto"]].concat(SIZES.map((n) => [String(n), withSpaces(n)])), String(settings.size),
                            "FFT points; fewer samples are zero-padded (auto: the next power of two of the samples)");
  const welchSelect = select("Averaging", "fft-welch", [["0", "off"], ["1", "Welch"]], settings.welch ? "1" : "0",
                             "Welch: the average of half-overlapping segments (less noise, coarser bins)");
  const dbSelect = select("Amplitude", "fft-db", [["0", "linear"], ["1", "dB"]], settings.db ? "1" : "0", "Amplitude axis: linear or dB");
  const sgramSelect = select("Spectrogram", "fft-sgram", [["0", "off"], ["1", "on"]], settings.spectrogram ? "1" : "0",
                             "A spectrogram (waterfall) of the first shown series over the visible range");
  const info = make("span", "spectrum-info");
  info.setAttribute("role", "status");
  controls.appendChild(info);

  const canvas = make("canvas", "spectrum-plot");
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", "Amplitude spectrum of the visible range");
  const note = make("p", "view-note spectrum-note");
  note.hidden = true;
  const tableBox = make("div", "spectrum-table");
  const table = make("table");
  const caption = make("caption", null, "Spectrum of the visible range");
  const head = make("thead"), headRow = make("tr");
  for (const h of ["series", "rate", "jitter", "samples", "peaks"]) {
    const th = make("th", h === "samples" ? "spectrum-count" : h === "peaks" ? "spectrum-peaks" : null, h);
    th.scope = "col";
    headRow.appendChild(th);
  }
  head.appendChild(headRow);
  const body = make("tbody");
  table.append(caption, head, body);
  tableBox.appendChild(table);
  const sgramCanvas = make("canvas", "spectrogram-plot");
  sgramCanvas.setAttribute("role", "img");
  sgramCanvas.setAttribute("aria-label", "Spectrogram of the first shown series over the visible range");
  sgramCanvas.hidden = !settings.spectrogram;
  host.container.append(controls, canvas, sgramCanvas, note, tableBox);

  let shown = false, results = {}, series = [], lastKey = "", computedAt = -Infinity, cost = 0, timer = null;
  let drawnKey = "", message = "", layout = null, computes = 0, sgram = null;

  function save() {
    host.save("fftwin", settings.window === DEFAULTS.window ? "" : settings.window);
    host.save("fftsize", settings.size === "auto" ? "" : settings.size);
    host.save("welch", settings.welch ? "1" : "");
    host.save("db", settings.db ? "1" : "");
    host.save("sgram", settings.spectrogram ? "1" : "");
  }
  function changed() {
    settings.window = windowSelect.value;
    settings.size = sizeSelect.value === "auto" ? "auto" : Number(sizeSelect.value);
    settings.welch = welchSelect.value === "1";
    settings.db = dbSelect.value === "1";
    settings.spectrogram = sgramSelect.value === "1";
    sgramCanvas.hidden = !settings.spectrogram;
    save();
    compute();
  }
  for (const s of [windowSelect, sizeSelect, welchSelect, dbSelect, sgramSelect]) s.addEventListener("change", changed);

  function settingsKey() { return [settings.window, settings.size, settings.welch, settings.spectrogram].join(","); }

  /// The samples to analyse: without Welch only the newest FFT-size of them are used, so
  /// only those (and a margin) are read from the page; with Welch at most the newest
  /// WELCH_MOST (an hour at 1 kHz would take seconds of the page's thread a computation).
  function read(range, names) {
    let t0 = range.t0;
    const times = host.samples(range.t0, range.t1, []).times;
    const limit = settings.welch ? WELCH_MOST : settings.size === "auto" ? MAX_SIZE : settings.size;
    const keep = Math.ceil(limit * 1.1) + 16;
    if (times.length > keep) t0 = times[times.length - keep];
    return host.samples(t0, range.t1, names);
  }

  function compute() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (!shown) return;
    const started = performance.now();
    const range = host.range();
    series = host.series();
    const names = series.map((s) => s.name);
    lastKey = keyOf(range, names);
    results = names.length && range.t1 > range.t0 ? analyseSpectrum(read(range, names), names, settings) : {};
    const first = series.find((s) => results[s.name] && !results[s.name].note);
    sgram = settings.spectrogram && first ? { name: first.name, g: spectrogram(results[first.name].uniform, results[first.name].rate),
                                              span: results[first.name].grid / results[first.name].rate } : null;
    const counted = Object.values(results);
    message = !names.length ? "no series shown" : !counted.length ? "no samples in the visible range"
      : counted.every((r) => r.note) ? counted[0].note === "too few samples" ? "too few samples (" + Math.max(...counted.map((r) => r.samples)) + ", at least " + MIN_SAMPLES + ")" : counted[0].note : "";
    render();
    computedAt = performance.now();
    cost = computedAt - started;
    computes++;
    Object.assign(layout, { computes, cost });
  }

  /// What the drawing depends on besides the results: the canvases' sizes, dB, the theme.
  function drawingKey() {
    const a = canvas.getBoundingClientRect(), b = sgramCanvas.getBoundingClientRect();
    return [a.width, a.height, b.width, b.height, settings.db, settings.spectrogram, JSON.stringify(host.theme())].map(String).join("|");
  }

  function keyOf(range, names) { return [settingsKey(), names.join("\u0001"), range.t0, range.t1].join("|"); }

  function render() {
    const colors = host.theme();
    layout = drawSpectrum(canvas, results, series, settings, colors, message);
    canvas.spectrumLayout = layout;   // for tests: what was drawn where
    if (settings.spectrogram) {
      sgramCanvas.spectrumLayout = drawSpectrogram(sgramCanvas, sgram && sgram.g, sgram ? sgram.name : "", sgram ? sgram.span : 0, colors);
    }
    drawnKey = drawingKey();
    // The notes and the table.
    const ok = series.filter((s) => results[s.name] && !results[s.name].note);
    const bunched = ok.filter((s) => results[s.name].bunched), resampled = ok.filter((s) => results[s.name].resampled && !results[s.name].bunched);
    const notes = [];
    if (message) notes.push(message + ".");
    if (bunched.length) {
      notes.push("The time stamps come in bunches (when the lines arrived, not when they were taken): the samples are taken as evenly spaced, at the rate of a line under the least delayed of them.");
      const filled = bunched.filter((s) => results[s.name].missing > 0);
      if (filled.length) notes.push("Lines without a value interpolated in place: " + filled.map((s) => s.name + " " + results[s.name].missing).join(", ") + ".");
    }
    if (resampled.length) {
      notes.push("Resampled onto a uniform grid at the measured rate (linear interpolation) before the FFT, since " +
        (resampled.some((s) => results[s.name].missing > 0) ? "samples are missing" : "the time stamps jitter by over 1 % of the period") +
        ": " + resampled.map((s) => s.name).join(", ") + ".");
    }
    const few = series.filter((s) => results[s.name] && results[s.name].note);
    if (few.length && ok.length) notes.push(few.map((s) => s.name + ": " + results[s.name].note + " (" + results[s.name].samples + ")").join("; ") + ".");
    note.textContent = notes.join(" ");
    note.hidden = !notes.length;
    const first = ok.length ? results[ok[0].name] : null;
    info.textContent = first ? (WINDOW_LABELS[settings.window] || settings.window) + ", " + withSpaces(first.size) + " points" +
      (settings.welch ? ", " + first.segments + " segment" + (first.segments === 1 ? "" : "s") + " averaged" : "") +
      (first.segment < first.size ? ", zero-padded from " + withSpaces(first.segment) : "") +
      ", bin " + formatHz(first.binHz, first.binHz / 10) +
      (first.used < first.grid ? " (the newest " + withSpaces(first.used) + " of " + withSpaces(first.grid) + " samples)" : "") : "";
    body.textContent = "";
    for (const s of series) {
      const r = results[s.name];
      if (!r) continue;
      const row = make("tr");
      const name = make("th");
      name.scope = "row";
      const swatch = make("span", "spectrum-swatch");
      swatch.style.background = s.color;
      name.append(swatch, doc.createTextNode(s.name));
      row.appendChild(name);
      if (r.note) {
        row.append(make("td", null, "–"), make("td", null, "–"), make("td", "spectrum-count", String(r.samples)), make("td", "spectrum-peaks", r.note));
      } else {
        // Jitter, then how the samples were taken (a line of its own); the peaks a line each.
        const jitter = make("td", null, formatJitter(r.jitter, r.period));
        const how = [r.bunched ? "bunched" : r.resampled ? "resampled" : "", r.missing ? withSpaces(r.missing) + " missing" : ""].filter(Boolean).join(", ");
        if (how) jitter.appendChild(make("span", "spectrum-flag", how));
        const found = make("td", "spectrum-peaks");
        for (const p of r.peaks) found.appendChild(make("span", "spectrum-peak", formatHz(p.hz, r.binHz) + " " + formatAmplitude(p.amplitude, settings.db)));
        if (!r.peaks.length) found.textContent = "none";
        row.append(make("td", null, formatRate(r.rate)), jitter, make("td", "spectrum-count", withSpaces(r.samples)), found);
      }
      body.appendChild(row);
    }
    tableBox.hidden = !body.children.length;
  }

  return {
    show() { shown = true; compute(); },
    hide() { shown = false; if (timer) { clearTimeout(timer); timer = null; } },
    /// The page's values changed (a calibration, a derived series): computed anew.
    valuesChanged() { lastKey = ""; if (shown) compute(); },
    /// After each draw of the page: recompute at most every max(250 ms, 5× the cost) while
    /// live; when paused, at once when the range or the series changed (or, while a drag
    /// moves it, once the last change has waited twice the cost); else redraw on a resize or
    /// a theme change.
    update() {
      if (!shown) return;
      const range = host.range(), names = host.series().map((s) => s.name);
      if (keyOf(range, names) !== lastKey) {
        // While the range moves (live, or reconnecting: it follows the clock), at most every
        // max(250 ms, 5× the cost); paused, once a drag settles.
        const moving = !range.paused;
        const wait = (moving ? Math.max(250, 5 * cost) : 2 * cost) - (performance.now() - computedAt);
        if (wait <= 0) compute();
        else if (!timer && !moving) timer = setTimeout(compute, wait);
        return;
      }
      if (drawingKey() !== drawnKey) render();
    },
    state() { return spectrumState(results); },
    /// For tests: the last drawn layout (axes, texts and their boxes) and the compute cost.
    get layout() { return layout; },
    get cost() { return cost; },
  };
}
