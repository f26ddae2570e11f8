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
  }

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

  /// Min and max of series s over [t0, t1] (columns inside the plot only), from the block
  /// summaries, and from the history buckets drawn in the view.
  function range(store, s, t0, t1, msPerColumn, limit, history, name) {
    let min = Infinity, max = -Infinity;
    const columns = Math.round((t1 - t0) / msPerColumn);
    store.columns(s, t0, t1, msPerColumn, function (c, first, lo, hi) {
      if (c < 0 || c >= columns) return;
      if (lo < min) min = lo;
      if (hi > max) max = hi;
    }, limit);
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

  Plot.prototype.render = function (view) {
    const size = this.fit();
    const ctx = this.ctx;
    const colors = view.theme;
    ctx.fillStyle = colors.panel;
    ctx.fillRect(0, 0, size.width, size.height);
    ctx.font = "12px system-ui, sans-serif";
    ctx.lineJoin = "bevel";
    if (view.mode === "xy") this.layout = this.renderXY(view, size);
    else this.layout = this.renderTime(view, size);
    if (view.overlay) {
      ctx.font = "600 15px system-ui, sans-serif";
      let text = view.overlay;
      // Too long for the plot (a phone): cut, not squeezed.
      if (ctx.measureText(text).width > size.width - 68) {
        while (text.length > 8 && ctx.measureText(text + "…").width > size.width - 68) text = text.slice(0, -1);
        text += "…";
      }
      const width = Math.min(size.width - 40, ctx.measureText(text).width + 28);
      const x = (size.width - width) / 2, y = TOP + 8;
      ctx.fillStyle = colors.overlayBg;
      ctx.fillRect(x, y, width, 30);
      ctx.fillStyle = colors.overlayText;
      ctx.textAlign = "center";
      ctx.fillText(text, size.width / 2, y + 20, width - 16);
      ctx.textAlign = "left";
    }
    return this.layout;
  };

  Plot.prototype.renderTime = function (view, size) {
    const ctx = this.ctx, store = view.store, colors = view.theme;
    const series = view.series;
    const t0 = view.t0, t1 = view.t1;
    const plotW = size.width - LEFT - RIGHT;
    const msPerColumn = (t1 - t0) / plotW;
    const groups = view.mode === "stacked" && series.length ? series.map((s) => [s]) : [series];
    const panelH = (size.height - TOP - BOTTOM - GAP * (groups.length - 1)) / groups.length;
    const layout = { kind: "time", left: LEFT, right: size.width - RIGHT, t0: t0, t1: t1, panels: [] };
    const x = (t) => LEFT + (t - t0) / (t1 - t0) * plotW;

    groups.forEach(function (group, g) {
      const top = TOP + g * (panelH + GAP), bottom = top + panelH;
      // Ranges: fixed, shared auto, or one per series.
      const ranges = new Map();
      if (view.scale === "fixed" && view.fixedMin < view.fixedMax) {
        for (const s of group) ranges.set(s.index, [view.fixedMin, view.fixedMax]);
      } else if (view.scale === "channel") {
        for (const s of group) { const r = range(store, s.index, t0, t1, msPerColumn, view.limit, view.history, s.name); ranges.set(s.index, padded(r[0], r[1])); }
      } else {
        let min = Infinity, max = -Infinity;
        for (const s of group) { const r = range(store, s.index, t0, t1, msPerColumn, view.limit, view.history, s.name); min = Math.min(min, r[0]); max = Math.max(max, r[1]); }
        const shared = padded(min, max);
        for (const s of group) ranges.set(s.index, shared);
      }
      const axisRange = group.length ? ranges.get(group[0].index) : [0, 1];
      const axisColor = view.scale === "channel" && group.length > 1 ? group[0].color : colors.muted;
      // Grid and y labels.
      ctx.strokeStyle = colors.grid;
      ctx.lineWidth = 1;
      ctx.fillStyle = axisColor;
      const step = niceStep(axisRange[1] - axisRange[0], Math.max(2, Math.floor(panelH / 45)));
      for (let v = Math.ceil(axisRange[0] / step) * step; v <= axisRange[1]; v += step) {
        const py = bottom - (v - axisRange[0]) / (axisRange[1] - axisRange[0]) * panelH;
        ctx.beginPath(); ctx.moveTo(LEFT, py + 0.5); ctx.lineTo(size.width - RIGHT, py + 0.5); ctx.stroke();
        ctx.fillText(formatValue(v, step), 4, py + 4, LEFT - 8);
      }
      ctx.strokeStyle = colors.axis;
      ctx.strokeRect(LEFT + 0.5, top + 0.5, plotW, panelH);
      if (view.mode === "stacked" && group.length) {
        ctx.fillStyle = group[0].color;
        ctx.fillText(group[0].name, LEFT + 6, top + 14);
      }
      // Where no session ran (the bridge was off, or kept no history): shaded.
      ctx.fillStyle = colors.gap || colors.grid;
      for (const gap of view.gaps || []) {
        const a = Math.max(LEFT, x(gap[0])), b = Math.min(size.width - RIGHT, x(gap[1]));
        if (b > a) ctx.fillRect(a, top + 1, b - a, panelH - 1);
      }
      // History from the bridge's store, each part of it clipped to where it is the finest.
      for (const layer of view.history || []) {
        for (const interval of layer.intervals) {
          const a = Math.max(LEFT, x(interval[0])), b = Math.min(size.width - RIGHT, x(interval[1]));
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
      const clipLeft = Math.max(LEFT, Math.min(size.width - RIGHT, Math.floor(x(heldFrom))));
      ctx.beginPath(); ctx.rect(clipLeft, top, size.width - RIGHT - clipLeft, panelH); ctx.clip();
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
        store.columns(s.index, t0, t1, msPerColumn, function (c, first, min, max, last, brk) {
          const px = LEFT + (c + 0.5);
          if (dense) {
            let lo = min, hi = max;
            if (!brk && c === prevCol + 1) { if (prevLast < lo) lo = prevLast; if (prevLast > hi) hi = prevLast; }
            else if (!brk && open) { ctx.moveTo(LEFT + prevCol + 0.5, y(prevLast)); ctx.lineTo(px, y(first)); }
            const top = y(hi);
            ctx.fillRect(LEFT + c, top - 0.75, 1, Math.max(1.5, y(lo) - top + 1.5));
          } else {
            // A column holding a break (a gap, a disconnection) starts a new line.
            if (!open || brk) ctx.moveTo(px, y(first)); else ctx.lineTo(px, y(first));
            if (min !== max) { ctx.lineTo(px, y(min)); ctx.lineTo(px, y(max)); ctx.lineTo(px, y(last)); }
            else if (!open || brk) ctx.lineTo(px + 0.01, y(first));
          }
          open = true;
          prevCol = c;
          prevLast = last;
        }, view.limit);
        ctx.stroke();
      }
      ctx.restore();
      layout.panels.push({ top: top, bottom: bottom, series: group, ranges: ranges });
    });

    // Time axis: clock time (with the date once the view spans days).
    const labelWidth = t1 - t0 >= DAY ? 150 : 110;
    const tstep = TIME_STEPS.find((st) => (t1 - t0) / st <= Math.max(2, plotW / labelWidth)) || TIME_STEPS[TIME_STEPS.length - 1];
    ctx.fillStyle = colors.muted;
    ctx.strokeStyle = colors.grid;
    for (const t of timeTicks(t0, t1, tstep)) {
      const px = Math.round(x(t)) + 0.5;
      ctx.beginPath(); ctx.moveTo(px, TOP); ctx.lineTo(px, size.height - BOTTOM); ctx.stroke();
      const label = clockLabel(t, tstep, t1 - t0);
      const labelW = ctx.measureText(label).width;
      ctx.fillText(label, Math.max(2, Math.min(size.width - labelW - 2, px - labelW / 2)), size.height - 8);
    }
    // Gaps, disconnections, restarts and session starts, where they happened; a label only
    // where it does not run into the previous one.
    ctx.font = "11px system-ui, sans-serif";
    const events = store.events.concat(view.marks || []).filter((e) => e.t >= t0 && e.t <= t1).sort((p, q) => p.t - q.t);
    layout.marks = [];
    let labelEnd = -Infinity;
    for (const event of events) {
      const px = Math.round(x(event.t)) + 0.5;
      ctx.strokeStyle = colors.marker;
      ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(px, TOP); ctx.lineTo(px, size.height - BOTTOM); ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = colors.marker;
      const width = ctx.measureText(event.text).width;
      const lx = px + 3 + width > size.width - RIGHT ? px - 3 - width : px + 3;
      if (lx > labelEnd + 4) { ctx.fillText(event.text, lx, TOP + 11); labelEnd = lx + width; }
      layout.marks.push({ t: event.t, kind: event.kind, text: event.text });
    }
    layout.gaps = (view.gaps || []).map((g) => [g[0], g[1]]);
    layout.history = (view.history || []).map((layer) => ({
      from: layer.result.request.from, to: layer.result.request.to, buckets: layer.result.count, exact: layer.result.exact,
      intervals: layer.intervals.map((i) => [i[0], i[1]]),
    }));
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

  Plot.prototype.renderXY = function (view, size) {
    const ctx = this.ctx, store = view.store, colors = view.theme;
    const a = view.xy[0], b = view.xy[1];
    const layout = { kind: "xy", left: LEFT, right: size.width - RIGHT, t0: view.t0, t1: view.t1, panels: [] };
    if (a === undefined || b === undefined) {
      ctx.fillStyle = colors.muted;
      ctx.fillText("XY needs two series", LEFT, TOP + 20);
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
    ctx.fillStyle = colors.muted;
    const sx = niceStep(rx[1] - rx[0], 8), sy = niceStep(ry[1] - ry[0], 6);
    for (let v = Math.ceil(rx[0] / sx) * sx; v <= rx[1]; v += sx) {
      ctx.beginPath(); ctx.moveTo(px(v), TOP); ctx.lineTo(px(v), TOP + plotH); ctx.stroke();
      ctx.fillText(formatValue(v, sx), px(v) - 12, TOP + plotH + 16);
    }
    for (let v = Math.ceil(ry[0] / sy) * sy; v <= ry[1]; v += sy) {
      ctx.beginPath(); ctx.moveTo(LEFT, py(v)); ctx.lineTo(LEFT + plotW, py(v)); ctx.stroke();
      ctx.fillText(formatValue(v, sy), 4, py(v) + 4, LEFT - 8);
    }
    ctx.strokeStyle = colors.axis;
    ctx.strokeRect(LEFT + 0.5, TOP + 0.5, plotW, plotH);
    ctx.fillStyle = a.color;
    ctx.fillText("→ " + a.name, LEFT + plotW - 80, TOP + plotH + 30);
    ctx.fillStyle = b.color;
    ctx.fillText("↑ " + b.name, LEFT + 6, TOP + 14);
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
    layout.points = xs.length;
    return layout;
  };

  global.Plot = Plot;
})(typeof window !== "undefined" ? window : globalThis);
