// The trigger view (issue 21): an oscilloscope on the live stream. The capture (which sweeps,
// when) is maths/trigger.js's TriggerCapture, fed the samples that arrived since the last
// update; this module is its controls, its canvas and its exports. It reads the page only
// through the host graph.js gives it (viewHost).
import { TriggerCapture, preTriggerMs, sweepCSV } from "../maths/trigger.js";
import { stamp, download } from "../page/download.js";
import { niceStep } from "../page/axis.js";

const EDGES = ["rising", "falling", "either"];
const MODES = ["auto", "normal", "single"];
const DEFAULTS = { tedge: "rising", tmode: "auto", tpre: "25%", tspan: 1000, thold: 0 };
const UPDATE_MS = 50;       // at most 20 updates a second
const EDGE_TEXT = { rising: "rising ↑", falling: "falling ↓", either: "either ↕" };

function element(tag, props, children) {
  const out = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "className" || key === "textContent" || key === "title" || key === "type" || key === "id" || key === "value") out[key] = value;
    else out.setAttribute(key, value);
  }
  for (const child of children || []) out.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  return out;
}

function labelled(text, control) { return element("label", {}, [text + " ", control]); }

function pad(n, width = 2) { return String(n).padStart(width, "0"); }
function clock(t) {
  const d = new Date(t);
  return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." + pad(d.getMilliseconds(), 3);
}

function formatValue(v, step) {
  const digits = Math.max(0, Math.min(6, -Math.floor(Math.log10(step || 1))));
  const text = v.toFixed(digits);
  return text === "-0" || /^-0\.0*$/.test(text) ? text.slice(1) : text;
}
/** A level as typed: 4 significant digits. */
function roundLevel(v) { return Number(v.toPrecision(4)); }
// A sweep or holdoff longer than the 10 minutes the page holds could never be captured (and
// would keep every sample fed).
const MAX_MS = 600000;
function positive(text, fallback) { const v = Number(text); return text !== null && text !== "" && Number.isFinite(v) && v >= 0 ? Math.min(v, MAX_MS) : fallback; }

export function createTriggerView(host) {
  const box = host.container;
  box.classList.add("trigger-view");
  const controls = {
    source: element("select", { id: "trigger-source", title: "The series the trigger watches" }),
    level: element("input", { id: "trigger-level", type: "number", step: "any", title: "The level it crosses (default: the middle of the source's visible range)" }),
    edge: element("select", { id: "trigger-edge", title: "Which way it crosses" }),
    mode: element("select", { id: "trigger-mode", title: "auto: free-runs when nothing triggers; normal: keeps the last capture; single: one capture, then stops" }),
    rearm: element("button", { id: "trigger-rearm", type: "button", textContent: "Re-arm", title: "Single: take the next trigger" }),
    pre: element("input", { id: "trigger-pre", type: "text", size: "5", title: "Before the trigger: % of the sweep (25%) or ms (120)", spellcheck: "false" }),
    span: element("input", { id: "trigger-span", type: "number", min: "1", step: "any", title: "The sweep's length in ms" }),
    holdoff: element("input", { id: "trigger-holdoff", type: "number", min: "0", step: "any", title: "No trigger within this many ms of the one before" }),
    csv: element("button", { id: "trigger-csv", type: "button", textContent: "CSV", title: "Download the capture shown as CSV (ms from the trigger)" }),
    png: element("button", { id: "trigger-png", type: "button", textContent: "PNG", title: "Download the capture shown as PNG" }),
  };
  for (const edge of EDGES) controls.edge.appendChild(element("option", { value: edge, textContent: EDGE_TEXT[edge] }));
  for (const mode of MODES) controls.mode.appendChild(element("option", { value: mode, textContent: mode }));
  const row = element("div", { className: "controls" }, [
    labelled("Trigger on", controls.source), labelled("level", controls.level), labelled("edge", controls.edge),
    labelled("mode", controls.mode), controls.rearm, labelled("pre", controls.pre), labelled("sweep ms", controls.span),
    labelled("holdoff ms", controls.holdoff), element("span", { className: "trigger-exports" }, [controls.csv, controls.png]),
  ]);
  const status = element("p", { id: "trigger-state", className: "trigger-state", role: "status", "aria-live": "polite" });
  const canvas = element("canvas", { id: "trigger-canvas", className: "trigger-canvas", role: "img", "aria-label": "Trigger sweeps: the series aligned on the trigger, in ms from it" });
  box.append(row, status, canvas);
  const ctx = canvas.getContext("2d");

  // Settings, from the address; the level is the source's mid-range until one is typed.
  const settings = {
    source: host.param("trig") || "",
    level: host.param("tlevel") !== null && host.param("tlevel") !== "" && Number.isFinite(Number(host.param("tlevel"))) ? Number(host.param("tlevel")) : null,
    edge: EDGES.includes(host.param("tedge")) ? host.param("tedge") : DEFAULTS.tedge,
    mode: MODES.includes(host.param("tmode")) ? host.param("tmode") : DEFAULTS.tmode,
    pre: host.param("tpre") || DEFAULTS.tpre,
    span: positive(host.param("tspan"), DEFAULTS.tspan) || DEFAULTS.tspan,
    holdoff: positive(host.param("thold"), DEFAULTS.thold),
  };
  let autoLevel = null, autoLevelAt = 0;   // the level when none is set: the source's mid-range
  let capture = null, shown = false, lastUpdate = 0, fedUntil = -Infinity, names = [], colours = new Map();
  let dirty = true, lastExport = null, lastSize = "";

  function level() { return settings.level !== null ? settings.level : autoLevel; }

  function save(key, value, fallback) { host.save(key, value === fallback || value === null ? null : value); }

  function syncControls() {
    // A field being typed in keeps what is typed until it is changed.
    const put = (control, value) => { if (document.activeElement !== control) control.value = value; };
    put(controls.edge, settings.edge);
    put(controls.mode, settings.mode);
    put(controls.pre, settings.pre);
    put(controls.span, String(settings.span));
    put(controls.holdoff, String(settings.holdoff));
    put(controls.level, level() === null ? "" : String(level()));
    controls.level.placeholder = autoLevel === null ? "mid-range" : String(autoLevel);
    controls.rearm.hidden = settings.mode !== "single";
  }

  /// The source select lists the shown series; a source named in the address but not shown
  /// (yet) stays chosen.
  function syncSources(series) {
    const wanted = series.map((s) => s.name);
    if (settings.source && !wanted.includes(settings.source)) wanted.push(settings.source);
    const have = Array.from(controls.source.options, (o) => o.value);
    if (have.join("\n") !== wanted.join("\n")) {
      controls.source.replaceChildren(...wanted.map((name) => element("option", { value: name, textContent: name })));
    }
    controls.source.value = settings.source;
  }

  /// Starts the capture over (settings changed): fed from a little before now, so a
  /// crossing just past shows at once.
  function restart() {
    capture = null;
    fedUntil = -Infinity;
    dirty = true;
  }

  controls.source.addEventListener("change", () => {
    settings.source = controls.source.value;
    save("trig", settings.source, "");
    autoLevel = null;
    restart(); update(true);
  });
  controls.level.addEventListener("change", () => {
    const text = controls.level.value.trim(), v = Number(text);
    settings.level = text !== "" && Number.isFinite(v) ? v : null;
    save("tlevel", settings.level === null ? null : String(settings.level), null);
    restart(); update(true);
  });
  controls.edge.addEventListener("change", () => { settings.edge = controls.edge.value; save("tedge", settings.edge, DEFAULTS.tedge); restart(); update(true); });
  controls.mode.addEventListener("change", () => {
    settings.mode = controls.mode.value;
    save("tmode", settings.mode, DEFAULTS.tmode);
    if (capture) capture.setMode(settings.mode);
    dirty = true;
    syncControls(); update(true);
  });
  controls.rearm.addEventListener("click", () => { if (capture) capture.rearm(); dirty = true; update(true); });
  controls.pre.addEventListener("change", () => {
    const text = controls.pre.value.trim().replace(/\s+/g, "");
    settings.pre = /^\d+(\.\d+)?(%|ms)?$/.test(text) ? text : DEFAULTS.tpre;
    save("tpre", settings.pre, DEFAULTS.tpre);
    restart(); syncControls(); update(true);
  });
  controls.span.addEventListener("change", () => {
    settings.span = positive(controls.span.value, DEFAULTS.tspan) || DEFAULTS.tspan;
    save("tspan", settings.span, DEFAULTS.tspan);
    restart(); syncControls(); update(true);
  });
  controls.holdoff.addEventListener("change", () => {
    settings.holdoff = positive(controls.holdoff.value, DEFAULTS.thold);
    save("thold", settings.holdoff, DEFAULTS.thold);
    restart(); syncControls(); update(true);
  });
  controls.csv.addEventListener("click", () => exportCSV());
  controls.png.addEventListener("click", () => exportPNG());

  /// The middle of the source's values over the visible range, or null when it has none.
  function midRange() {
    const r = host.range();
    const got = host.samples(r.t0, r.t1, [settings.source]).values.get(settings.source);
    if (!got) return null;
    let lo = Infinity, hi = -Infinity;
    for (const v of got) if (v === v) { if (v < lo) lo = v; if (v > hi) hi = v; }
    return lo <= hi ? roundLevel((lo + hi) / 2) : null;
  }

  function update(force) {
    if (!shown) return;
    const now = performance.now();
    if (!force && now - lastUpdate < UPDATE_MS) return;
    lastUpdate = now;
    const series = host.series();
    colours = new Map(series.map((s) => [s.name, s.color]));
    if (!settings.source && series.length) settings.source = series[0].name;
    syncSources(series);
    const wanted = series.map((s) => s.name);
    if (settings.source && !wanted.includes(settings.source)) wanted.push(settings.source);
    if (capture && wanted.join("\n") !== names.join("\n")) restart();
    names = wanted;
    const r = host.range();
    // No level set: the source's mid-range, looked at again each second until a trigger
    // (the first samples may not show the whole swing).
    if (settings.level === null && settings.source && (autoLevel === null || (capture && capture.triggers === 0 && now - autoLevelAt > 1000))) {
      const mid = midRange();
      autoLevelAt = now;
      if (mid !== null && mid !== autoLevel) {
        autoLevel = mid;
        if (capture) { capture.options.level = mid; dirty = true; }
      }
    }
    if (!capture && settings.source && level() !== null) {
      const span = settings.span;
      capture = new TriggerCapture({ source: settings.source, level: level(), edge: settings.edge, mode: settings.mode,
                                     span: span, pre: preTriggerMs(settings.pre, span), holdoff: settings.holdoff });
      fedUntil = r.t1 - 2 * span;
    }
    // Only the samples that arrived since the last update (paused: what had arrived by then).
    if (capture && r.t1 > fedUntil) {
      const got = host.samples(fedUntil, r.t1, names);
      if (got.times.length) {
        const values = new Map(names.map((name) => [name, got.values.get(name) || new Float64Array(got.times.length).fill(NaN)]));
        if (capture.feed(got.times, values)) dirty = true;
        fedUntil = got.times[got.times.length - 1];
      }
    }
    syncControls();
    status.textContent = stateText();
    status.dataset.state = capture ? capture.state : "armed";
    controls.csv.disabled = controls.png.disabled = !(capture && capture.sweep);
    const size = canvas.clientWidth + "x" + canvas.clientHeight + " " + JSON.stringify(host.theme());
    if (dirty || size !== lastSize) { draw(); dirty = false; lastSize = size; }
  }

  function stateText() {
    if (!settings.source) return "armed · no series yet";
    if (!capture) return "armed · waiting for samples of " + settings.source;
    const n = capture.triggers, count = n + (n === 1 ? " trigger" : " triggers");
    const last = capture.lastTriggerTime !== null ? "triggered at " + clock(capture.lastTriggerTime) : null;
    const times = capture.triggerTimes, interval = times.length > 1 ? times[times.length - 1] - times[times.length - 2] : null;
    const every = interval !== null && capture.state !== "stopped" ? " · every\u00a0" + interval.toFixed(1) + "\u00a0ms" : "";
    switch (capture.state) {
      case "triggered": return last + " · " + count + every;
      case "auto": return "auto (no trigger)" + (last ? " · last " + last : "") + " · " + count;
      case "stopped": return "stopped (single) · " + last + " · " + count;
      default: return "armed" + (last ? " · last " + last : "") + " · " + count;
    }
  }

  // ---- Drawing ----
  function fit() {
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(200, Math.round(canvas.clientWidth)), height = Math.max(150, Math.round(canvas.clientHeight));
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return { width: width, height: height };
  }

  function draw() {
    const size = fit(), theme = host.theme(), narrow = size.width < 480;
    const font = narrow ? 11 : 12;
    ctx.fillStyle = theme.panel || "#fff";
    ctx.fillRect(0, 0, size.width, size.height);
    const span = capture ? capture.options.span : settings.span, pre = capture ? capture.options.pre : preTriggerMs(settings.pre, settings.span);
    const x0 = -pre, x1 = span - pre;
    const sweeps = capture ? capture.recent.concat(capture.sweep ? [capture.sweep] : []) : [];
    const current = capture && capture.sweep;
    // The value range: every sweep drawn and the level.
    let lo = Infinity, hi = -Infinity;
    for (const s of sweeps) for (const name of names) {
      const v = s.values.get(name);
      if (v) for (const x of v) if (x === x) { if (x < lo) lo = x; if (x > hi) hi = x; }
    }
    const lvl = level();
    // The level is in range, unless it is far from every value (then it is marked at the edge).
    const far = lvl !== null && lo <= hi && (lvl > hi + (hi - lo) || lvl < lo - (hi - lo));
    if (lvl !== null && !far) { lo = Math.min(lo, lvl); hi = Math.max(hi, lvl); }
    if (!(lo <= hi)) { lo = 0; hi = 1; }
    if (hi - lo < 1e-9 * Math.max(1, Math.abs(hi))) { const half = 0.5 * Math.max(1, Math.abs(hi) * 1e-6); lo -= half; hi += half; }
    const padding = (hi - lo) * 0.06;
    lo -= padding; hi += padding;
    ctx.font = font + "px system-ui, sans-serif";
    const top = 22, bottom = 34, right = 12;
    const plotH = Math.max(40, size.height - top - bottom);
    const ys = niceStep(hi - lo, Math.max(2, Math.floor(plotH / 36)));
    const yTicks = [];
    // By index, not by adding the step: near 1e17 a step below half an ulp would never move v.
    const firstTick = Math.ceil(lo / ys);
    for (let k = 0; k < 200; k++) { const v = (firstTick + k) * ys; if (v > hi + ys * 1e-9) break; yTicks.push(v); }
    const left = Math.ceil(8 + Math.max(20, ...yTicks.map((v) => ctx.measureText(formatValue(v, ys)).width)));
    const plotW = Math.max(40, size.width - left - right);
    const px = (t) => left + (t - x0) / (x1 - x0) * plotW;
    const py = (v) => top + plotH - (v - lo) / (hi - lo) * plotH;
    // Grid and axes.
    ctx.lineWidth = 1;
    ctx.strokeStyle = theme.grid;
    ctx.fillStyle = theme.muted;
    ctx.textBaseline = "middle";
    ctx.textAlign = "right";
    for (const v of yTicks) {
      const y = Math.round(py(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(left + plotW, y); ctx.stroke();
      ctx.fillText(formatValue(v, ys), left - 6, y);
    }
    const xs = niceStep(x1 - x0, Math.max(2, Math.floor(plotW / (narrow ? 62 : 80))));
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    let lastEnd = -Infinity;
    for (let t = Math.ceil(x0 / xs) * xs; t <= x1 + xs * 1e-9; t += xs) {
      const x = Math.round(px(t)) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + plotH); ctx.stroke();
      const text = formatValue(t, xs), w = ctx.measureText(text).width;
      const cx = Math.min(Math.max(x, left + w / 2), left + plotW - w / 2);
      if (cx - w / 2 > lastEnd + 6) { ctx.fillText(text, cx, top + plotH + 4); lastEnd = cx + w / 2; }
    }
    ctx.textAlign = "right";
    ctx.fillText(current && current.free ? "ms (free-running: no trigger)" : "ms from the trigger", left + plotW, top + plotH + 4 + font + 3);
    ctx.strokeStyle = theme.axis;
    ctx.strokeRect(left + 0.5, top + 0.5, plotW, plotH);
    // The sweeps, the older ones faded.
    ctx.save();
    ctx.beginPath(); ctx.rect(left, top, plotW, plotH); ctx.clip();
    sweeps.forEach((s, k) => {
      const alpha = s === current ? 1 : 0.12 + 0.12 * (k + 1) / sweeps.length;
      drawSweep(s, alpha, px, py, plotW);
    });
    // t = 0 and the level.
    ctx.strokeStyle = theme.marker;
    ctx.lineWidth = 1;
    ctx.setLineDash([5, 4]);
    const zx = Math.round(px(0)) + 0.5;
    ctx.beginPath(); ctx.moveTo(zx, top); ctx.lineTo(zx, top + plotH); ctx.stroke();
    if (lvl !== null && !far) {
      const ly = Math.round(py(lvl)) + 0.5;
      ctx.beginPath(); ctx.moveTo(left, ly); ctx.lineTo(left + plotW, ly); ctx.stroke();
    }
    ctx.setLineDash([]);
    ctx.restore();
    // Labels: the level at the right (above the line, or below when no room), T at the top.
    ctx.font = "600 " + font + "px system-ui, sans-serif";
    ctx.fillStyle = theme.marker;
    ctx.textBaseline = "bottom";
    ctx.textAlign = "center";
    ctx.fillText("T", zx, top - 3);
    if (lvl !== null) {
      const text = "level " + Number(lvl.toPrecision(6)) + (far ? (lvl > hi ? " ↑" : " ↓") : "");
      const ly = far ? (lvl > hi ? top : top + plotH) : py(lvl), w = ctx.measureText(text).width;
      const above = ly - top > font + 6;
      ctx.textAlign = "right";
      ctx.textBaseline = above ? "bottom" : "top";
      ctx.fillStyle = theme.panel;
      ctx.globalAlpha = 0.8;
      ctx.fillRect(left + plotW - 4 - w - 3, above ? ly - font - 5 : ly + 2, w + 6, font + 3);
      ctx.globalAlpha = 1;
      ctx.fillStyle = theme.marker;
      ctx.fillText(text, left + plotW - 4, above ? ly - 3 : ly + 3);
    }
    // The series' names at the top left, in their colours (the PNG has no legend).
    ctx.textAlign = "left";
    ctx.textBaseline = "bottom";
    let x = left;
    for (const name of names) {
      const text = name === settings.source ? name + " (source)" : name, w = ctx.measureText(text).width;
      if (x + w > zx - 12 && x < zx + 12) x = zx + 12;
      if (x + w > left + plotW - 4) break;
      ctx.fillStyle = colours.get(name) || theme.text;
      ctx.fillText(text, x, top - 3);
      x += w + 14;
    }
    // Nothing yet: say why, in the plot.
    if (!current) {
      ctx.font = font + 1 + "px system-ui, sans-serif";
      ctx.fillStyle = theme.muted;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      const why = !capture ? "waiting for samples" : settings.mode === "auto" ? "armed: waiting for a trigger (auto free-runs soon)" : "armed: waiting for " + settings.source + " to cross " + lvl + " (" + settings.edge + ")";
      ctx.fillText(why.length * font * 0.55 > plotW ? "armed: waiting for a trigger" : why, left + plotW / 2, top + plotH / 2);
    }
  }

  function drawSweep(s, alpha, px, py, plotW) {
    ctx.globalAlpha = alpha;
    ctx.lineWidth = alpha === 1 ? 1.6 : 1;
    const dots = s.times.length > 1 && s.times.length < plotW / 6;
    for (const name of names) {
      const v = s.values.get(name);
      if (!v) continue;
      ctx.strokeStyle = ctx.fillStyle = colours.get(name) || "#888";
      ctx.beginPath();
      let open = false;
      for (let k = 0; k < v.length; k++) {
        if (v[k] !== v[k]) continue;    // NaN: no value on this line; the line steps over it
        const x = px(s.times[k]), y = py(v[k]);
        if (open) ctx.lineTo(x, y); else { ctx.moveTo(x, y); open = true; }
      }
      ctx.stroke();
      if (dots && alpha === 1) {
        for (let k = 0; k < v.length; k++) if (v[k] === v[k]) { ctx.beginPath(); ctx.arc(px(s.times[k]), py(v[k]), 2, 0, 2 * Math.PI); ctx.fill(); }
      }
    }
    ctx.globalAlpha = 1;
  }

  // ---- Export ----
  function exportCSV() {
    if (!capture || !capture.sweep) return null;
    const s = capture.sweep, text = sweepCSV({ times: s.times, values: new Map(names.map((n) => [n, s.values.get(n) || new Float64Array(s.times.length).fill(NaN)])) });
    const name = "sensorbridge-trigger-" + stamp() + ".csv";
    const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
    download(name, url);
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    lastExport = { kind: "csv", name: name, text: text, rows: s.times.length, t0: s.t0 };
    return lastExport;
  }

  function exportPNG() {
    if (!capture || !capture.sweep) return null;
    draw();
    const dataURL = canvas.toDataURL("image/png");
    const name = "sensorbridge-trigger-" + stamp() + ".png";
    download(name, dataURL);
    lastExport = { kind: "png", name: name, width: canvas.width, height: canvas.height, bytes: dataURL.length, t0: capture.sweep.t0 };
    return lastExport;
  }

  syncControls();
  status.textContent = stateText();

  return {
    // Hidden, the view is not fed: shown again, it starts over from a little before now
    // (minutes of samples at once would be old triggers), but a single capture stays.
    show() { shown = true; if (capture && capture.state !== "stopped") restart(); dirty = true; update(true); },
    hide() { shown = false; },
    update() { update(false); },
    /// The page's values changed (a calibration, a derived series): the capture starts over
    /// from the new values, and an automatic level is found anew.
    valuesChanged() { autoLevel = null; if (capture) { restart(); dirty = true; } if (shown) update(true); },
    state() {
      const base = { source: settings.source, level: level(), edge: settings.edge, mode: settings.mode, state: "armed",
                     triggers: 0, lastTriggerTime: null, sweep: null };
      const out = capture ? Object.assign(base, capture.report()) : base;
      if (out.sweep) {
        // Every series shown, in order (a series with no column: all null).
        const values = {};
        for (const name of names) values[name] = out.sweep.values[name] || out.sweep.times.map(() => null);
        out.sweep.values = values;
      }
      out.settings = { pre: settings.pre, span: settings.span, holdoff: settings.holdoff, autoLevel: settings.level === null };
      out.lastExport = lastExport;
      return out;
    },
    exportCSV: exportCSV,
    exportPNG: exportPNG,
  };
}
