// sensorbridge: draws a SeriesStore on a canvas: time plots (one shared or one per series)
// decimated to min/max per pixel column, or an XY plot of two series. It draws what it is
// told; the page decides the view (window, pause, zoom), scales and colours.
(function (global) {
  "use strict";

  const LEFT = 58, RIGHT = 14, TOP = 18, BOTTOM = 26, GAP = 10;

  function niceStep(span, count) {
    const raw = span / Math.max(1, count);
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const unit = raw / power;
    return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
  }

  function formatValue(v, step) {
    const digits = Math.max(0, Math.min(6, -Math.floor(Math.log10(step || 1))));
    return v.toFixed(digits);
  }

  const MIN = 60000, HOUR = 3600000, DAY = 86400000;
  const TIME_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, MIN, 2 * MIN, 5 * MIN,
                      10 * MIN, 15 * MIN, 30 * MIN, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY,
                      14 * DAY, 28 * DAY, 91 * DAY, 182 * DAY, 364 * DAY];

  function pad2(n) { return n < 10 ? "0" + n : String(n); }
  /// A time-axis label: as precise as the step, with the date once the axis spans days.
  function clockLabel(t, step, span) {
    const d = new Date(t);
    const date = String(d.getFullYear()).slice(2) + "-" + pad2(d.getMonth() + 1) + "-" + pad2(d.getDate());
    if (step >= DAY) return date;
    let text = pad2(d.getHours()) + ":" + pad2(d.getMinutes());
    if (step < MIN) text += ":" + pad2(d.getSeconds());
    if (step < 1000) text += "." + String(d.getMilliseconds()).padStart(3, "0");
    if (span !== undefined && span >= DAY) text = date + " " + text;
    return text;
  }

  /// Ticks at whole steps of local time (an hour step starts on the hour, a day at midnight).
  function timeTicks(t0, t1, step) {
    const ticks = [];
    const offset = (t) => new Date(t).getTimezoneOffset() * 60000;
    const zone = step >= MIN ? offset(t0) : 0;
    let t = Math.ceil((t0 - zone) / step) * step + zone;
    for (let k = 0; t <= t1 && k < 1000; k++, t += step) {
      // Across a change of summer time, keep to whole local steps.
      const shift = step >= HOUR ? offset(t) - zone : 0;
      if (t + shift >= t0 && t + shift <= t1) ticks.push(t + shift);
    }
    return ticks;
  }

  function Plot(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.layout = null;
    // Column summaries kept from earlier draws, per series, keyed by the store's array of
    // its values (a reset or a grow makes new arrays; a retired series moving the others'
    // indices does not matter): up to three entries each, one per column width and limit.
    // `cacheColumns = false` recomputes every column every draw (the tests compare the two).
    this.cacheColumns = true;
    this.columnCache = new WeakMap();
    this.summarised = 0;                 // columns summarised so far (tests, benchmarks)
  }

  /// The column summaries of series s for the columns [k0, k0 + width) of `ms` each, from
  /// the samples with index below `end` (those up to the view's limit). Columns summarised
  /// in an earlier draw are reused while their samples cannot have changed:
  /// - new samples come after the newest held then, so only the columns from the newest
  ///   one's on were incomplete, and those are always recomputed;
  /// - when the store dropped its oldest (its ring's start or first time moved), the column
  ///   of the new first sample and those before it are recomputed;
  /// - anything else (a reset, a grow, the newest time going back, another column width or
  ///   limit) recomputes every column.
  /// Breaks come with a sample (the next one after a gap or a state change), so they are new
  /// columns too; marks are not in the summaries.
  Plot.prototype.columnsOf = function (store, s, ms, k0, width, limit, end) {
    const values = store.values[s];
    let list = this.columnCache.get(values);
    if (!list) { list = []; this.columnCache.set(values, list); }
    let entry = null;
    for (let i = 0; i < list.length && this.cacheColumns; i++) {
      const e = list[i];
      if (e.store === store && e.ms === ms && e.limit === limit) { entry = e; list.splice(i, 1); break; }
    }
    let validFrom = 0, validTo = 0;                 // absolute columns still right
    if (entry && entry.set.width === width && entry.time === store.time && store.length && store.lastTime() >= entry.lastTime) {
      validFrom = entry.validFrom; validTo = entry.validTo;
      if (entry.start !== store.start || entry.firstTime !== store.firstTime()) {
        validFrom = Math.max(validFrom, Math.floor(store.firstTime() / ms) + 1);
      }
    }
    if (!entry || entry.set.width !== width) entry = { store: store, ms: ms, limit: limit, k0: k0, set: new ColumnSet(width) };
    if (this.cacheColumns) { list.unshift(entry); if (list.length > 3) list.pop(); }
    const set = entry.set;
    validFrom = Math.max(validFrom, k0);
    validTo = Math.min(validTo, k0 + width);
    if (validFrom < validTo) {
      // Move the kept columns to where they are in this view.
      const shift = k0 - entry.k0;
      if (shift !== 0) {
        const from = validFrom - entry.k0, to = validTo - entry.k0;
        for (const a of [set.first, set.last, set.min, set.max, set.brk]) a.copyWithin(from - shift, from, to);
      }
      this.summariseColumns(store, s, ms, k0, k0, validFrom, end, set);
      this.summariseColumns(store, s, ms, k0, validTo, k0 + width, end, set);
    } else {
      this.summariseColumns(store, s, ms, k0, k0, k0 + width, end, set);
    }
    // Complete now: the columns before the newest included sample's.
    entry.k0 = k0;
    entry.validFrom = k0;
    entry.validTo = end > 0 ? Math.min(k0 + width, Math.floor(store.timeAt(end - 1) / ms)) : k0;
    entry.time = store.time;
    entry.start = store.start;
    entry.firstTime = store.firstTime();
    entry.lastTime = store.lastTime();
    return set;
  };

  /// Summarises the columns [from, to) (absolute) into `set` (whose index 0 is column k0).
  Plot.prototype.summariseColumns = function (store, s, ms, k0, from, to, end, set) {
    if (from >= to) return;
    this.summarised += to - from;
    const time = store.time, mask = store.mask, start = store.start;
    let a = firstInColumn(store, ms, from, 0, end), count = 1;
    for (let k = from; k < to; k++) {
      // The column's end: near its start plus the previous column's count (a binary search
      // over the whole ring would miss the cache at every step).
      let lo = a, hi = a + count;
      while (hi < end && time[(start + hi) & mask] / ms < k + 1) { lo = hi; count *= 2; hi = a + count; }
      const b = firstInColumn(store, ms, k + 1, lo, Math.min(hi, end));
      summarise(store, s, a, b, set, k - k0);
      count = Math.max(1, b - a);
      a = b;
    }
  };

  /// Fits the canvas to its box in device pixels; returns the size in CSS pixels.
  Plot.prototype.fit = function () {
    const dpr = global.devicePixelRatio || 1;
    const rect = this.canvas.getBoundingClientRect();
    const width = Math.max(200, Math.round(rect.width)), height = Math.max(150, Math.round(rect.height));
    if (this.canvas.width !== Math.round(width * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(height * dpr);
    }
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return { width: width, height: height };
  };

  // ---- Column summaries ----
  // The plot draws each series as one min/max bar per pixel column. Column k holds the
  // samples with floor(t / ms) = k: a grid fixed in time, not in the view, so while live
  // (the view moving on by a column or so per draw) the columns already summarised keep
  // their samples and only the new ones are computed (Plot.prototype.columnsOf). The scale
  // and the drawing read the same summaries, so each series is scanned once per draw.

  /// The width of a pixel column in ms, rounded to 16 significant bits. While live, t1 - t0
  /// wobbles in its last bits from draw to draw (t1 is the clock, t0 = t1 - span), and on a
  /// grid from the epoch (k in the billions) a relative wobble of 1e-10 moves the columns;
  /// rounded, the grid stays put. The plot's right edge moves by under 0.02 px for it.
  function columnWidth(span, plotW) {
    const ms = span / plotW;
    if (!(ms > 0) || !isFinite(ms)) return NaN;
    const unit = Math.pow(2, Math.floor(Math.log2(ms)) - 16);
    return Math.round(ms / unit) * unit;
  }

  /// First logical index in [lo, hi) whose sample is in column k or later (hi when none).
  function firstInColumn(store, ms, k, lo, hi) {
    const time = store.time, mask = store.mask, start = store.start;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (time[(start + mid) & mask] / ms < k) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /// First logical index whose time is after `limit` (the store's length when none).
  function endAt(store, limit) {
    if (!(limit < Infinity)) return store.length;
    const time = store.time, mask = store.mask, start = store.start;
    let lo = 0, hi = store.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (time[(start + mid) & mask] <= limit) lo = mid + 1; else hi = mid; }
    return lo;
  }

  /// Summaries of `width` columns of one series (index c = column k - k0): first and last
  /// value, min, max (Infinity: no value) and whether a line breaks in the column.
  function ColumnSet(width) {
    this.width = width;
    this.first = new Float64Array(width);
    this.last = new Float64Array(width);
    this.min = new Float64Array(width);
    this.max = new Float64Array(width);
    this.brk = new Uint8Array(width);
  }

  /// Summarises the samples [a, b) of series s into column c of `set`. First and last are
  /// the exact first and last values and min, max and breaks cover exactly these samples (the
  /// store's 64-sample block summaries for whole blocks inside), so a column's summary does
  /// not depend on where a scan started or on the ring's layout: computed now or in an
  /// earlier draw, it is the same.
  function summarise(store, s, a, b, set, c) {
    const values = store.values[s], mask = store.mask, start = store.start;
    let i = a, first = NaN;
    for (; i < b; i++) { const v = values[(start + i) & mask]; if (v === v) { first = v; break; } }
    if (first !== first) {
      set.first[c] = NaN; set.last[c] = NaN; set.min[c] = Infinity; set.max[c] = -Infinity; set.brk[c] = 0;
      return;
    }
    let j = b - 1, last = first;
    for (; j > i; j--) { const v = values[(start + j) & mask]; if (v === v) { last = v; break; } }
    const breaks = store.breaks[s], bmin = store.blockMin[s], bmax = store.blockMax[s], bbrk = store.blockBreak[s];
    const block = store.capacity / bmin.length, shift = Math.log2(block), stop = j + 1;
    let min = Infinity, max = -Infinity, brk = 0;
    // Samples up to the first whole block, whole blocks, the samples after the last one.
    let blocksFrom = i + ((block - ((start + i) & (block - 1))) & (block - 1));
    if (blocksFrom + block > stop) blocksFrom = stop;
    const blocksTo = blocksFrom + Math.floor((stop - blocksFrom) / block) * block;
    for (; i < blocksFrom; i++) {
      const p = (start + i) & mask, v = values[p];
      if (v < min) min = v;
      if (v > max) max = v;
      brk |= breaks[p];
    }
    for (; i < blocksTo; i += block) {
      const q = ((start + i) & mask) >> shift;
      if (bmin[q] < min) min = bmin[q];
      if (bmax[q] > max) max = bmax[q];
      brk |= bbrk[q];
    }
    for (; i < stop; i++) {
      const p = (start + i) & mask, v = values[p];
      if (v < min) min = v;
      if (v > max) max = v;
      brk |= breaks[p];
    }
    set.first[c] = first; set.last[c] = last; set.min[c] = min; set.max[c] = max; set.brk[c] = brk;
  }

  /// Min and max of series s: its columns inside the plot, and the history buckets drawn in
  /// the view.
  function range(columns, history, name) {
    let min = Infinity, max = -Infinity;
    if (columns) {
      const lo = columns.min, hi = columns.max;
      for (let c = 0; c < columns.width; c++) {
        if (lo[c] < min) min = lo[c];
        if (hi[c] > max) max = hi[c];
      }
    }
    for (const layer of history || []) {
      const c = layer.result.index.get(name);
      if (c === undefined) continue;
      for (const interval of layer.intervals) {
        const r = layer.result.range(c, interval[0], interval[1]);
        if (r[0] < min) min = r[0];
        if (r[1] > max) max = r[1];
      }
    }
    return [min, max];
  }

  /// History buckets of one series in [a, b]: a min/max band per bucket (joined to the next
  /// unless the line breaks there) under the mean line; single samples as a line, like live.
  function drawHistory(ctx, result, c, a, b, x, y, color) {
    const t0 = result.t0, t1 = result.t1, n = result.n, brk = result.breakBefore;
    const mean = result.mean[c], min = result.min[c], max = result.max[c];
    let from = result.lowerBound(a);
    if (from > 0) from--;
    let to = from;
    while (to < result.count && t0[to] <= b) to++;
    if (to < result.count) to++;
    let banded = false;
    for (let i = from; i < to; i++) if (n[i] > 1 && min[i] !== max[i]) { banded = true; break; }
    if (banded) {
      ctx.globalAlpha = 0.28;
      ctx.fillStyle = color;
      let rx0 = NaN, rx1 = NaN, top = Infinity, bottom = -Infinity;
      const flush = () => { if (rx0 === rx0) ctx.fillRect(rx0, top - 0.5, Math.max(1, rx1 - rx0), Math.max(1, bottom - top + 1)); };
      for (let i = from; i < to; i++) {
        if (min[i] !== min[i]) continue;
        const next = i + 1 < result.count && !brk[i + 1] ? t0[i + 1] : t1[i];
        const left = Math.floor(x(t0[i])), right = Math.max(left + 1, Math.floor(x(next)));
        const hi = y(max[i]), lo = y(min[i]);
        if (left === rx0 || (left < rx1 && !brk[i])) {
          if (hi < top) top = hi;
          if (lo > bottom) bottom = lo;
          if (right > rx1) rx1 = right;
        } else {
          flush();
          rx0 = left; rx1 = right; top = hi; bottom = lo;
        }
      }
      flush();
      ctx.globalAlpha = 1;
    }
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    let open = false;
    for (let i = from; i < to; i++) {
      const v = mean[i];
      if (v !== v) { open = false; continue; }
      const px = x(n[i] > 1 ? (t0[i] + t1[i]) / 2 : t0[i]), py = y(v);
      if (!open || brk[i]) { ctx.moveTo(px, py); ctx.lineTo(px + 0.01, py); } else ctx.lineTo(px, py);
      open = true;
    }
    ctx.stroke();
    // Single samples far apart: each one as a dot too, so they can be told from the line.
    if (!banded && to - from > 0 && x(t0[to - 1]) - x(t0[from]) > 8 * (to - from)) {
      ctx.fillStyle = color;
      for (let i = from; i < to; i++) {
        if (mean[i] !== mean[i]) continue;
        ctx.beginPath(); ctx.arc(x(t0[i]), y(mean[i]), 2.5, 0, 2 * Math.PI); ctx.fill();
      }
    }
  }

  function padded(min, max) {
    if (!(min <= max)) return [0, 1];
    if (min === max) return [min - 1, max + 1];
    const span = max - min;
    return [min - span * 0.05, max + span * 0.05];
  }

  /// Every label of a frame goes through here: kept inside the canvas (a label cut at the edge
  /// cannot be read), tested against those already placed, and listed in the layout
  /// (`layout.labels`, in CSS pixels) so tests and scripts can see what a person sees.
  function Labels(ctx, width, height) {
    this.ctx = ctx; this.width = width; this.height = height; this.list = [];
  }
  Labels.prototype.font = function (size, weight) {
    this.ctx.font = (weight ? weight + " " : "") + size + "px system-ui, sans-serif";
    this.size = size;
  };
  /// The box of `text` anchored at x (its left, right or centre by `align`) and centred on cy.
  Labels.prototype.box = function (text, x, cy, align) {
    const w = Math.ceil(this.ctx.measureText(text).width), h = this.size + 2;
    let left = align === "right" ? x - w : align === "center" ? x - w / 2 : x;
    left = Math.max(1, Math.min(this.width - 1 - w, left));
    return { x: left, y: Math.max(0, Math.min(this.height - h, cy - h / 2)), w: w, h: h };
  };
  Labels.prototype.free = function (r, pad) {
    for (const l of this.list) {
      if (r.x < l.x + l.w + pad && l.x < r.x + r.w + pad && r.y < l.y + l.h + pad && l.y < r.y + r.h + pad) return false;
    }
    return true;
  };
  /// Draws text in box r; `backing` lays a translucent panel under it, for text over data.
  Labels.prototype.draw = function (kind, text, r, color, backing, extra) {
    const ctx = this.ctx;
    if (backing) {
      ctx.globalAlpha = 0.82;
      ctx.fillStyle = backing;
      ctx.fillRect(r.x - 3, r.y, r.w + 6, r.h);
      ctx.globalAlpha = 1;
    }
    ctx.fillStyle = color;
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    ctx.fillText(text, r.x, r.y + r.h / 2 + 0.5);
    ctx.textBaseline = "alphabetic";
    const entry = { kind: kind, text: text, x: r.x, y: r.y, w: r.w, h: r.h };
    if (backing) { entry.x -= 3; entry.w += 6; }
    if (extra) Object.assign(entry, extra);
    this.list.push(entry);
    return entry;
  };
  /// The page's message (paused, disconnected …) at the top of the plot between left and
  /// right, or lower where it would cover a series' name; over the names only when no band
  /// is free (many panels on a phone).
  Labels.prototype.placeOverlay = function (left, right, bottom) {
    const o = this.overlay, ctx = this.ctx;
    if (!o || this.list.indexOf(o) >= 0) return;
    ctx.font = "600 15px system-ui, sans-serif";
    const room = right - left - 8;
    // Too long for the plot (a phone): cut, not squeezed.
    if (ctx.measureText(o.text).width > room - 28) {
      while (o.text.length > 8 && ctx.measureText(o.text + "…").width > room - 28) o.text = o.text.slice(0, -1);
      o.text += "…";
    }
    o.w = Math.min(room, ctx.measureText(o.text).width + 28);
    o.h = 30;
    o.x = (left + right - o.w) / 2;
    o.y = TOP + 8;
    for (let y = TOP + 8; y + o.h <= bottom; y += 2) {
      if (this.free({ x: o.x, y: y, w: o.w, h: o.h }, 2)) { o.y = y; break; }
    }
    this.list.push(o);
  };
  /// Text cut to at most `width` pixels, with an ellipsis.
  Labels.prototype.fit = function (text, width) {
    if (this.ctx.measureText(text).width <= width) return text;
    while (text.length > 1 && this.ctx.measureText(text + "…").width > width) text = text.slice(0, -1);
    return text + "…";
  };

  const LABEL_H = 14;   // a 12 px label's box

  /// A smaller nice step: 10 → 5 → 2 → 1.
  function finer(step) {
    const power = Math.pow(10, Math.floor(Math.log10(step) + 1e-9)), unit = Math.round(step / power);
    return unit >= 5 ? 2 * power : unit >= 2 ? power : 0.5 * power;
  }

  /// Y ticks of range r on a panel from top to bottom: grid values, and the labelled ones
  /// with where each label's centre goes. A label stays within `above` and `below` pixels
  /// of its panel (so neighbouring panels' labels, the headers and the time axis never meet
  /// it); one at the very edge is nudged inward by up to half its height, as plotters do. A
  /// finer step is taken until at least two are labelled, since one says no amplitude.
  function yTicks(r, top, bottom, above, below) {
    const span = r[1] - r[0], h = bottom - top;
    const lowest = top - above + LABEL_H / 2, highest = bottom + below - LABEL_H / 2;
    const build = function (step) {
      const values = [], labelled = [];
      let last = Infinity;
      for (let v = Math.ceil(r[0] / step) * step, k = 0; v <= r[1] && k < 200; v += step, k++) {
        const clean = Math.abs(v) < step * 1e-9 ? 0 : v;
        values.push(clean);
        const py = bottom - (clean - r[0]) / span * h;
        const cy = Math.max(lowest, Math.min(highest, py));
        if (Math.abs(cy - py) > LABEL_H / 2 || last - cy < LABEL_H + 2) continue;
        labelled.push({ v: clean, cy: cy });
        last = cy;
      }
      return { step: step, values: values, labelled: labelled };
    };
    if (!(span > 0)) return { step: 1, values: [], labelled: [] };
    let best = build(niceStep(span, Math.max(2, Math.floor(h / 45))));
    for (let step = best.step, k = 0; k < 6 && best.labelled.length < 2; k++) {
      step = finer(step);
      if (step / span * h < 4) break;      // no denser grid than every 4 px
      const next = build(step);
      if (next.labelled.length > best.labelled.length) best = next;
    }
    // A panel too low for two nice values apart (six stacked on a phone): its top and bottom.
    if (best.labelled.length < 2 && highest - lowest >= LABEL_H + 2) {
      return { step: niceStep(span, 4), values: best.values, labelled: [{ v: r[0], cy: highest }, { v: r[1], cy: lowest }], ends: true };
    }
    return best;
  }

  Plot.prototype.render = function (view) {
    const size = this.fit();
    const ctx = this.ctx;
    const colors = view.theme;
    ctx.fillStyle = colors.panel;
    ctx.fillRect(0, 0, size.width, size.height);
    ctx.lineJoin = "bevel";
    const labels = new Labels(ctx, size.width, size.height);
    // The page's message is placed by the layout (over the plot, clear of names) and drawn last.
    labels.overlay = view.overlay ? { kind: "overlay", text: view.overlay } : null;
    ctx.font = "12px system-ui, sans-serif";
    if (view.mode === "xy") this.layout = this.renderXY(view, size, labels);
    else this.layout = this.renderTime(view, size, labels);
    const overlay = labels.overlay;
    if (overlay) {
      ctx.font = "600 15px system-ui, sans-serif";
      ctx.fillStyle = colors.overlayBg;
      ctx.fillRect(overlay.x, overlay.y, overlay.w, overlay.h);
      ctx.fillStyle = colors.overlayText;
      ctx.textAlign = "center";
      ctx.fillText(overlay.text, overlay.x + overlay.w / 2, overlay.y + 20, overlay.w - 16);
      ctx.textAlign = "left";
    }
    this.layout.labels = labels.list;
    this.layout.width = size.width;
    this.layout.height = size.height;
    return this.layout;
  };

  /// Ranges of each series of a group: fixed, shared auto, or one per series. `data(s)` is
  /// the series' column summaries at the plot's width.
  function groupRanges(view, group, data) {
    const ranges = new Map();
    if (view.scale === "fixed" && view.fixedMin < view.fixedMax) {
      for (const s of group) ranges.set(s.index, [view.fixedMin, view.fixedMax]);
    } else if (view.scale === "channel") {
      for (const s of group) { const r = range(data(s), view.history, s.name); ranges.set(s.index, padded(r[0], r[1])); }
    } else {
      let min = Infinity, max = -Infinity;
      for (const s of group) { const r = range(data(s), view.history, s.name); min = Math.min(min, r[0]); max = Math.max(max, r[1]); }
      const shared = padded(min, max);
      for (const s of group) ranges.set(s.index, shared);
    }
    return ranges;
  }

  /// Panels, their scales and ticks, the label columns and the margins they need, for the
  /// column summaries `data` (a function of a series).
  function arrangeTime(view, size, labels, groups, panelH, perSeries, data) {
    const ctx = labels.ctx;
    const panels = groups.map(function (group, g) {
      const top = TOP + g * (panelH + GAP), bottom = top + panelH;
      const ranges = groupRanges(view, group, data);
      const scaled = perSeries ? group : group.slice(0, 1);
      // Room for labels past the panel's edges: above the first, the headers (per series)
      // or the canvas' top; below the last, the time axis; between panels, half the gap.
      const above = g === 0 ? (perSeries ? 1 : 12) : GAP / 2 - 1, below = g === groups.length - 1 ? 5 : GAP / 2 - 1;
      const scales = scaled.map((s) => ({ series: s, range: ranges.get(s.index), ticks: yTicks(ranges.get(s.index), top, bottom, above, below) }));
      return { top: top, bottom: bottom, series: group, ranges: ranges, scales: scales };
    });
    // Label columns and the margins they need.
    const columns = [];
    if (perSeries) {
      panels[0].scales.forEach(function (scale, k) { columns.push({ side: k % 2 ? "right" : "left", scales: [scale], header: scale.series }); });
    } else {
      columns.push({ side: "left", scales: panels.map((p) => p.scales[0]).filter(Boolean), header: null });
    }
    let fontSize = 12, leftEdge = 6, rightEdge = 6;
    const measure = function (gap, headerMax) {
      leftEdge = rightEdge = 6;
      for (const column of columns) {
        let w = 0;
        labels.font(fontSize);
        for (const scale of column.scales) {
          for (const l of scale.ticks.labelled) w = Math.max(w, ctx.measureText(formatValue(l.v, scale.ticks.step)).width);
        }
        if (column.header) { labels.font(fontSize - 1, 600); w = Math.max(w, Math.min(headerMax, ctx.measureText(column.header.label || column.header.name).width)); }
        column.width = Math.ceil(w);
        if (column.side === "left") { column.edge = leftEdge; leftEdge += column.width + gap; }
        else { column.edge = rightEdge; rightEdge += column.width + gap; }
      }
    };
    measure(10, 72);
    // Many scales on a phone: smaller labels and shorter names before a narrower plot.
    if (leftEdge + rightEdge > size.width / 2) { fontSize = 10; measure(6, 44); }
    // The margins the labels need; a page drawing several plots on one time axis may ask for
    // wider ones (`minLeft`, `minRight`), so every plot's x is the same function of time.
    const ownLeft = Math.max(perSeries ? 40 : LEFT, leftEdge), ownRight = Math.max(RIGHT, rightEdge - 4);
    const left = Math.max(ownLeft, view.minLeft || 0), right = size.width - Math.max(ownRight, view.minRight || 0);
    return { panels: panels, columns: columns, fontSize: fontSize, left: left, plotW: Math.max(20, right - left), ownLeft: ownLeft, ownRight: ownRight };
  }

  Plot.prototype.renderTime = function (view, size, labels) {
    const self = this, ctx = this.ctx, store = view.store, colors = view.theme;
    const series = view.series;
    const t0 = view.t0, t1 = view.t1;
    const limit = view.limit === undefined ? Infinity : view.limit;
    const stacked = view.mode === "stacked" && series.length > 0;
    const groups = stacked ? series.map((s) => [s]) : [series];
    const panelH = (size.height - TOP - BOTTOM - GAP * (groups.length - 1)) / groups.length;
    // One panel, each series on its own scale: each gets its own column of labels, in its
    // colour, alternating left and right (inner columns first), so every scale can be read.
    const perSeries = view.scale === "channel" && !stacked && series.length > 1;
    const end = endAt(store, limit);
    /// The data's pixel columns for a plot `plotW` wide: column c of the plot is column
    /// k0 + c of the grid (k0: the grid column nearest t0, so the data sits within half a
    /// pixel of x(t)); each series' summaries once per width (`get`).
    const columnsFor = function (plotW) {
      const ms = columnWidth(t1 - t0, plotW), width = Math.ceil(plotW), k0 = Math.round(t0 / ms), memo = new Map();
      return {
        plotW: plotW, ms: ms, k0: k0, width: width,
        get: function (s) {
          if (!(ms > 0) || !isFinite(k0) || !store.values[s.index]) return null;
          let set = memo.get(s.index);
          if (!set) { set = self.columnsOf(store, s.index, ms, k0, width, limit, end); memo.set(s.index, set); }
          return set;
        },
      };
    };
    // The scales need the columns, and the plot's width (so the columns) needs the scales'
    // labels: start at the default margins and take the width the labels leave until it
    // stays (at once, unless the labels are wider than the default margins).
    let data = columnsFor(Math.max(20, size.width - Math.max(LEFT, view.minLeft || 0) - Math.max(RIGHT, view.minRight || 0)));
    let panels, columns, fontSize, left, plotW, ownLeft, ownRight;
    for (let pass = 0; ; pass++) {
      ({ panels, columns, fontSize, left, plotW, ownLeft, ownRight } = arrangeTime(view, size, labels, groups, panelH, perSeries, data.get));
      if (plotW === data.plotW || pass === 2) break;
      data = columnsFor(plotW);
    }
    if (plotW !== data.plotW) data = columnsFor(plotW);
    // The samples in the plot's columns: [inside[0], inside[1]).
    const inside = [0, 0];
    if (data.ms > 0 && isFinite(data.k0)) {
      inside[0] = firstInColumn(store, data.ms, data.k0, 0, end);
      inside[1] = firstInColumn(store, data.ms, data.k0 + data.width, inside[0], end);
    }
    const layout = { kind: "time", left: left, right: left + plotW, t0: t0, t1: t1, panels: [], ownLeft: ownLeft, ownRight: ownRight };
    const x = (t) => left + (t - t0) / (t1 - t0) * plotW;

    // Time ticks first: their grid lines go under the data of every panel.
    const labelWidth = t1 - t0 >= DAY ? 150 : 110;
    const tstep = TIME_STEPS.find((st) => (t1 - t0) / st <= Math.max(2, plotW / labelWidth)) || TIME_STEPS[TIME_STEPS.length - 1];
    const timeTicks_ = timeTicks(t0, t1, tstep);
    layout.ticks = timeTicks_.map((t) => Math.round(x(t)) + 0.5);

    panels.forEach(function (panel) {
      const group = panel.series, top = panel.top, bottom = panel.bottom, ranges = panel.ranges;
      // Where no session ran (the bridge was off, or kept no history): shaded.
      ctx.fillStyle = colors.gap || colors.grid;
      for (const gap of view.gaps || []) {
        const a = Math.max(left, x(gap[0])), b = Math.min(left + plotW, x(gap[1]));
        if (b > a) ctx.fillRect(a, top + 1, b - a, panelH - 1);
      }
      // A selected span (measurements and views use it): shaded under the grid and the data.
      if (view.selection) {
        const a = Math.max(left, x(view.selection[0])), b = Math.min(left + plotW, x(view.selection[1]));
        ctx.fillStyle = colors.selection || "rgba(78, 121, 167, 0.16)";
        if (b > a) ctx.fillRect(a, top + 1, Math.max(1, b - a), panelH - 1);
      }
      // The grid, under the data: a grid line drawn over a line looks like a dropout.
      ctx.strokeStyle = colors.grid;
      ctx.lineWidth = 1;
      ctx.beginPath();
      const first = panel.scales[0];
      if (first) {
        for (const v of first.ticks.values) {
          const py = Math.round(bottom - (v - first.range[0]) / (first.range[1] - first.range[0]) * panelH) + 0.5;
          ctx.moveTo(left, py); ctx.lineTo(left + plotW, py);
        }
      }
      for (const px of layout.ticks) { ctx.moveTo(px, top); ctx.lineTo(px, bottom); }
      ctx.stroke();
      // History from the bridge's store, each part of it clipped to where it is the finest.
      for (const layer of view.history || []) {
        for (const interval of layer.intervals) {
          const a = Math.max(left, x(interval[0])), b = Math.min(left + plotW, x(interval[1]));
          if (!(b > a)) continue;
          ctx.save();
          ctx.beginPath(); ctx.rect(a, top, b - a, panelH); ctx.clip();
          for (const s of group) {
            const c = layer.result.index.get(s.name);
            if (c === undefined) continue;
            const r = ranges.get(s.index);
            const scale = panelH / (r[1] - r[0]);
            drawHistory(ctx, layer.result, c, interval[0], interval[1], x, (v) => bottom - (v - r[0]) * scale, s.color);
          }
          ctx.restore();
        }
      }
      // Lines, clipped to the panel (and to what the page holds, when history is drawn too).
      ctx.save();
      const heldFrom = view.heldFrom === undefined ? t0 : Math.max(t0, view.heldFrom);
      const clipLeft = Math.max(left, Math.min(left + plotW, Math.floor(x(heldFrom))));
      ctx.beginPath(); ctx.rect(clipLeft, top, left + plotW - clipLeft, panelH); ctx.clip();
      // Dense data (more samples than pixel columns) is drawn as one bar per column from min
      // to max, widened to meet the previous column: rectangles raster far faster than a
      // zigzag path. Sparse data is drawn as a path through its points.
      const dense = store.lowerBound(t1) - store.lowerBound(t0) > plotW * 1.5;
      for (const s of group) {
        const r = ranges.get(s.index);
        const scale = panelH / (r[1] - r[0]);
        const y = (v) => bottom - (v - r[0]) * scale;
        ctx.strokeStyle = s.color;
        ctx.fillStyle = s.color;
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        let open = false, prevCol = NaN, prevLast = NaN;
        const visit = function (c, first, min, max, last, brk) {
          const px = left + (c + 0.5);
          if (dense) {
            let lo = min, hi = max;
            if (!brk && c === prevCol + 1) { if (prevLast < lo) lo = prevLast; if (prevLast > hi) hi = prevLast; }
            else if (!brk && open) { ctx.moveTo(left + prevCol + 0.5, y(prevLast)); ctx.lineTo(px, y(first)); }
            const top = y(hi);
            ctx.fillRect(left + c, top - 0.75, 1, Math.max(1.5, y(lo) - top + 1.5));
          } else {
            // A column holding a break (a gap, a disconnection) starts a new line.
            if (!open || brk) ctx.moveTo(px, y(first)); else ctx.lineTo(px, y(first));
            if (min !== max) { ctx.lineTo(px, y(min)); ctx.lineTo(px, y(max)); ctx.lineTo(px, y(last)); }
            else if (!open || brk) ctx.lineTo(px + 0.01, y(first));
          }
          open = true;
          prevCol = c;
          prevLast = last;
        };
        // The columns, between the sample before the plot's first column and the one after
        // its last (so the line comes in from the edges, as before).
        const set = data.get(s);
        const edge = (i) => {
          if (i < 0 || i >= end) return;
          const p = store.physical(i), v = store.values[s.index][p];
          if (v === v) visit(Math.floor(store.time[p] / data.ms) - data.k0, v, v, v, v, store.breaks[s.index][p]);
        };
        if (set) {
          edge(inside[0] - 1);
          for (let c = 0; c < set.width; c++) {
            if (set.min[c] !== Infinity) visit(c, set.first[c], set.min[c], set.max[c], set.last[c], set.brk[c]);
          }
          edge(inside[1]);
        }
        ctx.stroke();
      }
      ctx.restore();
      ctx.strokeStyle = colors.axis;
      ctx.lineWidth = 1;
      ctx.strokeRect(left + 0.5, top + 0.5, plotW, panelH);
      layout.panels.push({ top: top, bottom: bottom, series: group, ranges: ranges });
    });

    // Y labels, column by column; on a shared panel with a scale per series, in the series'
    // colour with a tick of that colour on the frame, and the series' name over its column.
    columns.forEach(function (column) {
      const onLeft = column.side === "left";
      const anchor = onLeft ? left - column.edge : left + plotW + column.edge;
      const align = onLeft ? "right" : "left";
      const color = column.header ? column.header.color : colors.muted;
      column.scales.forEach(function (scale) {
        const panel = panels.find((p) => p.scales.indexOf(scale) >= 0);
        const r = scale.range;
        ctx.strokeStyle = color;
        ctx.beginPath();
        labels.font(fontSize);
        for (const l of scale.ticks.labelled) {
          const v = l.v, py = panel.bottom - (v - r[0]) / (r[1] - r[0]) * panelH;
          const text = formatValue(v, scale.ticks.step);
          labels.draw("y", text, labels.box(text, anchor, l.cy, align), color, null,
                      { series: scale.series ? scale.series.name : null, panel: panels.indexOf(panel), value: v });
          if (column.header) {
            const edge = onLeft ? left : left + plotW + 1;
            ctx.moveTo(onLeft ? edge - 4 : edge, Math.round(py) + 0.5); ctx.lineTo(onLeft ? edge : edge + 4, Math.round(py) + 0.5);
          }
        }
        ctx.stroke();
      });
      if (column.header) {
        labels.font(fontSize - 1, 600);
        const text = labels.fit(column.header.label || column.header.name, Math.max(column.width, 24));
        labels.draw("header", text, labels.box(text, anchor, TOP / 2, align), color, null, { series: column.header.name });
      }
    });

    // Time axis: clock time (with the date once the view spans days).
    // At least two ticks are kept on a very narrow plot; a label that would run into the
    // previous one is left out (its grid line stays).
    labels.font(12);
    let timeEnd = -Infinity;
    for (const t of timeTicks_) {
      const text = clockLabel(t, tstep, t1 - t0);
      const r = labels.box(text, Math.round(x(t)) + 0.5, size.height - 12, "center");
      if (r.x < timeEnd + 8) continue;
      labels.draw("time", text, r, colors.muted, null, { t: t });
      timeEnd = r.x + r.w;
    }

    // Gaps, disconnections, restarts and session starts, where they happened, over the data.
    const events = store.events.concat(view.marks || []).filter((e) => e.t >= t0 && e.t <= t1).sort((p, q) => p.t - q.t);
    ctx.strokeStyle = colors.marker;
    ctx.lineWidth = 1;
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    for (const event of events) {
      const px = Math.round(x(event.t)) + 0.5;
      ctx.moveTo(px, TOP); ctx.lineTo(px, size.height - BOTTOM);
    }
    ctx.stroke();
    ctx.setLineDash([]);
    // Series names (stacked) over the data, on a translucent panel so they stay legible.
    if (stacked) {
      labels.font(12, 600);
      for (const panel of panels) {
        const s = panel.series[0];
        const text = labels.fit(s.label || s.name, plotW / 2);
        labels.draw("name", text, labels.box(text, left + 6, panel.top + 11, "left"), s.color, colors.panel, { series: s.name });
      }
    }
    labels.placeOverlay(left, left + plotW, size.height - BOTTOM);
    // Mark labels: beside their line, in the first free one of three rows, shortened to fit a
    // narrow plot; a label with no room is left out (its dashed line stays, and its text is in
    // layout.marks), so labels never overlap.
    labels.font(11);
    layout.marks = [];
    const maxText = Math.max(40, Math.min(220, plotW * 0.45));
    for (const event of events) {
      const px = Math.round(x(event.t)) + 0.5;
      const text = labels.fit(event.text, maxText);
      const w = Math.ceil(ctx.measureText(text).width);
      let lx = px + 5 + w > left + plotW - 2 ? px - 5 - w : px + 5;
      lx = Math.max(left + 4, Math.min(left + plotW - 4 - w, lx));
      let placed = null;
      for (let row = 0; row < 3 && !placed; row++) {
        const r = labels.box(text, lx, TOP + 10 + row * 16, "left");
        if (r.y + r.h > panels[0].bottom) break;
        const probe = { x: r.x - 3, y: r.y, w: r.w + 6, h: r.h };
        if (labels.free(probe, 2)) placed = labels.draw("mark", text, r, colors.marker, colors.panel, { t: event.t });
      }
      layout.marks.push({ t: event.t, kind: event.kind, text: event.text, labelled: !!placed });
    }
    layout.gaps = (view.gaps || []).map((g) => [g[0], g[1]]);
    layout.history = (view.history || []).map((layer) => ({
      from: layer.result.request.from, to: layer.result.request.to, buckets: layer.result.count, exact: layer.result.exact,
      intervals: layer.intervals.map((i) => [i[0], i[1]]),
    }));
    // The two cursors placed by clicks (Δt between them), dashed, named at the top.
    layout.cursors = [];
    for (const cursor of view.cursors || []) {
      if (cursor.t === null || cursor.t < t0 || cursor.t > t1) continue;
      const px = Math.round(x(cursor.t)) + 0.5;
      ctx.strokeStyle = colors.text;
      ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(px, TOP); ctx.lineTo(px, size.height - BOTTOM); ctx.stroke();
      ctx.setLineDash([]);
      const text = cursor.name;
      labels.font(fontSize, 600);
      // Beside its line, a row lower when the other cursor's name (or a mark's) is there.
      let box = null;
      for (let row = 0; row < 3 && !box; row++) {
        const r = labels.box(text, px + 3, TOP + 8 + row * (fontSize + 4), "left");
        if (labels.free(r, 2)) box = r;
      }
      const placed = box ? labels.draw("cursor", text, box, colors.text, colors.panel, { t: cursor.t }) : null;
      layout.cursors.push({ name: cursor.name, t: cursor.t, x: px, labelled: !!placed });
    }
    // The cursor.
    if (view.cursorT !== null && view.cursorT >= t0 && view.cursorT <= t1 && view.cursorT <= view.limit) {
      const px = Math.round(x(view.cursorT)) + 0.5;
      ctx.strokeStyle = colors.text;
      ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(px, TOP); ctx.lineTo(px, size.height - BOTTOM); ctx.stroke();
      for (const panel of layout.panels) {
        for (const s of panel.series) {
          const hit = view.lookup ? view.lookup(s, view.cursorT) : store.valueAt(s.index, view.cursorT, Math.max(1000, (t1 - t0) / 50));
          if (!hit) continue;
          const r = panel.ranges.get(s.index);
          const py = panel.bottom - (hit.v - r[0]) / (r[1] - r[0]) * (panel.bottom - panel.top);
          ctx.fillStyle = s.color;
          ctx.beginPath(); ctx.arc(x(hit.t), py, 3.5, 0, 2 * Math.PI); ctx.fill();
        }
      }
    }
    return layout;
  };

  Plot.prototype.renderXY = function (view, size, labels) {
    const ctx = this.ctx, store = view.store, colors = view.theme;
    const a = view.xy[0], b = view.xy[1];
    const layout = { kind: "xy", left: LEFT, right: size.width - RIGHT, t0: view.t0, t1: view.t1, panels: [] };
    if (a === undefined || b === undefined) {
      labels.font(12);
      labels.draw("note", "XY needs two series", labels.box("XY needs two series", LEFT, TOP + 16, "left"), colors.muted);
      labels.placeOverlay(LEFT, size.width - RIGHT, size.height - BOTTOM);
      return layout;
    }
    // Pair each sample with the newest value of each series, so subset lines pair too.
    const from = Math.max(0, store.lowerBound(view.t0)), to = store.lowerBound(Math.min(view.t1, view.limit) + 1e-3);
    const stride = Math.max(1, Math.floor((to - from) / 20000));
    const xs = [], ys = [];
    let va = NaN, vb = NaN;
    for (let i = from; i < to; i++) {
      const p = store.physical(i);
      const na = store.values[a.index][p], nb = store.values[b.index][p];
      if (na === na) va = na;
      if (nb === nb) vb = nb;
      if ((i - from) % stride === 0 && va === va && vb === vb) { xs.push(va); ys.push(vb); }
    }
    const plotW = size.width - LEFT - RIGHT, plotH = size.height - TOP - BOTTOM - 12;
    const rx = view.scale === "fixed" && view.fixedMin < view.fixedMax ? [view.fixedMin, view.fixedMax] : padded(Math.min.apply(null, xs.length ? xs : [0]), Math.max.apply(null, xs.length ? xs : [1]));
    const ry = view.scale === "fixed" && view.fixedMin < view.fixedMax ? [view.fixedMin, view.fixedMax] : padded(Math.min.apply(null, ys.length ? ys : [0]), Math.max.apply(null, ys.length ? ys : [1]));
    const px = (v) => LEFT + (v - rx[0]) / (rx[1] - rx[0]) * plotW;
    const py = (v) => TOP + plotH - (v - ry[0]) / (ry[1] - ry[0]) * plotH;
    ctx.strokeStyle = colors.grid;
    const sx = niceStep(rx[1] - rx[0], Math.max(2, Math.floor(plotW / 80))), sy = yTicks(ry, TOP, TOP + plotH, 12, 4);
    labels.font(12);
    let lastEnd = -Infinity;
    for (let v = Math.ceil(rx[0] / sx) * sx; v <= rx[1]; v += sx) {
      ctx.beginPath(); ctx.moveTo(px(v), TOP); ctx.lineTo(px(v), TOP + plotH); ctx.stroke();
      const text = formatValue(v, sx), r = labels.box(text, px(v), TOP + plotH + 11, "center");
      if (r.x > lastEnd + 6) { labels.draw("x", text, r, colors.muted, null, { value: v }); lastEnd = r.x + r.w; }
    }
    for (const v of sy.values) {
      ctx.beginPath(); ctx.moveTo(LEFT, py(v)); ctx.lineTo(LEFT + plotW, py(v)); ctx.stroke();
    }
    for (const l of sy.labelled) {
      const text = formatValue(l.v, sy.step);
      labels.draw("y", text, labels.box(text, LEFT - 6, l.cy, "right"), colors.muted, null, { value: l.v });
    }
    ctx.strokeStyle = colors.axis;
    ctx.strokeRect(LEFT + 0.5, TOP + 0.5, plotW, plotH);
    const xName = labels.fit("→ " + (a.label || a.name), plotW / 2);
    labels.draw("name", xName, labels.box(xName, LEFT + plotW, TOP + plotH + 25, "right"), a.color, null, { series: a.name });
    ctx.save();
    ctx.beginPath(); ctx.rect(LEFT, TOP, plotW, plotH); ctx.clip();
    ctx.strokeStyle = b.color;
    ctx.globalAlpha = 0.55;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let k = 0; k < xs.length; k++) { if (k) ctx.lineTo(px(xs[k]), py(ys[k])); else ctx.moveTo(px(xs[k]), py(ys[k])); }
    ctx.stroke();
    ctx.globalAlpha = 1;
    if (xs.length) {
      ctx.fillStyle = a.color;
      ctx.beginPath(); ctx.arc(px(xs[xs.length - 1]), py(ys[ys.length - 1]), 5, 0, 2 * Math.PI); ctx.fill();
    }
    ctx.restore();
    labels.font(12, 600);
    const yName = labels.fit("↑ " + (b.label || b.name), plotW / 2);
    labels.draw("name", yName, labels.box(yName, LEFT + 6, TOP + 11, "left"), b.color, colors.panel, { series: b.name });
    labels.placeOverlay(LEFT, LEFT + plotW, TOP + plotH);
    layout.points = xs.length;
    return layout;
  };

  global.Plot = Plot;
})(typeof window !== "undefined" ? window : globalThis);
