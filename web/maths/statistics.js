// Measurements of one series over a span, exact from the samples (never from what is drawn):
// min, max, mean, RMS, standard deviation, peak-to-peak, count and rate. NaN (no value) and
// non-finite values are left out, so a gap never poisons a figure.

/** @param {ArrayLike<number>} values @param {ArrayLike<number>=} times ms, same length */
export function measure(values, times) {
  let count = 0, min = Infinity, max = -Infinity, mean = 0, m2 = 0, squares = 0;
  let first = NaN, last = NaN;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    count++;
    if (v < min) min = v;
    if (v > max) max = v;
    // Welford: no catastrophic cancellation for a small vibration on a large offset.
    const delta = v - mean;
    mean += delta / count;
    m2 += delta * (v - mean);
    squares += v * v;
    if (times) {
      if (first !== first) first = times[i];
      last = times[i];
    }
  }
  if (count === 0) return { min: NaN, max: NaN, mean: NaN, rms: NaN, std: NaN, pp: NaN, count: 0, rate: NaN };
  const span = last - first;
  return {
    min, max, mean,
    rms: Math.sqrt(squares / count),
    std: count > 1 ? Math.sqrt(m2 / (count - 1)) : 0,
    pp: max - min,
    count,
    rate: times && count > 1 && span > 0 ? (count - 1) * 1000 / span : NaN,
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
