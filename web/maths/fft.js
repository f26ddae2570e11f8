// The spectrum of a series: a window, zero padding up to 65 536 points, Welch averaging for
// noisy signals, amplitude (linear or dB) single-sided so that a sine of amplitude A reads A,
// and its strongest peaks with frequency and amplitude interpolated between bins.

export const MAX_SIZE = 65536;

const twiddles = new Map();

/** cos and sin of -2πk/n for k < n/2, made once per size. */
function twiddleTable(n) {
  let table = twiddles.get(n);
  if (!table) {
    table = { cos: new Float64Array(n >> 1), sin: new Float64Array(n >> 1) };
    for (let k = 0; k < n >> 1; k++) {
      table.cos[k] = Math.cos(-2 * Math.PI * k / n);
      table.sin[k] = Math.sin(-2 * Math.PI * k / n);
    }
    twiddles.set(n, table);
  }
  return table;
}

/** In-place radix-2 FFT of (re, im), length a power of two. */
export function fft(re, im) {
  const n = re.length;
  if (n & (n - 1)) throw new Error("FFT size must be a power of two");
  const table = twiddleTable(Math.max(2, n));
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      let t = re[i]; re[i] = re[j]; re[j] = t;
      t = im[i]; im[i] = im[j]; im[j] = t;
    }
  }
  const cos = table.cos, sin = table.sin;
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1, stride = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0, t = 0; k < half; k++, t += stride) {
        const a = start + k, b = a + half, cr = cos[t], ci = sin[t];
        const tr = re[b] * cr - im[b] * ci, ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr; im[b] = im[a] - ti;
        re[a] += tr; im[a] += ti;
      }
    }
  }
}

const WINDOWS = {
  rectangular: [1],
  hann: [0.5, 0.5],
  // 4-term Blackman-Harris (-92 dB side lobes).
  "blackman-harris": [0.35875, 0.48829, 0.14128, 0.01168],
  // Flat-top (HFT70-like, SRS coefficients): amplitude right to ~0.01 dB anywhere in a bin.
  "flat-top": [0.21557895, 0.41663158, 0.277263158, 0.083578947, 0.006947368],
};
export const WINDOW_NAMES = Object.keys(WINDOWS);

const windows = new Map();

/** The window's n coefficients (periodic form, the usual one for spectra), made once. */
export function windowCoefficients(name, n) {
  const a = Object.hasOwn(WINDOWS, name) ? WINDOWS[name] : null;
  if (!a) throw new Error("unknown window: " + name);
  const key = name + ":" + n;
  if (windows.has(key)) return windows.get(key);
  if (windows.size > 8) windows.clear();
  const w = new Float64Array(n);
  windows.set(key, w);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let k = 0; k < a.length; k++) v += (k % 2 ? -1 : 1) * a[k] * Math.cos(2 * Math.PI * k * i / n);
    w[i] = v;
  }
  return w;
}

function nextPowerOfTwo(n) {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}

/**
 * @param {ArrayLike<number>} values uniformly spaced (NaN counts as the mean)
 * @param {number} rate samples per second
 * @param {{size?: number, window?: string, welch?: boolean}} options size: the FFT size
 *   (a power of two ≤ 65 536; the values are zero-padded to it, or, with `welch`, cut in
 *   half-overlapping segments of it whose powers are averaged)
 */
export function spectrum(values, rate, options = {}) {
  const windowName = options.window || "hann";
  const n = values.length;
  if (n < 2 || !(rate > 0)) return { rate, size: 0, binHz: NaN, amplitude: new Float64Array(0), window: windowName, segments: 0 };
  let size = Math.min(MAX_SIZE, options.size ? nextPowerOfTwo(options.size) : nextPowerOfTwo(n));
  const segment = options.welch ? Math.min(n, size) : Math.min(n, size);
  const hop = options.welch ? Math.max(1, segment >> 1) : segment;
  const starts = [];
  if (options.welch) {
    // Anchored at the newest sample: a live spectrum leaves out the oldest part of a hop,
    // never the newest.
    for (let s = n - segment; s >= 0; s -= hop) starts.unshift(s);
  }
  if (!starts.length) starts.push(Math.max(0, n - segment));  // the newest when longer than the size
  const w = windowCoefficients(windowName, segment);
  let wsum = 0;
  for (let i = 0; i < segment; i++) wsum += w[i];
  const power = new Float64Array(size / 2 + 1);
  const re = new Float64Array(size), im = new Float64Array(size);
  for (const start of starts) {
    let mean = 0, count = 0;
    for (let i = 0; i < segment; i++) { const v = values[start + i]; if (Number.isFinite(v)) { mean += v; count++; } }
    mean = count ? mean / count : 0;
    re.fill(0); im.fill(0);
    for (let i = 0; i < segment; i++) {
      const v = values[start + i];
      // The mean is taken out so a large offset does not leak into the lowest bins.
      re[i] = ((Number.isFinite(v) ? v : mean) - mean) * w[i];
    }
    fft(re, im);
    for (let k = 0; k <= size / 2; k++) power[k] += re[k] * re[k] + im[k] * im[k];
  }
  const amplitude = new Float64Array(size / 2 + 1);
  for (let k = 0; k <= size / 2; k++) {
    const magnitude = Math.sqrt(power[k] / starts.length);
    amplitude[k] = (k === 0 || k === size / 2 ? 1 : 2) * magnitude / wsum;
  }
  return { rate, size, binHz: rate / size, amplitude, window: windowName, segments: starts.length, segment, coefficients: w };
}

/** Amplitude in dB (re 1 unit); -Infinity for 0. */
export function decibels(amplitude) {
  return Float64Array.from(amplitude, (a) => 20 * Math.log10(a));
}

/** |W(δ)| / W(0): the window's response δ bins (of `size`) away from its centre. */
function windowResponse(w, size, delta) {
  // The phasor turns by a fixed angle a sample: one rotation each instead of cos and sin.
  const step = -2 * Math.PI * delta / size, sr = Math.cos(step), si = Math.sin(step);
  let r = 0, i = 0, s = 0, pr = 1, pi = 0;
  for (let n = 0; n < w.length; n++) {
    r += w[n] * pr;
    i += w[n] * pi;
    s += w[n];
    const next = pr * sr - pi * si;
    pi = pr * si + pi * sr;
    pr = next;
  }
  return Math.hypot(r, i) / s;
}

/**
 * The `count` strongest local maxima (DC left out), strongest first: frequency from a
 * parabola through the log amplitudes of the bin and its neighbours, amplitude corrected
 * by the window's own response at that offset (so a sine between bins reads its amplitude).
 */
export function peaks(result, count = 5) {
  const a = result.amplitude, found = [];
  for (let k = 1; k < a.length - 1; k++) {
    if (a[k] > a[k - 1] && a[k] >= a[k + 1] && a[k] > 0) found.push(k);
  }
  found.sort((p, q) => a[q] - a[p]);
  const out = [];
  for (const k of found) {
    if (out.length >= count) break;
    const l = Math.log(Math.max(a[k - 1], 1e-300)), c = Math.log(a[k]), r = Math.log(Math.max(a[k + 1], 1e-300));
    const denominator = l - 2 * c + r;
    let delta = denominator < 0 ? 0.5 * (l - r) / denominator : 0;
    if (!(Math.abs(delta) <= 0.5)) delta = 0;
    const gain = result.coefficients ? windowResponse(result.coefficients, result.size, delta) : 1;
    out.push({ hz: (k + delta) * result.binHz, amplitude: a[k] / (gain > 0 ? gain : 1), bin: k });
  }
  return out;
}
