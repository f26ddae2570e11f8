// Measurements of one series over a span, exact from the samples (never from what is drawn):
// min, max, mean, RMS, standard deviation, peak-to-peak, count and rate. NaN (no value) and
// non-finite values are left out, so a gap never poisons a figure.

/** @param {ArrayLike<number>} values @param {ArrayLike<number>=} times ms, same length */
export function measure(values, times) {
  // Two passes (sum, then squares about the mean): as stable as Welford for a small
  // vibration on a large offset, and no division a sample.
  let count = 0, min = Infinity, max = -Infinity, sum = 0, firstIndex = -1, lastIndex = -1;
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!(v - v === 0)) continue;  // NaN and ±Infinity
    if (firstIndex < 0) firstIndex = i;
    lastIndex = i;
    count++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (count === 0) return { min: NaN, max: NaN, mean: NaN, rms: NaN, std: NaN, pp: NaN, count: 0, rate: NaN };
  const mean = sum / count;
  let deviations = 0, correction = 0;
  for (let i = firstIndex; i <= lastIndex; i++) {
    const v = values[i];
    if (!(v - v === 0)) continue;
    const d = v - mean;
    deviations += d * d;
    correction += d;
  }
  // The corrected two-pass sum (Chan, Golub, LeVeque): the rounding of the mean taken out.
  const m2 = Math.max(0, deviations - correction * correction / count);
  const span = times && count > 1 ? times[lastIndex] - times[firstIndex] : NaN;
  return {
    min, max, mean,
    rms: Math.sqrt(m2 / count + mean * mean),
    std: count > 1 ? Math.sqrt(m2 / (count - 1)) : 0,
    pp: max - min,
    count,
    rate: span > 0 ? (count - 1) * 1000 / span : NaN,
  };
}

/** The two cursors' readout: Δt (ms), 1/Δt (Hz) and Δ per series. */
export function cursorDelta(t1, t2, values1, values2) {
  const dt = t2 - t1;
  return {
    dt,
    hz: dt !== 0 ? 1000 / Math.abs(dt) : NaN,
    delta: values1.map((v, i) => values2[i] - v),
  };
}
