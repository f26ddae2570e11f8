// sensorbridge: the page's data. First the samples the page holds, in typed-array rings,
// with per-block min/max summaries so a 10-minute window of 1 kHz data can be drawn per
// pixel column without touching every sample each frame. Series are by name (a labelled line may carry only
// some of them: NaN marks "no value"), and each series knows where its line must break: only where the
// stream says samples are missing or the source changed state (`breakAll`), never from time spacing,
// since late or bunched arrivals lose nothing.
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
      this.removeAt(s);
      removed = true;
    }
    return removed;
  };

  /// Drops series s (a derived series no longer defined); the later ones move down one.
  SeriesStore.prototype.removeAt = function (s) {
    for (const list of [this.names, this.values, this.breaks, this.blockMin, this.blockMax, this.blockBreak,
                        this.pendingBreak]) list.splice(s, 1);
    this.index = new Map(this.names.map((name, k) => [name, k]));
  };

  /// Series s's values computed anew for every held sample: `compute(p)` gives the value at
  /// physical index p (a recalibration, a derived series). New arrays, so a plot's column
  /// summaries of the old values are never reused; breaks stay, or come from `breakAt(p)`.
  SeriesStore.prototype.recompute = function (s, compute, breakAt) {
    const values = new Float64Array(this.capacity).fill(NaN);
    const breaks = breakAt ? new Uint8Array(this.capacity) : this.breaks[s];
    for (let i = 0; i < this.length; i++) {
      const p = (this.start + i) & this.mask, v = compute(p);
      if (typeof v === "number" && isFinite(v)) values[p] = v;
      if (breakAt && breakAt(p)) breaks[p] = 1;
    }
    this.values[s] = values;
    this.breaks[s] = breaks;
    this.rebuildBlocks(s, this.capacity);
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
      const brk = this.pendingBreak[s];
      this.pendingBreak[s] = 0;
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
    const lines = ["time,ms," + this.names.map(csvEscape).join(",")];
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

  /// Samples per second over `windowMs` ending at the newest sample rather than at `now`:
  /// samples still on their way (a busy page takes them late) then do not read as a lower
  /// rate, and a window the length of `windowMs` keeps a burst after a stall from reading
  /// as a higher one. When the newest sample is older than a few of its intervals the
  /// source has stalled: the window ends at `now`, so the rate falls to 0 as it empties.
  /// The time between samples lately (ms): over the newest 50, 1000 with fewer than two.
  SeriesStore.prototype.typicalInterval = function () {
    const n = Math.min(this.length, 50);
    if (n < 2) return 1000;
    return (this.lastTime() - this.timeAt(this.length - n)) / (n - 1);
  };

  /// How long without a sample (s) before a source is said to be silent: three seconds, or
  /// five of its intervals for a slow one (a line every 5 s is not "no data").
  SeriesStore.prototype.silentAfter = function () {
    return Math.max(3, 5 * this.typicalInterval() / 1000);
  };

  SeriesStore.prototype.rate = function (now, windowMs) {
    windowMs = windowMs || 2000;
    if (this.length < 2) return 0;
    const last = this.lastTime();
    let end = last;
    const recent = this.length - this.lowerBound(last - windowMs);
    if (now - last > Math.max(250, 5 * windowMs / recent)) end = now;
    const first = this.firstTime();
    if (end - first < windowMs) return end > first ? (this.length - 1) * 1000 / (end - first) : 0;
    // Samples in (end - windowMs, end].
    let from = this.lowerBound(end - windowMs);
    while (from < this.length && this.timeAt(from) === end - windowMs) from++;
    return (this.length - from) * 1000 / windowMs;
  };

  /// The times where series s's line breaks (a test and a script can see what the plot draws).
  SeriesStore.prototype.breakTimes = function (s) {
    const out = [], breaks = this.breaks[s];
    for (let i = 0; i < this.length; i++) if (breaks[this.physical(i)]) out.push(this.timeAt(i));
    return out;
  };

  /// CSV of the samples with times in [from, to], written a slice at a time (`next`), so a
  /// page holding 10 minutes at 1 kHz never builds one 90 MB string or stops for seconds.
  /// It reads by time, not by index, so samples arriving (and old ones dropping out of the
  /// ring) between slices neither repeat nor skip a row. Same text as `csv()`.
  SeriesStore.prototype.csvWriter = function (from, to) {
    return new CSVWriter(this, from === undefined ? -Infinity : from, to === undefined ? Infinity : to);
  };

  function csvEscape(text) { return /[",\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text; }

  function CSVWriter(store, from, to) {
    this.store = store;
    this.to = to;
    this.names = store.names.slice();
    this.header = "time,ms," + this.names.map(csvEscape).join(",") + "\n";
    this.at = from;                  // resume at the first row with time >= at ...
    this.skip = 0;                   // ... less those with time == at already written
    this.rows = 0;
    let end = store.lowerBound(to);
    while (end < store.length && store.timeAt(end) === to) end++;
    this.total = Math.max(0, end - store.lowerBound(from));   // for progress: rows in range when it began
    this.done = false;
    this.second = NaN;               // toISOString of a whole second, reused for its rows
    this.prefix = "";
  }

  /// Up to `maxRows` more rows as text ("" and `done` once past `to` or the newest sample).
  CSVWriter.prototype.next = function (maxRows) {
    const store = this.store;
    const columns = this.names.map((name) => store.index.get(name));
    let i = store.lowerBound(this.at), skip = this.skip;
    while (skip > 0 && i < store.length && store.timeAt(i) === this.at) { i++; skip--; }
    let text = "", written = 0;
    while (written < maxRows && i < store.length) {
      const p = store.physical(i), t = store.time[p];
      if (t > this.to) break;
      const second = Math.floor(t / 1000);
      if (second !== this.second) { this.second = second; this.prefix = new Date(second * 1000).toISOString().slice(0, 20); }
      const ms = Math.floor(t) - second * 1000;
      let line = this.prefix + (ms < 10 ? "00" : ms < 100 ? "0" : "") + ms + "Z," + t.toFixed(3);
      for (let k = 0; k < columns.length; k++) {
        const s = columns[k];
        const v = s === undefined ? NaN : store.values[s][p];
        line += v === v ? "," + v : ",";
      }
      text += line + "\n";
      if (t === this.at) this.skip++; else { this.at = t; this.skip = 1; }
      i++;
      written++;
    }
    this.rows += written;
    if (written < maxRows) this.done = true;
    return text;
  };

  global.SeriesStore = SeriesStore;
  SeriesStore.CSVWriter = CSVWriter;
})(typeof window !== "undefined" ? window : globalThis);

// The tilt readout's arithmetic: an accelerometer at rest measures 1 g, which tells what its
// numbers are. Pure, so `node --test Tests/Web` tests it.
(function (global) {
  "use strict";

  const COUNTS_PER_G = 67.6;         // the shipped sketch's ADXL335: 330 mV/g read by a 10-bit ADC at 5 V
  const REST = 0.3;                  // how far from 1 g a reading at rest may be

  /// Pitch (x–z) and roll (y–z) in degrees, and the unit the values were read in: `counts`
  /// (the ADXL335's ADC counts around `zero`, its zero-g level) or `g`; null when the values
  /// are plausibly neither (another sensor, other units, or a board being shaken), since an
  /// angle computed from them would be nonsense.
  function tilt(x, y, z, zero) {
    if (!isFinite(x) || !isFinite(y) || !isFinite(z)) return null;
    const angles = (gx, gy, gz, unit) => ({
      unit: unit,
      pitch: Math.atan2(gx, gz) * 180 / Math.PI,
      roll: Math.atan2(gy, gz) * 180 / Math.PI,
    });
    if (Math.abs(Math.hypot(x, y, z) - 1) <= REST) return angles(x, y, z, "g");
    const inRange = (v) => v >= 0 && v <= 1023;
    if (inRange(x) && inRange(y) && inRange(z)) {
      const gx = (x - zero) / COUNTS_PER_G, gy = (y - zero) / COUNTS_PER_G, gz = (z - zero) / COUNTS_PER_G;
      if (Math.abs(Math.hypot(gx, gy, gz) - 1) <= REST) return angles(gx, gy, gz, "counts");
    }
    return null;
  }

  global.Tilt = { tilt: tilt, COUNTS_PER_G: COUNTS_PER_G };
})(typeof window !== "undefined" ? window : globalThis);

// Then the bridge's on-disk history as the page reads it from `/api/history`:
// parsed results in flat typed arrays (one bucket = first/last time, count, and per channel
// min/max/mean), which part of a view each cached result draws, when to ask the bridge for
// more, and a loader that asks without ever blocking the page (debounced, the stale request
// aborted, the last results kept). Pure logic apart from the loader's injected `fetch`, so
// `node --test Tests/Web` tests it.
(function (global) {
  "use strict";

  const SECOND = 1000, MINUTE = 60 * SECOND, HOUR = 60 * MINUTE, DAY = 24 * HOUR;

  const UNITS = { ms: 1, s: SECOND, sec: SECOND, m: MINUTE, min: MINUTE, h: HOUR, d: DAY, w: 7 * DAY };

  /// A time as typed by a person or given in the address: ms since the epoch (a number of 11
  /// or more digits), ISO 8601 or any date the browser reads ("2025-11-21 12:00" is local
  /// time), `now`, or relative to now (`-15m`, `-1h30m`, `-2d`, `+10s`). NaN when none.
  function parseTime(text, now) {
    if (typeof text === "number") return isFinite(text) ? text : NaN;
    const s = String(text === undefined || text === null ? "" : text).trim();
    if (!s) return NaN;
    if (/^now$/i.test(s)) return now;
    const relative = /^([+-])\s*((?:\d+(?:\.\d+)?\s*(?:ms|sec|min|s|m|h|d|w)\s*)+)$/i.exec(s);
    if (relative) {
      let total = 0;
      const part = /(\d+(?:\.\d+)?)\s*(ms|sec|min|s|m|h|d|w)/gi;
      let match;
      while ((match = part.exec(relative[2])) !== null) total += Number(match[1]) * UNITS[match[2].toLowerCase()];
      return relative[1] === "-" ? now - total : now + total;
    }
    if (/^\d{11,}(\.\d+)?$/.test(s)) return Number(s);
    if (!/\d{4}-\d{1,2}-\d{1,2}|\d{4}/.test(s) || /^[\d.]+$/.test(s)) return NaN;   // a date names its year
    // "2025-11-21 12:00" is not ISO; browsers differ on it, so make it ISO (local time).
    const spaced = /^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?$/.exec(s);
    const parsed = spaced ? Date.parse(spaced[1] + "T" + (spaced[2].length === 4 ? "0" + spaced[2] : spaced[2]) + (spaced[3] || ""))
      : Date.parse(s);
    return isFinite(parsed) ? parsed : NaN;
  }

  /// A `/api/history` answer in typed arrays. Channels are by name; `null` values are NaN.
  /// `breakBefore[i]` is 1 where the line must not join bucket i to bucket i - 1: a gap much
  /// longer than the data's own spacing, or a state change (disconnected, …) between them.
  function HistoryResult(json, request) {
    const count = Array.isArray(json.t0) ? json.t0.length : 0;
    this.from = Number(json.from);
    this.to = Number(json.to);
    this.channels = Array.isArray(json.channels) ? json.channels.slice() : [];
    this.count = count;
    this.exact = json.exact === true;
    this.events = Array.isArray(json.events) ? json.events.filter((e) => e && typeof e.t === "number") : [];
    this.request = request || { from: this.from, to: this.to, points: count };
    this.t0 = Float64Array.from(json.t0 || []);
    this.t1 = Float64Array.from(json.t1 || json.t0 || []);
    this.n = Float64Array.from(json.n || new Array(count).fill(1));
    const column = (rows, c) => {
      const out = new Float64Array(count).fill(NaN);
      const row = rows && rows[c];
      if (!row) return out;
      for (let i = 0; i < count; i++) { const v = row[i]; if (typeof v === "number" && isFinite(v)) out[i] = v; }
      return out;
    };
    this.min = this.channels.map((_, c) => column(json.min, c));
    this.max = this.channels.map((_, c) => column(json.max, c));
    this.mean = this.channels.map((_, c) => column(json.mean, c));
    this.index = new Map(this.channels.map((name, c) => [name, c]));
    // The channels with a value in this answer (a source's other channels come back all null).
    this.present = this.channels.filter((name, c) => this.mean[c].some((v) => v === v));
    this.breakBefore = findBreaks(this.t0, this.t1, this.n, this.events.map((e) => e.t), this.request);
  }

  /// Applies the page's calibration (`calibrationOf(name)` → {scale, offset} or null) to the
  /// buckets, as the page's own samples are calibrated when they arrive; a negative scale
  /// swaps min and max.
  HistoryResult.prototype.calibrate = function (calibrationOf) {
    this.channels.forEach(function (name, c) {
      const cal = calibrationOf(name);
      if (!cal || (cal.scale === 1 && cal.offset === 0)) return;
      for (const a of [this.min[c], this.max[c], this.mean[c]]) {
        for (let i = 0; i < a.length; i++) a[i] = a[i] * cal.scale + cal.offset;
      }
      if (cal.scale < 0) { const min = this.min[c]; this.min[c] = this.max[c]; this.max[c] = min; }
    }, this);
    return this;
  };

  /// The requested ms per bucket: what the result is fine enough for.
  HistoryResult.prototype.resolution = function () {
    if (this.exact) return 0;
    const r = this.request;
    return (r.to - r.from) / Math.max(1, r.points);
  };

  /// First bucket whose last time is >= t.
  HistoryResult.prototype.lowerBound = function (t) {
    let lo = 0, hi = this.count;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (this.t1[mid] < t) lo = mid + 1; else hi = mid; }
    return lo;
  };

  /// [min, max] of a channel over buckets overlapping [a, b].
  HistoryResult.prototype.range = function (c, a, b) {
    let lo = Infinity, hi = -Infinity;
    const min = this.min[c], max = this.max[c];
    for (let i = this.lowerBound(a); i < this.count && this.t0[i] <= b; i++) {
      if (min[i] < lo) lo = min[i];
      if (max[i] > hi) hi = max[i];
    }
    return [lo, hi];
  };

  /// The bucket of channel c nearest before (or at) t within maxAge, as {t, v, min, max, n}.
  HistoryResult.prototype.valueAt = function (c, t, maxAge) {
    let i = this.lowerBound(t);
    if (i < this.count && this.t0[i] <= t) return this.bucket(c, i);
    for (i = i - 1; i >= 0; i--) {
      if (t - this.t1[i] > maxAge) return null;
      if (this.mean[c][i] === this.mean[c][i]) return this.bucket(c, i);
    }
    return null;
  };

  HistoryResult.prototype.bucket = function (c, i) {
    const v = this.mean[c][i];
    if (v !== v) return null;
    return { t: (this.t0[i] + this.t1[i]) / 2, v: v, min: this.min[c][i], max: this.max[c][i], n: this.n[i] };
  };

  /// Where lines break between buckets. The data's own spacing is the median time between
  /// samples inside buckets (or between single-sample buckets), at least 1 ms; a break is a step of more
  /// than 5 of those plus the requested bucket width, or a state change in between.
  function findBreaks(t0, t1, n, eventTimes, request) {
    const count = t0.length;
    const out = new Uint8Array(count);
    if (!count) return out;
    out[0] = 1;
    const spacings = [];
    for (let i = 0; i < count; i++) {
      if (n[i] > 1 && t1[i] > t0[i]) spacings.push((t1[i] - t0[i]) / (n[i] - 1));
      else if (i > 0 && n[i] === 1 && n[i - 1] === 1) spacings.push(t0[i] - t1[i - 1]);
    }
    spacings.sort((a, b) => a - b);
    // The store keeps times to the ms: a faster board's samples share a ms, and a step of
    // one ms is never a gap.
    const spacing = Math.max(1, spacings.length ? spacings[spacings.length >> 1] : 0);
    const width = request && request.points ? (request.to - request.from) / request.points : 0;
    const limit = 5 * spacing + width;
    const events = eventTimes.slice().sort((a, b) => a - b);
    let e = 0;
    for (let i = 1; i < count; i++) {
      const before = t1[i - 1], after = t0[i];
      if (after - before > limit) out[i] = 1;
      while (e < events.length && events[e] <= before) e++;
      if (e < events.length && events[e] <= after) out[i] = 1;
    }
    return out;
  }

  /// Which part of the view [t0, t1] each layer draws. `layers` are {from, to, resolution}
  /// (resolution: ms per bucket, 0 = single samples); a finer layer wins where layers
  /// overlap. Returns, per layer in the given order, its intervals [[a, b], ...] in time order.
  function assignIntervals(layers, t0, t1) {
    const order = layers.map((layer, k) => k).sort((a, b) => layers[a].resolution - layers[b].resolution || a - b);
    let free = [[t0, t1]];                 // what no finer layer has claimed yet
    const out = layers.map(() => []);
    for (const k of order) {
      const a = Math.max(t0, layers[k].from), b = Math.min(t1, layers[k].to);
      if (!(a < b)) continue;
      const next = [];
      for (const [f0, f1] of free) {
        const c0 = Math.max(f0, a), c1 = Math.min(f1, b);
        if (c0 < c1) out[k].push([c0, c1]);
        if (f0 < Math.min(f1, a)) next.push([f0, Math.min(f1, a)]);
        if (Math.max(f0, b) < f1) next.push([Math.max(f0, b), f1]);
      }
      free = next;
      if (!free.length) break;
    }
    for (const list of out) list.sort((x, y) => x[0] - y[0]);
    return out;
  }

  /// Whether the bridge must be asked, and for what. `need` is the part of the view the page
  /// does not hold ([t0, min(t1, first held sample, newest stored time)]); a cached or pending
  /// request covering it at least as finely as a pixel column (within `slack` ms at the
  /// moving live edge) is enough. Otherwise the view and half a view either side, at the
  /// plot's pixel width across the view, so a pan or a small zoom needs no new request.
  /// Returns null or {from, to, points}.
  function planFetch(options) {
    const t0 = options.t0, t1 = options.t1, width = Math.max(50, Math.round(options.width));
    const needFrom = Math.max(t0, options.earliest === undefined ? -Infinity : options.earliest);
    const needTo = Math.min(t1, options.heldFrom === undefined ? Infinity : options.heldFrom,
                            options.latest === undefined ? Infinity : options.latest);
    if (!(needFrom < needTo)) return null;
    const msPerPixel = (t1 - t0) / width;
    const slack = Math.max(options.slack || 0, 4 * msPerPixel);
    for (const have of options.have || []) {
      if (!have) continue;
      const resolution = have.exact ? 0 : (have.to - have.from) / Math.max(1, have.points);
      if (have.from <= needFrom + msPerPixel && have.to >= needTo - slack && resolution <= 1.5 * msPerPixel) return null;
    }
    const span = t1 - t0;
    let from = t0 - span / 2, to = t1 + span / 2;
    if (options.earliest !== undefined && from < options.earliest) from = Math.min(needFrom, options.earliest);
    // The bridge's ranges are [from, to): one ms past the newest stored sample takes it in.
    if (options.latest !== undefined && to > options.latest + 1) to = Math.max(needTo, options.latest + 1);
    from = Math.floor(from); to = Math.ceil(to);
    const points = Math.max(1, Math.min(options.maxPoints || 10000, Math.round(width * (to - from) / span)));
    return { from: from, to: to, points: points };
  }

  /// The stretches of [t0, t1] outside every session (the bridge was not running, or not
  /// storing) as [[a, b], ...], given sessions {start, end} sorted by start.
  function sessionGaps(sessions, t0, t1) {
    const out = [];
    let covered = -Infinity;
    for (const s of sessions) {
      if (s.start > covered && covered > -Infinity) {
        const a = Math.max(t0, covered), b = Math.min(t1, s.start);
        if (a < b) out.push([a, b]);
      }
      covered = Math.max(covered, s.end);
    }
    return out;
  }

  /// Asks the bridge for history without blocking anything: `want(plan)` starts a request
  /// after `delay` ms of quiet (a newer plan replaces a waiting one, and aborts a running one
  /// it does not fit); results are kept, the newest `keep` of them. `fetch` and the timers are
  /// injected (the page passes the browser's; tests pass their own). `onChange` is called when
  /// something the page shows changed (loading, a result, an error).
  function HistoryLoader(options) {
    this.fetch = options.fetch;
    this.url = options.url;                        // plan -> URL
    this.setTimeout = options.setTimeout || global.setTimeout.bind(global);
    this.clearTimeout = options.clearTimeout || global.clearTimeout.bind(global);
    this.now = options.now || (() => Date.now());
    this.delay = options.delay === undefined ? 60 : options.delay;
    this.maxWait = options.maxWait === undefined ? 250 : options.maxWait;
    this.keep = options.keep || 6;
    this.onChange = options.onChange || function () {};
    this.prepare = options.prepare || function (result) { return result; };   // e.g. calibrate
    this.results = [];                             // HistoryResult, newest last
    this.pending = null;                           // {plan, controller, url, started}
    this.waiting = null;                           // {plan, timer}
    this.error = null;
    this.off = false;                              // the bridge keeps no history (404)
    this.requests = 0;
    this.aborted = 0;
    this.last = null;                              // the newest result
    this.lastURL = null;
    this.lastDuration = NaN;
    this.lastStart = -Infinity;
  }

  /// What is held or on its way, for planFetch.
  HistoryLoader.prototype.have = function () {
    const out = this.results.map((r) => ({ from: r.request.from, to: r.request.to, points: r.request.points, exact: r.exact }));
    if (this.pending) out.push(this.pending.plan);
    return out;
  };

  /// Asks for `plan`: at once when nothing was asked for `delay` ms; otherwise after `delay`
  /// ms without a materially different plan, and never later than `maxWait` ms after the
  /// first of a burst (a continuous zoom still refines).
  HistoryLoader.prototype.want = function (plan) {
    if (this.off || !plan) return;
    if (this.pending && covers(this.pending.plan, plan)) {
      if (this.waiting) { this.clearTimeout(this.waiting.timer); this.waiting = null; this.onChange(); }
      return;
    }
    if (this.waiting && covers(this.waiting.plan, plan)) return;
    const self = this, now = this.now();
    // A single step after a quiet moment goes out at once; a burst waits for its end.
    if (!this.waiting && !this.pending && now - this.lastStart >= this.delay) {
      this.lastStart = now;
      this.waiting = { plan: plan, first: now, timer: this.setTimeout(function () { self.waiting = null; self.start(plan); }, 0) };
      this.onChange();
      return;
    }
    const first = this.waiting ? this.waiting.first : now;
    if (this.waiting) this.clearTimeout(this.waiting.timer);
    const delay = Math.max(0, Math.min(this.delay, first + this.maxWait - now));
    this.waiting = { plan: plan, first: first, timer: this.setTimeout(function () { self.waiting = null; self.start(plan); }, delay) };
    this.onChange();
  };

  function covers(have, plan) {
    const haveRes = (have.to - have.from) / Math.max(1, have.points), planRes = (plan.to - plan.from) / Math.max(1, plan.points);
    return have.from <= plan.from + planRes && have.to >= plan.to - planRes && haveRes <= 1.5 * planRes;
  }

  /// Whether a request is waiting or on its way.
  HistoryLoader.prototype.loading = function () { return this.pending !== null || this.waiting !== null; };

  HistoryLoader.prototype.start = function (plan) {
    if (this.pending) { this.pending.controller.abort(); this.aborted++; }
    this.lastStart = this.now();
    const controller = new AbortController();
    const url = this.url(plan);
    const pending = { plan: plan, controller: controller, url: url, started: this.now() };
    this.pending = pending;
    this.requests++;
    const self = this;
    this.onChange();
    Promise.resolve()
      .then(() => self.fetch(url, { signal: controller.signal, cache: "no-store" }))
      .then(function (response) {
        return response.text().then(function (text) {
          let body = null;
          try { body = JSON.parse(text); } catch (e) { body = null; }
          if (!response.ok) {
            const why = body && body.error ? body.error : (text.trim() || "HTTP " + response.status);
            const error = new Error(why);
            error.status = response.status;
            throw error;
          }
          if (!body || typeof body !== "object") throw new Error("the bridge's answer is not JSON");
          return body;
        });
      })
      .then(function (body) {
        if (self.pending !== pending) return;
        self.pending = null;
        const result = self.prepare(new HistoryResult(body, plan));
        self.results.push(result);
        if (self.results.length > self.keep) self.results.splice(0, self.results.length - self.keep);
        self.last = result;
        self.lastURL = url;
        self.lastDuration = self.now() - pending.started;
        self.error = null;
        self.onChange();
      }, function (error) {
        if (self.pending !== pending) return;     // aborted for a newer one: not an error
        self.pending = null;
        if (error && error.name === "AbortError") return;
        self.error = (error && error.message) || String(error);
        // "history is off" (--no-store) for good; another 404 (no such source) is this request's.
        if (error && error.status === 404 && /history is off/i.test(self.error)) self.off = true;
        self.onChange();
      });
  };

  /// Results for drawing: those overlapping [t0, t1], each with the intervals it draws
  /// (`claimed` intervals, such as what the page holds, are taken first).
  HistoryLoader.prototype.layers = function (t0, t1, claimed) {
    const candidates = this.results.filter((r) => r.to > t0 && r.from < t1 && r.count);
    const layers = (claimed || []).map((c) => ({ from: c[0], to: c[1], resolution: -1 }))
      .concat(candidates.map((r) => ({ from: r.request.from, to: r.request.to, resolution: r.resolution() })));
    const intervals = assignIntervals(layers, t0, t1);
    const out = [];
    candidates.forEach(function (r, k) {
      const own = intervals[(claimed || []).length + k];
      if (own.length) out.push({ result: r, intervals: own });
    });
    return out;
  };

  HistoryLoader.prototype.forget = function () {
    this.results = [];
    this.last = null;
    if (this.pending) { this.pending.controller.abort(); this.pending = null; }
    if (this.waiting) { this.clearTimeout(this.waiting.timer); this.waiting = null; }
  };

  /// The value of series `s` ({index, name}) at time t: from what the page holds (`store`)
  /// when t is within it, else from the history layer drawn there; null when neither has one
  /// within `maxAge` ms.
  function valueAt(store, layers, s, t, maxAge) {
    if (store.length && t >= store.firstTime()) return store.valueAt(s.index, t, maxAge);
    for (const layer of layers) {
      if (!layer.intervals.some((i) => t >= i[0] && t <= i[1])) continue;
      const c = layer.result.index.get(s.name);
      if (c !== undefined) return layer.result.valueAt(c, t, maxAge);
    }
    return store.length ? store.valueAt(s.index, t, maxAge) : null;
  }

  global.SensorHistory = {
    valueAt: valueAt,
    parseTime: parseTime, HistoryResult: HistoryResult, findBreaks: findBreaks,
    assignIntervals: assignIntervals, planFetch: planFetch, sessionGaps: sessionGaps, HistoryLoader: HistoryLoader,
  };
})(typeof window !== "undefined" ? window : globalThis);
