// sensorbridge: the samples the page holds, in typed-array rings, with per-block min/max
// summaries so a 10-minute window of 1 kHz data can be drawn per pixel column without
// touching every sample each frame. Series are by name (a labelled line may carry only
// some of them: NaN marks "no value"), and each series knows where its line must break.
(function (global) {
  "use strict";

  const BLOCK = 64;                 // samples per min/max summary block
  const BLOCK_SHIFT = 6;

  function SeriesStore(options) {
    options = options || {};
    this.maxCapacity = options.maxCapacity || (1 << 21);
    this.keepMs = options.keepMs || 600000;
    this.names = [];                 // series names, in the order they appeared
    this.index = new Map();          // name -> series index
    this.events = [];                // {t, kind, text}: gaps, disconnections, restarts, shown on the plot
    this.lastTimeOf = [];            // per series: time of its newest value
    this.typicalDt = [];             // per series: smoothed interval between its values
    this.pendingBreak = [];          // per series: its next value starts a new line
    this.allocate(options.capacity || 1 << 14);
  }

  SeriesStore.prototype.allocate = function (capacity) {
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.time = new Float64Array(capacity);
    this.start = 0;                  // physical index of the oldest sample
    this.length = 0;
    this.values = [];
    this.breaks = [];
    this.blockMin = [];
    this.blockMax = [];
    this.blockBreak = [];
    for (let s = 0; s < this.names.length; s++) this.addSeriesArrays();
  };

  /// The rings of one more series, empty: no values, no breaks, empty blocks.
  SeriesStore.prototype.addSeriesArrays = function () {
    const blocks = this.capacity >> BLOCK_SHIFT;
    this.values.push(new Float64Array(this.capacity).fill(NaN));
    this.breaks.push(new Uint8Array(this.capacity));
    this.blockMin.push(new Float64Array(blocks).fill(Infinity));
    this.blockMax.push(new Float64Array(blocks).fill(-Infinity));
    this.blockBreak.push(new Uint8Array(blocks));
  };

  /// The series index for a name, adding the series when new.
  SeriesStore.prototype.seriesIndex = function (name) {
    let i = this.index.get(name);
    if (i !== undefined) return i;
    i = this.names.length;
    this.names.push(name);
    this.index.set(name, i);
    this.addSeriesArrays();
    this.lastTimeOf.push(NaN);
    this.typicalDt.push(NaN);
    this.pendingBreak.push(1);
    return i;
  };

  /// Drops the series that are neither among `current` (the bridge forgot them: a sketch
  /// with more than 64 labels over time) nor hold a value any more, so the page does not
  /// keep rings for every label a long run ever printed. True when one went.
  SeriesStore.prototype.retire = function (current) {
    const keep = new Set(current);
    let removed = false;
    for (let s = this.names.length - 1; s >= 0; s--) {
      if (keep.has(this.names[s]) || this.holdsValues(s)) continue;
      for (const list of [this.names, this.values, this.breaks, this.blockMin, this.blockMax, this.blockBreak,
                          this.lastTimeOf, this.typicalDt, this.pendingBreak]) list.splice(s, 1);
      removed = true;
    }
    if (removed) this.index = new Map(this.names.map((name, s) => [name, s]));
    return removed;
  };

  /// Whether series s has a value in what is held.
  SeriesStore.prototype.holdsValues = function (s) {
    const values = this.values[s];
    for (let i = 0; i < this.length; i++) if (values[(this.start + i) & this.mask] === values[(this.start + i) & this.mask]) return true;
    return false;
  };

  SeriesStore.prototype.reset = function () {
    this.names = [];
    this.index = new Map();
    this.events = [];
    this.lastTimeOf = [];
    this.typicalDt = [];
    this.pendingBreak = [];
    this.allocate(1 << 14);
  };

  /// Notes what happened at time t (a gap, a disconnection, a restart), for the plot.
  SeriesStore.prototype.mark = function (t, kind, text) {
    this.events.push({ t: t, kind: kind, text: text || kind });
    if (this.events.length > 500) this.events.splice(0, this.events.length - 500);
  };

  /// Every series' line breaks before its next value, and the reason is marked.
  SeriesStore.prototype.breakAll = function (t, kind, text) {
    for (let s = 0; s < this.pendingBreak.length; s++) this.pendingBreak[s] = 1;
    if (kind) this.mark(t, kind, text);
  };

  SeriesStore.prototype.physical = function (logical) { return (this.start + logical) & this.mask; };
  SeriesStore.prototype.timeAt = function (logical) { return this.time[(this.start + logical) & this.mask]; };
  SeriesStore.prototype.firstTime = function () { return this.length ? this.timeAt(0) : NaN; };
  SeriesStore.prototype.lastTime = function () { return this.length ? this.timeAt(this.length - 1) : NaN; };

  /// Appends one sample: time `t` (ms since the epoch) and `row[k]` for series `columns[k]`
  /// (an undefined column, such as the time in a wire sample, is skipped).
  SeriesStore.prototype.push = function (t, row, columns) {
    if (this.length === this.capacity) {
      if (this.timeAt(0) >= t - this.keepMs && this.capacity < this.maxCapacity) this.grow();
      else this.dropOldest(1);
    }
    const p = (this.start + this.length) & this.mask;
    const startsBlock = (p & (BLOCK - 1)) === 0;
    const b = p >> BLOCK_SHIFT;
    this.time[p] = t;
    for (let s = 0; s < this.values.length; s++) {
      this.values[s][p] = NaN;
      this.breaks[s][p] = 0;
      if (startsBlock) { this.blockMin[s][b] = Infinity; this.blockMax[s][b] = -Infinity; this.blockBreak[s][b] = 0; }
    }
    for (let k = 0; k < row.length; k++) {
      const v = row[k];
      if (v === null || v === undefined || typeof v !== "number" || !isFinite(v)) continue;
      const s = columns[k];
      if (s === undefined) continue;
      this.values[s][p] = v;
      const last = this.lastTimeOf[s];
      const dt = t - last;
      let brk = this.pendingBreak[s];
      if (!brk && last === last) {
        const typical = this.typicalDt[s];
        // A line breaks where its series was silent for much longer than usual.
        if (typical === typical && dt > Math.max(5 * typical, 50)) brk = 1;
        else this.typicalDt[s] = typical === typical ? typical + 0.1 * (dt - typical) : dt;
      }
      this.pendingBreak[s] = 0;
      this.lastTimeOf[s] = t;
      if (brk) { this.breaks[s][p] = 1; this.blockBreak[s][b] = 1; }
      if (v < this.blockMin[s][b]) this.blockMin[s][b] = v;
      if (v > this.blockMax[s][b]) this.blockMax[s][b] = v;
    }
    this.length++;
    // Keep what is within keepMs of the newest sample.
    const horizon = t - this.keepMs;
    let old = 0;
    while (old < this.length - 1 && this.timeAt(old) < horizon) old++;
    if (old) this.dropOldest(old);
  };

  SeriesStore.prototype.dropOldest = function (count) {
    this.start = (this.start + count) & this.mask;
    this.length -= count;
  };

  /// Doubles the rings, copying in logical order so the oldest sample lands at 0.
  SeriesStore.prototype.grow = function () {
    const old = {
      time: this.time, values: this.values, breaks: this.breaks, start: this.start, length: this.length, mask: this.mask,
    };
    this.allocate(this.capacity * 2);
    for (let i = 0; i < old.length; i++) {
      const from = (old.start + i) & old.mask;
      this.time[i] = old.time[from];
    }
    for (let s = 0; s < old.values.length; s++) {
      const values = this.values[s], breaks = this.breaks[s];
      for (let i = 0; i < old.length; i++) {
        const from = (old.start + i) & old.mask;
        values[i] = old.values[s][from];
        breaks[i] = old.breaks[s][from];
      }
      this.rebuildBlocks(s, old.length);
    }
    this.length = old.length;
    this.start = 0;
  };

  SeriesStore.prototype.rebuildBlocks = function (s, length) {
    const min = this.blockMin[s].fill(Infinity), max = this.blockMax[s].fill(-Infinity), brk = this.blockBreak[s].fill(0);
    const values = this.values[s], breaks = this.breaks[s];
    for (let p = 0; p < length; p++) {
      const b = p >> BLOCK_SHIFT, v = values[p];
      if (breaks[p]) brk[b] = 1;
      if (v < min[b]) min[b] = v;
      if (v > max[b]) max[b] = v;
    }
  };

  /// First logical index whose time is >= t (length when none).
  SeriesStore.prototype.lowerBound = function (t) {
    let lo = 0, hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.timeAt(mid) < t) lo = mid + 1; else hi = mid;
    }
    return lo;
  };

  /// The newest value of series s at or before time t, within `maxAgeMs`.
  SeriesStore.prototype.valueAt = function (s, t, maxAgeMs) {
    let i = this.lowerBound(t);
    if (i < this.length && this.timeAt(i) === t) i++;
    const values = this.values[s];
    for (let k = i - 1; k >= 0 && k >= i - 5000; k--) {
      const p = this.physical(k);
      if (this.time[p] < t - maxAgeMs) return null;
      const v = values[p];
      if (v === v) return { t: this.time[p], v: v };
    }
    return null;
  };

  /// Visits the values of series s with times in [t0, t1] (plus one beyond each edge, but
  /// none after `limit`), in pixel columns of `msPerColumn`: `column(x, first, min, max,
  /// last, breakBefore)` per column that has values. Whole blocks inside one column are
  /// taken from their summary.
  SeriesStore.prototype.columns = function (s, t0, t1, msPerColumn, column, limit) {
    if (!this.length) return;
    const from = Math.max(0, this.lowerBound(t0) - 1);
    let to = Math.min(this.length, this.lowerBound(t1) + 1);
    if (limit !== undefined && limit < Infinity) {
      let end = this.lowerBound(limit);
      while (end < this.length && this.timeAt(end) === limit) end++;
      to = Math.min(to, end);
    }
    const values = this.values[s], breaks = this.breaks[s], time = this.time, mask = this.mask;
    const bmin = this.blockMin[s], bmax = this.blockMax[s], bbrk = this.blockBreak[s];
    let col = NaN, first = NaN, min = Infinity, max = -Infinity, last = NaN, brk = 0;
    let i = from;
    while (i < to) {
      const p = (this.start + i) & mask;
      let c, vMin, vMax, vFirst, vLast, vBrk, step;
      if ((p & (BLOCK - 1)) === 0 && i + BLOCK <= to) {
        const tEnd = time[(p + BLOCK - 1) & mask];
        const cStart = Math.floor((time[p] - t0) / msPerColumn), cEnd = Math.floor((tEnd - t0) / msPerColumn);
        if (cStart === cEnd) {
          const b = p >> BLOCK_SHIFT;
          step = BLOCK;
          if (bmin[b] === Infinity) { i += step; continue; }
          c = cStart; vMin = bmin[b]; vMax = bmax[b]; vBrk = bbrk[b];
          vFirst = NaN; vLast = NaN;
        }
      }
      if (step === undefined) {
        step = 1;
        const v = values[p];
        if (v !== v) { i++; continue; }
        c = Math.floor((time[p] - t0) / msPerColumn);
        vMin = vMax = vFirst = vLast = v; vBrk = breaks[p];
      }
      if (c !== col) {
        if (col === col) column(col, first, min, max, last, brk);
        col = c; first = vFirst === vFirst ? vFirst : vMin; min = vMin; max = vMax; last = vLast === vLast ? vLast : vMax; brk = vBrk;
      } else {
        if (vMin < min) min = vMin;
        if (vMax > max) max = vMax;
        last = vLast === vLast ? vLast : vMax;
        if (vBrk) brk = 1;
      }
      i += step;
    }
    if (col === col) column(col, first, min, max, last, brk);
  };

  /// Rows for CSV: ISO time, ms since the epoch, one column per series by name.
  SeriesStore.prototype.csv = function () {
    const escape = (text) => /[",\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
    const lines = ["time,ms," + this.names.map(escape).join(",")];
    for (let i = 0; i < this.length; i++) {
      const p = this.physical(i);
      const t = this.time[p];
      let line = new Date(t).toISOString() + "," + t.toFixed(3);
      for (let s = 0; s < this.values.length; s++) {
        const v = this.values[s][p];
        line += "," + (v === v ? String(v) : "");
      }
      lines.push(line);
    }
    return lines.join("\n") + "\n";
  };

  global.SeriesStore = SeriesStore;
})(typeof window !== "undefined" ? window : globalThis);
