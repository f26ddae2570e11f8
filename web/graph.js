// sensorbridge graph page: the batched stream (sensorbridge.batch.v1) into a SeriesStore,
// drawn by Plot, with the controls a live plotter needs. The state shown is always the
// true one: live, no data, board disconnected, replay finished, or bridge unreachable.
// `window.sensorbridge` (docs in web/README.md) exposes the state to tests and scripts.
// An ES module: it imports the maths and the views; store.js, plot.js and serial.js are
// classic scripts (node tests load them as they are) that run before it.
import { measure, cursorDelta } from "./maths/statistics.js";
import { ADXL335_UNO } from "./maths/calibration.js";
import { SeriesTransform } from "./page/series-transform.js";
import { StreamClient, stateBreakText } from "./page/stream-client.js";
import { readSources, offersChoice, isListed, currentSource, fillSourceSelect, SOURCES_REFRESH_MS } from "./page/sources.js";
import { stamp, download } from "./page/download.js";
import { readSettings, writeSettings, showInControls, windowSetting, MIN_SPAN, MAX_SPAN } from "./page/settings.js";
import { createSpectrumView } from "./views/spectrum-view.js";
import { createTriggerView } from "./views/trigger-view.js";
import { createSourcePanels, panelNames } from "./views/source-panels.js";

(function () {
  "use strict";
  const COLORS = ["#e15759", "#59a14f", "#4e79a7", "#f28e2b", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7",
                  "#9c755f", "#17becf", "#bcbd22", "#8c564b", "#7f7f7f", "#1f3a93", "#d62728", "#2ca02c"];
  // The window choices (seconds): the live ones and the history presets; any other span
  // (a zoom) is kept too. "all" is from the first stored sample to now.
  const WINDOWS = [5, 10, 30, 60, 120, 300, 600, 3600, 21600, 86400, 604800];
  const History = window.SensorHistory;
  const el = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);

  /// A span in seconds as the address keeps it: three significant digits.
  function roundSeconds(seconds) { return Number(seconds.toPrecision(3)); }

  // ---- Settings (kept in the URL so a view can be shared: page/settings.js) ----
  const settings = readSettings(params);

  /// Changes the address's query (a function given the current one) without a reload.
  function editQuery(change) {
    const out = new URLSearchParams(location.search);
    change(out);
    const query = out.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
  }

  function saveSettings() {
    editQuery(function (out) {
      writeSettings(settings, out);
      // A view away from the live edge is kept as its range, so it can be shared.
      if (view.paused) { out.set("from", String(Math.round(view.t0))); out.set("to", String(Math.round(view.t1))); }
      else { out.delete("from"); out.delete("to"); }
      transform.toQuery(out);
    });
  }

  // ---- State ----
  // Units and derived series: samples are kept calibrated, with the derived series beside them.
  const transform = SeriesTransform.fromQuery(params);
  const store = new SeriesStore({ keepMs: settings.history * 1000 });
  const plot = new Plot(el("graph"));
  // What the stream says of the source and how its samples map to series (the connection
  // itself is the StreamClient's, below).
  const conn = {
    columns: [], source: { name: "", state: "starting", detail: "" }, clockOffset: null, channelNames: [],
    lossMarked: false, restartMarkPending: false, refusal: null, kind: "", bridgeStopped: false,
  };
  const counters = { received: 0, duplicates: 0, outOfOrder: 0, gaps: 0, missed: 0, lost: 0, policyViolations: 0, viewErrors: 0 };
  // What the bridge's Content-Security-Policy blocked on this page (should stay 0).
  document.addEventListener("securitypolicyviolation", function () { counters.policyViolations++; });
  const view = { paused: false, t0: 0, t1: 0, span: settings.window === "all" ? 600000 : settings.window * 1000, pausedAt: 0, heldAtPause: -Infinity, cursorT: null, drag: null,
                 // A span selected with shift+drag, [t0, t1] or null; cursors A and B placed by clicks.
                 selection: null, marked: [null, null] };
  // History: what the bridge's store holds (sessions), and the loader of its buckets.
  const stored = { sessions: [], sessionsError: null, sessionsLoaded: false, off: false, source: settings.source };
  // The bridge's sources (page/sources.js): its last list, and the name the stream last asked
  // for ("" for none: the bridge's first).
  const bridgeSources = { list: [], streamed: "" };
  const loader = new History.HistoryLoader({
    fetch: window.fetch.bind(window),
    url: historyURL,
    // The store's buckets are in the board's numbers: calibrated as they arrive, like samples.
    prepare: (result) => result.calibrate((name) => transform.calibrationOf(name)),
    onChange: function () {
      historyChanged = performance.now();
      if (loader.last) addSeries(loader.last.present);
      requestDraw();
    },
  });
  let historyChanged = 0;
  let historyShown = { layers: [], at: 0 };
  let drawnLayers = [];
  const frames = { times: new Float64Array(600), count: 0, lastDraw: 0 };
  let lastExport = null;

  /// The span in ms a window setting means ("all": from the first stored or held sample).
  function spanOf(windowSetting) {
    if (windowSetting !== "all") return windowSetting * 1000;
    const edge = liveEdge(), first = earliestTime();
    return Math.min(MAX_SPAN, Math.max(10000, (edge - first) * 1.02 || 600000));
  }

  // ---- History ----
  function apiURL(path, query) {
    if (settings.token) query.set("token", settings.token);
    if (stored.source) query.set("source", stored.source);
    const text = query.toString();
    return path + (text ? "?" + text : "");
  }

  function historyURL(plan) {
    const query = new URLSearchParams();
    query.set("from", String(plan.from));
    query.set("to", String(plan.to));
    query.set("points", String(plan.points));
    return apiURL("api/history", query);
  }

  /// The store's sessions (of the source shown), oldest first; asked at start, when the
  /// bridge's stream changes, and every 30 s.
  function loadSessions() {
    const query = new URLSearchParams();
    if (settings.token) query.set("token", settings.token);
    // A bridge of several sources answers from the one named (its first when none is).
    const asked = stored.source;
    if (offersChoice(bridgeSources.list) && asked) query.set("source", asked);
    const text = query.toString();
    fetch("api/sessions" + (text ? "?" + text : ""), { cache: "no-store" })
      .then((response) => response.text().then(function (text) {
        let body = null;
        try { body = JSON.parse(text); } catch (e) { body = null; }
        if (!response.ok) {
          const error = new Error(body && body.error ? body.error : text.trim() || "HTTP " + response.status);
          error.status = response.status;
          throw error;
        }
        return body;
      }))
      .then(function (list) {
        if (stored.source !== asked) return;      // another source was chosen meanwhile
        if (!Array.isArray(list)) throw new Error("the bridge's sessions are not a list");
        const sources = Array.from(new Set(list.map((s) => s.source)));
        // With several sources in the store and none chosen (here or in the Source select), the newest session's.
        if (!settings.source && !offersChoice(bridgeSources.list) && sources.length > 1) stored.source = list[list.length - 1].source;
        stored.sessions = list.filter((s) => !stored.source || sources.length < 2 || s.source === stored.source)
          .map((s) => ({ id: s.id, source: s.source, start: Number(s.start), end: Number(s.end), open: s.open === true,
                         channels: s.channels || [], samples: s.samples || 0 }))
          .filter((s) => isFinite(s.start) && isFinite(s.end))
          .sort((a, b) => a.start - b.start);
        stored.sessionsError = null;
        stored.sessionsLoaded = true;
        stored.off = false;
        requestDraw();
      })
      .catch(function (error) {
        if (stored.source !== asked) return;
        stored.sessionsError = error.message || String(error);
        if (error.status === 404) { stored.off = true; loader.off = true; loader.error = stored.sessionsError; }
        requestDraw();
      });
  }

  /// Series of the history shown that the page does not know yet, added in order (legend, colours).
  function addSeries(names) {
    let added = false;
    for (const name of names || []) {
      if (typeof name !== "string" || store.index.has(name)) continue;
      store.seriesIndex(name);
      added = true;
    }
    if (added) rebuildLegend();
  }

  /// The series of the history in view, which the page keeps while the bridge's stream has forgotten them.
  function historySeries() {
    const names = new Set();
    for (const layer of drawnLayers) for (const name of layer.result.present) names.add(name);
    return Array.from(names);
  }

  /// What kind of source the bridge serves (`archive`: a store alone, no board), from /api/status.
  function loadStatus() {
    const url = "api/status" + (settings.token ? "?token=" + encodeURIComponent(settings.token) : "");
    fetch(url, { cache: "no-store" })
      .then((response) => response.ok ? response.json() : null)
      .then(function (status) {
        if (status && status.source && typeof status.source.kind === "string") { conn.kind = status.source.kind; requestDraw(); }
      })
      .catch(function () {});
  }

  /// The time of the newest data: now while a source streams; the end of the store's last
  /// session when nothing streams (an archive, or the bridge is away).
  function liveEdge() {
    if ((streaming() && conn.kind !== "archive") || !stored.sessions.length) return bridgeNow();
    const last = stored.sessions[stored.sessions.length - 1];
    return Math.max(last.end, store.length ? store.lastTime() : -Infinity);
  }

  /// Whether the page follows a moving edge (a source streams) or a fixed one (an archive).
  function streaming() { return client.open && conn.kind !== "archive"; }

  function earliestTime() {
    if (stored.sessions.length) return stored.sessions[0].start;
    return store.length ? store.firstTime() : bridgeNow() - 600000;
  }

  /// What the plot draws from history for the view, asking the bridge for more when the
  /// view reaches past what the page holds (never waiting for it).
  function historyForView(t0, t1, width) {
    if (loader.off) return [];
    const heldFrom = store.length ? store.firstTime() : undefined;
    const options = { t0: t0, t1: t1, width: width, heldFrom: heldFrom, have: loader.have(), latest: liveEdge() };
    if (stored.sessions.length) options.earliest = stored.sessions[0].start;
    // Asked once the sessions are known and the stream's own backlog had its chance to arrive.
    const ready = (stored.sessionsLoaded || stored.sessionsError) && (client.state !== "connecting" || performance.now() > 2000);
    if (ready) loader.want(History.planFetch(options));
    return loader.layers(t0, t1, heldFrom === undefined ? [] : [[heldFrom, Infinity]]);
  }

  /// Session starts and the store's state changes in the view, as plot marks.
  function historyMarks(layers, t0, t1) {
    const marks = [];
    stored.sessions.forEach(function (s, k) {
      if (k > 0 && s.start >= t0 && s.start <= t1) marks.push({ t: s.start, kind: "session", text: "session " + s.id + " started" });
    });
    const seen = new Set();
    for (const layer of layers) {
      for (const e of layer.result.events) {
        const key = e.t + e.state;
        if (seen.has(key) || e.t < t0 || e.t > t1) continue;
        seen.add(key);
        marks.push({ t: e.t, kind: e.state, text: e.state === "connected" ? "connected" : e.state + (e.detail ? ": " + e.detail : "") });
      }
    }
    return marks;
  }

  function historyState() {
    const last = loader.last;
    return {
      enabled: !loader.off,
      loading: loader.loading(),
      from: last ? last.from : null,
      to: last ? last.to : null,
      buckets: last ? last.count : 0,
      exact: last ? last.exact : false,
      error: loader.error || stored.sessionsError,
      url: loader.lastURL,
      requests: loader.requests,
      aborted: loader.aborted,
      duration: loader.lastDuration,
      cached: loader.results.length,
      shown: historyShown.layers,
      changedAt: historyChanged,
      drawnAt: historyShown.at,
    };
  }

  // ---- Connection ----
  const client = new StreamClient({
    base: (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/graph",
    query: function () {
      const query = new URLSearchParams();
      query.set("history", String(settings.history));
      if (settings.token) query.set("token", settings.token);
      bridgeSources.streamed = chosenSource();
      if (bridgeSources.streamed) query.set("source", bridgeSources.streamed);
      return query;
    },
    WebSocket: window.WebSocket,
    setTimeout: window.setTimeout.bind(window),
    onOpen: function () {
      conn.bridgeStopped = false;
      conn.refusal = null;
      loadSources();                    // a bridge back after a restart may serve other sources
    },
    onMessage: function (message) {
      handle(message);
      if (message.type !== "samples") requestDraw();
    },
    onClose: function (event) {
      requestDraw();
      // 1001 (going away) is how the bridge closes every client when it stops: the page says
      // so, not "unreachable", until it is back (retrying meanwhile).
      if (event.code === 1001) conn.bridgeStopped = true;
      // One mark per outage, and none when the bridge already said why it went (stopped).
      // No break: a reconnect to the same stream resumes without losing a sample; a restart
      // or a gap breaks the line when the stream says so.
      if (store.length && conn.source.state === "connected" && !conn.lossMarked) {
        if (conn.bridgeStopped) store.mark(bridgeNow(), "stopped", "bridge stopped");
        else store.mark(bridgeNow(), "lost", "connection lost");
        conn.lossMarked = true;
      }
      if (!event.opened) explainRefusal();
    },
  });

  // A browser does not tell a page why a WebSocket was refused; the bridge's status
  // endpoint answers with the same checks (Host, Origin, token) and says why in its body.
  function explainRefusal() {
    const url = "api/status" + (settings.token ? "?token=" + encodeURIComponent(settings.token) : "");
    fetch(url, { cache: "no-store" })
      .then((response) => response.ok ? null : response.text().then((text) => text.trim() || "HTTP " + response.status))
      .then((reason) => { conn.refusal = reason; requestDraw(); })
      .catch(() => { conn.refusal = null; });
  }

  // ---- The bridge's sources (page/sources.js) ----
  // One source: no Source select, and nothing below changes what the page asks for. Several:
  // the select chooses the one shown, the address keeps it (`?source=NAME`), and the stream,
  // the history and the serial monitor ask for it.
  let streamStarted = false;

  /// The bridge's source the page streams by name: "" (the bridge's first, unnamed) unless the
  /// bridge offers a choice.
  function chosenSource() {
    return offersChoice(bridgeSources.list) ? currentSource(bridgeSources.list, settings.source) : "";
  }

  /// Asks the bridge for its sources (at start, every 10 s, at each reconnect). An older
  /// bridge, or one that refuses, leaves the list empty: one source, as always.
  function loadSources() {
    const url = "api/sources" + (settings.token ? "?token=" + encodeURIComponent(settings.token) : "");
    return fetch(url, { cache: "no-store" })
      .then((response) => (response.ok ? response.json() : null))
      .then((body) => { if (body) sourcesListed(readSources(body)); })
      .catch(function () {});
  }

  function sourcesListed(list) {
    const known = offersChoice(bridgeSources.list);
    bridgeSources.list = list;
    const several = offersChoice(list);
    el("source-box").hidden = !several;
    showPanels();
    if (!several) return;
    const current = currentSource(list, settings.source);
    fillSourceSelect(el("source-choice"), list, current);
    // The stream asked for another (a name the bridge no longer has, or none before the list
    // was known while the address named one): it starts over on the one shown.
    if (streamStarted && (bridgeSources.streamed || list[0].name) !== current) { showSource(current); return; }
    // The history of the source shown, by name; until the list was known the sessions were
    // asked for without one (the bridge's first source's). A name that is none of the
    // bridge's stays: the store's source, as before there were several.
    const historySource = settings.source || current;
    if (!known || stored.source !== historySource) {
      stored.source = historySource;
      forgetHistory();
      loadSessions();
    }
  }

  /// Shows the bridge's source `name` (the Source select): the address keeps it, and the page
  /// starts over with a fresh stream of it, its sessions and its history; nothing held of the
  /// source shown before stays (its samples must not continue the new one's lines).
  function showSource(name) {
    settings.source = name;
    editQuery((out) => out.set("source", name));
    el("source-choice").value = name;
    store.reset();
    conn.columns = [];
    conn.channelNames = [];
    conn.source = { name: name, state: "starting", detail: "" };
    conn.lossMarked = false;
    conn.restartMarkPending = false;
    tiltState.key = "";
    measured.job = null;
    measured.key = "";
    measured.values = {};
    // Paused, the view stays where it is and shows whatever of the new source arrives in it.
    if (view.paused) view.heldAtPause = Infinity;
    stored.source = name;
    forgetHistory();
    rebuildLegend();
    for (const v of Object.values(views)) if (v.valuesChanged) v.valuesChanged();
    loadSessions();
    serial.reset();
    if (streamStarted) client.restart();
    showPanels();
    requestDraw();
  }

  // ---- The other sources, stacked under the plot (views/source-panels.js) ----
  const sourcePanels = createSourcePanels({
    container: el("source-panels"),
    Plot: window.Plot, SeriesStore: window.SeriesStore, History: History,
    WebSocket: window.WebSocket, setTimeout: window.setTimeout.bind(window), fetch: window.fetch.bind(window),
    streamBase: (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/graph",
    streamQuery: function (name) {
      const query = new URLSearchParams();
      query.set("history", String(settings.history));
      if (settings.token) query.set("token", settings.token);
      query.set("source", name);
      return query;
    },
    apiURL: function (path, fields) {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(fields)) query.set(key, String(value));
      if (settings.token) query.set("token", settings.token);
      return path + "?" + query.toString();
    },
    now: () => bridgeNow(),
    colors: COLORS,
    historySeconds: settings.history,
    requestDraw: () => requestDraw(),
    zoom: (factor, t) => zoom(factor, t === null ? undefined : t),
    dragStart: function () { if (!view.paused) setPaused(true); return { t0: view.t0, t1: view.t1 }; },
    dragTo: function (t0, t1) { view.t0 = t0; view.t1 = t1; saveView(); requestDraw(); },
    dragEnd: function () { followIfAtEdge(); saveView(); },
    hover: function (t) { if (t !== null || !view.paused) { view.cursorT = t; requestDraw(); } },
    resetZoom: () => resetZoom(),
  });

  /// The panels the page shows: with "others below" on and a bridge of several, one for each
  /// source but the one the main plot shows; none otherwise.
  function showPanels() {
    const stacked = settings.stack && offersChoice(bridgeSources.list);
    el("stack").checked = settings.stack;
    sourcePanels.show(bridgeSources.list, stacked ? panelNames(bridgeSources.list, chosenSource()) : []);
    el("graph").classList.toggle("with-panels", sourcePanels.count > 0);
    // Among the panels' heads, the main plot's source is named too.
    el("main-head").hidden = sourcePanels.count === 0;
    el("main-name").textContent = chosenSource();
    requestDraw();
  }

  function setStacked(on) {
    settings.stack = !!on;
    saveSettings();
    showPanels();
  }

  /// The history of the source shown before: its sessions, answers and any error go.
  function forgetHistory() {
    stored.sessions = [];
    stored.sessionsLoaded = false;
    stored.sessionsError = null;
    stored.off = false;
    loader.forget();
    loader.error = null;
    loader.off = false;
    drawnLayers = [];
  }

  /// Opens the stream, once. A source named in the address is looked up first (for at most
  /// 2 s), so the stream opens on it: the bridge refuses a name it does not have, and the
  /// name may be one of the store's instead (the setting's older meaning).
  function startStream() {
    function start() {
      if (streamStarted) return;
      streamStarted = true;
      client.connect();
    }
    if (settings.source) Promise.race([loadSources(), new Promise((done) => setTimeout(done, 2000))]).then(start);
    else { start(); loadSources(); }
  }

  function mapColumns(names) {
    names = Array.isArray(names) ? names.filter((name) => typeof name === "string") : [];
    conn.channelNames = names.slice();
    // A derived series whose name the board now sends gives way: its column goes (the
    // board's values must not continue its line), and so does its expr= in the address.
    const taken = transform.prepare(names);
    for (const name of taken) { const s = store.index.get(name); if (s !== undefined) store.removeAt(s); everDerived.delete(name); }
    if (taken.length) { measured.job = null; saveSettings(); }
    // Index 0 of a sample array is its time, which belongs to no series; the derived series
    // come after the board's.
    conn.columns = [undefined].concat(names.map((name) => store.seriesIndex(name)),
                                      transform.derivedNames.map((name) => store.seriesIndex(name)));
    rebuildLegend();
    if (!el("series-panel").hidden) fillSeriesPanel();
  }

  // ---- Units and derived series ----
  const everDerived = new Set(transform.derivedNames);

  /// The board's series the page holds (of this stream or an earlier one): what derived
  /// series are computed from.
  function heldBoardSeries() {
    return store.names.filter((name) => !transform.derivedNames.includes(name) && !(everDerived.has(name) && !conn.channelNames.includes(name)));
  }

  /// After calibrations changed (`changes`: [{name, before}]): the held values of each
  /// rescaled from the calibration before to the one now, the derived series computed anew,
  /// the history asked for again (calibrated as it arrives).
  function recalibrated(changes) {
    for (const { name, before } of changes) {
      const s = store.index.get(name), after = transform.calibrationOf(name);
      if (s === undefined || transform.derivedNames.includes(name)) continue;
      if (after.scale === before.scale && after.offset === before.offset) continue;   // only the unit
      const old = store.values[s];
      // Back to the board's number first, rounded to 13 digits: a count comes back a count
      // (1 → 0.9999999999999826 → 1), not with the division's rounding in it.
      store.recompute(s, (p) => Number(((old[p] - before.offset) / before.scale).toPrecision(13)) * after.scale + after.offset);
    }
    loader.forget();
    tiltState.unit = null;            // the values are in another unit now
    derivedChanged();
  }

  /// The derived series made anew for every held sample, after a definition or a
  /// calibration changed: those no longer defined go, new ones come after the board's.
  function derivedChanged() {
    for (const name of transform.derivedNames) everDerived.add(name);
    measured.job = null;              // a job in flight names series that may move
    for (let s = store.names.length - 1; s >= 0; s--) {
      const name = store.names[s];
      if (everDerived.has(name) && !transform.derivedNames.includes(name) && !conn.channelNames.includes(name)) store.removeAt(s);
    }
    conn.columns = [undefined].concat(conn.channelNames.map((name) => store.seriesIndex(name)),
                                      transform.derivedNames.map((name) => store.seriesIndex(name)));
    const count = transform.derived.length;
    if (count) {
      const names = heldBoardSeries(), binding = transform.bind(names), slots = binding.slots, base = binding.base;
      const columns = names.map((name) => store.values[store.index.get(name)]);
      const breakColumns = names.map((name) => store.breaks[store.index.get(name)]);
      const arrays = transform.derived.map(() => new Float64Array(store.capacity).fill(NaN));
      const breaks = new Uint8Array(store.capacity);
      for (let i = 0; i < store.length; i++) {
        const p = store.physical(i);
        for (let k = 0; k < columns.length; k++) slots[k] = columns[k][p];
        binding.evaluate();
        for (let d = 0; d < count; d++) arrays[d][p] = slots[base + d];
        // A derived line breaks where the board's lines do.
        for (const b of breakColumns) if (b[p]) { breaks[p] = 1; break; }
      }
      transform.derivedNames.forEach((name, d) => store.recompute(store.index.get(name), (q) => arrays[d][q], (q) => breaks[q]));
    }
    measured.key = "";
    rebuildLegend();
    fillSeriesPanel();
    saveSettings();
    for (const v of Object.values(views)) if (v.valuesChanged) v.valuesChanged();
    requestDraw();
  }

  /// A series' name as shown: with its unit when it has one.
  function labelOf(name) {
    const unit = transform.unitOf(name);
    return unit ? name + " (" + unit + ")" : name;
  }

  /// The Series panel: scale, offset and unit per board series, the ADXL335 preset, and the
  /// derived series. A value that is not a number says so and changes nothing.
  function fillSeriesPanel() {
    const body = el("cal-body");
    const names = conn.channelNames;
    const current = Array.from(body.children).map((row) => row.dataset.series);
    if (current.join("\n") !== names.join("\n")) {
      body.innerHTML = "";
      for (const name of names) {
        const row = document.createElement("tr");
        row.dataset.series = name;
        const head = document.createElement("th");
        head.scope = "row";
        head.textContent = name;
        row.appendChild(head);
        for (const field of ["scale", "offset", "unit"]) {
          const cell = document.createElement("td"), input = document.createElement("input");
          input.type = "text";
          input.name = field;
          input.size = field === "unit" ? 5 : 9;
          input.spellcheck = false;
          input.setAttribute("aria-label", name + " " + field);
          input.addEventListener("change", () => calibrationInput(name, row));
          cell.appendChild(input);
          row.appendChild(cell);
        }
        body.appendChild(row);
      }
    }
    for (const row of body.children) {
      const c = transform.calibrationOf(row.dataset.series);
      for (const input of row.querySelectorAll("input")) {
        if (document.activeElement === input) continue;
        input.value = input.name === "unit" ? c.unit || "" : String(Number(c[input.name].toPrecision(8)));
        input.removeAttribute("aria-invalid");
      }
    }
    el("cal-empty").hidden = names.length > 0;
    const list = el("derived-list");
    list.innerHTML = "";
    for (const d of transform.derived) {
      const item = document.createElement("li"), text = document.createElement("code"), remove = document.createElement("button");
      item.dataset.series = d.name;
      text.textContent = d.name + " = " + d.expression;
      remove.type = "button";
      remove.textContent = "Remove";
      remove.title = "Remove the derived series " + d.name;
      remove.addEventListener("click", () => { transform.remove(d.name); derivedChanged(); });
      item.append(text, " ", remove);
      list.appendChild(item);
    }
    const problems = transform.errors.slice(-3);
    el("series-errors").textContent = problems.join("; ");
    el("series-errors").hidden = !problems.length;
  }

  function calibrationInput(name, row) {
    const field = (key) => row.querySelector("input[name=" + key + "]");
    const scale = Number(field("scale").value.trim()), offset = Number(field("offset").value.trim() || 0);
    const unit = field("unit").value.trim();
    const badScale = !field("scale").value.trim() || !Number.isFinite(scale) || scale === 0, badOffset = !Number.isFinite(offset);
    field("scale").setAttribute("aria-invalid", String(badScale));
    field("offset").setAttribute("aria-invalid", String(badOffset));
    if (badScale || badOffset) {
      el("cal-answer").textContent = name + ": " + (badScale ? "the scale must be a number other than 0" : "the offset must be a number");
      return;
    }
    el("cal-answer").textContent = "";
    const before = transform.setCalibration(name, { scale: scale, offset: offset, unit: unit });
    recalibrated([{ name: name, before: before }]);
  }

  /// The shipped sketch's preset: x, y and z (however the sketch names them) in g.
  function applyADXL335() {
    const axes = ["x", "y", "z"].map((letter) => axisSeries(conn.channelNames, letter)).filter(Boolean);
    if (!axes.length) { el("cal-answer").textContent = "no x, y or z series to calibrate"; return; }
    recalibrated(axes.map((name) => ({ name: name, before: transform.setCalibration(name, ADXL335_UNO) })));
    el("cal-answer").textContent = axes.join(", ") + " in g (0 g at 338 counts, 67.6 counts per g)";
  }

  function clearCalibrations() {
    const befores = new Map(Array.from(transform.calibrations, ([name, c]) => [name, c]));
    transform.clearCalibrations();
    recalibrated(Array.from(befores, ([name, before]) => ({ name: name, before: before })));
    el("cal-answer").textContent = "raw values";
  }

  function bindSeriesPanel() {
    el("marks-clear").addEventListener("click", clearMarks);
    el("series-toggle").addEventListener("click", function () {
      const open = el("series-panel").hidden;
      el("series-panel").hidden = !open;
      el("series-toggle").setAttribute("aria-pressed", String(open));
      if (open) fillSeriesPanel();
    });
    el("preset-adxl335").addEventListener("click", applyADXL335);
    el("cal-clear").addEventListener("click", clearCalibrations);
    el("derive-form").addEventListener("submit", function (event) {
      event.preventDefault();
      const input = el("derive-text"), result = transform.define(input.value, store.names.filter((name) => !everDerived.has(name)));
      input.setAttribute("aria-invalid", String(!!result.error));
      el("derive-error").textContent = result.error || "";
      if (result.error) return;
      input.value = "";
      derivedChanged();
    });
  }

  function handle(message) {
    switch (message.type) {
      case "hello": {
        const stream = client.sequence.hello(message.stream);
        if (stream.changed) {
          if (stream.restarted) {
            // The break now; the mark where the new stream's first sample lands.
            store.breakAll();
            conn.restartMarkPending = true;
          }
          tiltState.key = "";                 // another run may print other units
          loadSessions();
          loadStatus();
        }
        conn.source = { name: message.source || "", state: message.state || "connected", detail: message.detail || "" };
        conn.lossMarked = false;
        mapColumns(message.channels || []);
        break;
      }
      case "channels":
        mapColumns(message.channels || []);
        break;
      case "samples":
        ingest(message.seq, message.samples || []);
        break;
      case "gap":
        counters.gaps++;
        counters.missed += message.missed || 0;
        store.breakAll(store.lastTime() || Date.now(), "gap", "gap: " + message.missed + " skipped");
        client.sequence.skipTo(message.seq);
        break;
      case "lost": {
        // Lines the sketch's counter says never arrived: the numbers go on (the bridge lost
        // nothing), but the line must not join across them.
        const lines = Number(message.lines) || 0;
        counters.lost += lines;
        if (store.length) store.breakAll(store.lastTime(), "lines-lost", lines + " line" + (lines === 1 ? "" : "s") + " lost on the wire");
        break;
      }
      case "sent":
      case "send-refused":
        serial.answer(message);
        break;
      case "status": {
        const was = conn.source.state;
        conn.source = { name: conn.source.name, state: message.state, detail: message.detail || "" };
        if (message.state !== "connected" && was === "connected") {
          store.breakAll(bridgeNow(), message.state, stateBreakText(message.state));
        }
        break;
      }
    }
  }

  /// Samples from sequence number `first` on. A sample already held (same stream, seq not
  /// newer) or older than the newest held is dropped: a reconnect never duplicates or reorders.
  /// Sequence numbers, not times, say whether samples are missing: the line breaks only there.
  function ingest(first, samples) {
    const now = Date.now();
    for (let k = 0; k < samples.length; k++) {
      const missing = client.sequence.take(first + k);
      if (missing < 0) { counters.duplicates++; continue; }
      if (missing > 0 && store.length) {
        // The bridge announces a gap before it skips; this is the same rule, should it not.
        store.breakAll(store.lastTime(), "gap", "gap: " + missing + " skipped");
      }
      const row = samples[k];
      if (!Array.isArray(row) || typeof row[0] !== "number") continue;
      const t = row[0];
      if (store.length && t < store.lastTime()) { counters.outOfOrder++; continue; }
      if (conn.restartMarkPending) {
        store.mark(t, "restart", "bridge restarted");
        conn.restartMarkPending = false;
      }
      store.push(t, transform.row(row), conn.columns);
      counters.received++;
      const lag = now - t;
      // The bridge's clock may differ from ours: track the smallest delay seen, which is
      // close to the clock difference, so the live window ends at the bridge's "now".
      if (conn.clockOffset === null || lag < conn.clockOffset) conn.clockOffset = lag;
      else conn.clockOffset += (lag - conn.clockOffset) * 0.0005;
    }
  }

  function bridgeNow() { return Date.now() - (conn.clockOffset || 0); }

  // ---- What the page says ----
  /// Samples per second over the 2 s up to the newest sample (SeriesStore.rate: samples still
  /// on their way do not lower it); falls to 0 when nothing arrives.
  function currentRate() {
    return store.rate(bridgeNow(), 2000);
  }

  function pageState() {
    if (client.state === "unreachable" && conn.refusal) {
      return { name: "refused", text: "refused by the bridge", detail: conn.refusal };
    }
    // Said through every retry (each is "connecting" for a moment) until a socket opens.
    if (conn.bridgeStopped) return { name: "stopped", text: "bridge stopped, retrying…" };
    if (client.state === "connecting") return { name: "connecting", text: "connecting…" };
    if (client.state === "unreachable") {
      const wait = Math.max(0, Math.ceil((client.retryAt - Date.now()) / 1000));
      return { name: "unreachable", text: "bridge unreachable, retrying" + (wait ? " in " + wait + " s" : "…") };
    }
    const source = conn.source;
    if (conn.kind === "archive") return { name: "archive", text: "archive", detail: source.detail };
    if (source.state === "disconnected") return { name: "disconnected", text: "board disconnected", detail: source.detail };
    if (source.state === "released") return { name: "released", text: "released for upload", detail: source.detail };
    if (source.state === "finished") return { name: "finished", text: "replay finished", detail: source.detail };
    if (source.state === "stopped") return { name: "stopped", text: "source stopped", detail: source.detail };
    const silent = (Date.now() - client.lastMessageAt) / 1000;
    const lastSample = store.length ? (bridgeNow() - store.lastTime()) / 1000 : Infinity;
    if (source.state === "starting") return { name: "stale", text: "waiting for the source" };
    if (lastSample > store.silentAfter()) {
      return { name: "stale", text: store.length ? "no data for " + Math.round(Math.min(lastSample, silent + lastSample)) + " s" : "no data yet" };
    }
    return { name: "live", text: "live" };
  }

  /// The series that is an accelerometer's axis `letter` (x, ax, AcX, accel_x, …), if any.
  function axisSeries(names, letter) {
    const pattern = new RegExp("^(a|ac|acc|accel|acceleration)?[ _]?" + letter + "$", "i");
    return names.find((name) => pattern.test(name));
  }

  function visibleSeries() {
    return store.names.map((name, index) => ({ name: name, index: index, color: COLORS[index % COLORS.length], label: labelOf(name) }))
      .filter((s) => !settings.hidden.has(s.name));
  }

  // ---- Legend and controls ----
  function rebuildLegend() {
    const legend = el("legend");
    if (legend.childElementCount === store.names.length
        && store.names.every((name, index) => legend.children[index].dataset.series === name && legend.children[index].textContent === labelOf(name))) return;
    legend.innerHTML = "";
    store.names.forEach(function (name, index) {
      const item = document.createElement("button");
      item.type = "button";
      item.textContent = labelOf(name);
      item.dataset.series = name;
      item.style.setProperty("--swatch", COLORS[index % COLORS.length]);
      item.setAttribute("aria-pressed", String(!settings.hidden.has(name)));
      item.title = "Show or hide " + name;
      if (settings.hidden.has(name)) item.classList.add("hidden");
      item.addEventListener("click", function () {
        if (settings.hidden.has(name)) settings.hidden.delete(name); else settings.hidden.add(name);
        item.classList.toggle("hidden", settings.hidden.has(name));
        item.setAttribute("aria-pressed", String(!settings.hidden.has(name)));
        saveSettings();
        requestDraw();
      });
      legend.appendChild(item);
    });
    fillXYChoices();
  }

  function fillXYChoices() {
    ["xy-a", "xy-b"].forEach(function (id, k) {
      const select = el(id);
      const chosen = settings.xy[k] || store.names[k] || "";
      select.innerHTML = "";
      for (const name of store.names) {
        const option = document.createElement("option");
        option.value = option.textContent = name;
        select.appendChild(option);
      }
      if (store.names.includes(chosen)) select.value = chosen;
    });
  }

  function setPaused(paused, range) {
    if (paused === view.paused) return;
    view.paused = paused;
    if (paused) {
      view.pausedAt = liveEdge();
      // What had arrived by then: a sample stamped earlier but still on its way is not drawn.
      // A range asked for (the address, "go to") shows whatever arrives in it.
      view.heldAtPause = range ? Infinity : store.length ? store.lastTime() : -Infinity;
      view.t1 = range ? range[1] : view.pausedAt;
      view.t0 = range ? range[0] : view.t1 - view.span;
    } else {
      view.cursorT = null;
      view.span = view.t1 - view.t0 || view.span;
    }
    el("pause").textContent = paused ? "Resume" : "Pause";
    el("pause").setAttribute("aria-pressed", String(paused));
    el("reset").hidden = !paused;
    saveView();
    requestDraw();
  }

  function resetZoom() {
    if (!view.paused) return;
    view.t1 = view.pausedAt;
    view.t0 = view.t1 - spanOf(settings.window);
    saveView();
    requestDraw();
  }

  /// Zooms by `factor` around a time. Following the live edge, the edge stays and the span
  /// changes (the window setting becomes that span); paused, around the time (the cursor).
  function zoom(factor, aroundT) {
    const span = Math.min(MAX_SPAN, Math.max(MIN_SPAN, (view.t1 - view.t0) * factor));
    if (!view.paused) {
      view.span = span;
      settings.window = roundSeconds(span / 1000);
      showWindow();
      saveSettings();
      requestDraw();
      return;
    }
    const anchor = aroundT === undefined || aroundT === null ? (view.t0 + view.t1) / 2 : aroundT;
    const ratio = (anchor - view.t0) / (view.t1 - view.t0);
    view.t0 = anchor - span * ratio;
    view.t1 = view.t0 + span;
    saveView();
    requestDraw();
  }

  /// Moves the view by a fraction of its span; past the live edge it follows it again.
  function pan(fraction) {
    if (!view.paused) setPaused(true);
    const shift = (view.t1 - view.t0) * fraction;
    view.t0 += shift; view.t1 += shift;
    followIfAtEdge();
    saveView();
    requestDraw();
  }

  function followIfAtEdge() {
    if (view.paused && streaming() && view.t1 >= liveEdge()) setPaused(false);
  }

  /// Shows the view [t0, t1] (paused), e.g. from the address or "go to".
  function showRange(t0, t1) {
    if (!(t1 > t0)) return;
    if (view.paused) { view.t0 = t0; view.t1 = t1; saveView(); requestDraw(); } else setPaused(true, [t0, t1]);
  }

  /// Centres the view on time t (a number, or text as parseTime reads it), cursor there.
  function goTo(t) {
    const at = History.parseTime(t, liveEdge());
    if (!isFinite(at)) return false;
    const span = view.t1 - view.t0 || view.span;
    showRange(at - span / 2, at + span / 2);
    view.cursorT = at;
    requestDraw();
    return true;
  }

  /// A window preset: that span up to the live edge, following it.
  function chooseWindow(value) {
    const setting = windowSetting(value);
    if (setting === null) return;
    settings.window = setting;
    if (view.paused) setPaused(false);     // before the span: resuming keeps the paused view's span
    view.span = spanOf(setting);
    showWindow();
    saveSettings();
    requestDraw();
  }

  /// The window select shows the setting, or "custom" for a span no preset has.
  function showWindow() {
    const select = el("window");
    const value = String(settings.window);
    let custom = select.querySelector("option[data-custom]");
    if (Array.from(select.options).some((o) => o.value === value && !o.dataset.custom)) {
      if (custom) custom.remove();
    } else {
      if (!custom) {
        custom = document.createElement("option");
        custom.dataset.custom = "1";
        select.appendChild(custom);
      }
      custom.value = value;
      custom.textContent = spanText(settings.window * 1000);
    }
    select.value = value;
  }

  function spanText(ms) {
    const units = [[86400e3, "d"], [3600e3, "h"], [60e3, "min"], [1000, "s"], [1, "ms"]];
    for (const [size, name] of units) if (ms >= size) return Number((ms / size).toPrecision(3)) + " " + name;
    return ms + " ms";
  }

  let viewSaveTimer = null;
  /// The paused view's range into the address, at most every 300 ms (a drag moves it a lot).
  function saveView() {
    if (viewSaveTimer) return;
    viewSaveTimer = setTimeout(function () { viewSaveTimer = null; saveSettings(); }, 300);
  }

  /// The plot area's left or right edge in client pixels.
  function plotEdge(side) {
    const layout = plot.layout, rect = el("graph").getBoundingClientRect();
    return layout ? rect.left + layout[side] : side === "left" ? rect.left : rect.right;
  }

  /// Selects [t0, t1]: measurements and the views then take it instead of the visible range.
  function select(t0, t1) {
    view.selection = t1 > t0 ? [t0, t1] : null;
    measured.key = "";
    requestDraw();
  }

  /// Places cursor A (0) or B (1) at t, or takes it away (null).
  function placeCursor(k, t) {
    view.marked[k] = t;
    requestDraw();
  }

  function clearMarks() {
    view.selection = null;
    view.marked = [null, null];
    measured.key = "";
    requestDraw();
  }

  /// Cursors A and B: their times, Δt, 1/Δt, and Δ (B − A) per shown series.
  function cursorReadout() {
    const [a, b] = view.marked;
    if (a === null || b === null) return null;
    const series = visibleSeries();
    const at = (t) => series.map((s) => { const hit = lookup(s, t); return hit ? hit.v : NaN; });
    const d = cursorDelta(a, b, at(a), at(b));
    const delta = Object.fromEntries(series.map((s, k) => [s.name, Number.isFinite(d.delta[k]) ? d.delta[k] : null]));
    return { a: a, b: b, dt: d.dt, hz: Number.isFinite(d.hz) ? d.hz : null, delta: delta };
  }

  function timeAtX(clientX) {
    const layout = plot.layout;
    if (!layout) return null;
    const rect = el("graph").getBoundingClientRect();
    const x = clientX - rect.left;
    if (x < layout.left || x > layout.right) return null;
    return layout.t0 + (x - layout.left) / (layout.right - layout.left) * (layout.t1 - layout.t0);
  }

  /// On a touch screen the hint also says what fingers do (from the start when the device
  /// says it has one, else from the first touch on the plot).
  function showTouchHint() { el("hint-touch").hidden = false; }

  function bindControls() {
    if (navigator.maxTouchPoints > 0 || (window.matchMedia && window.matchMedia("(any-pointer: coarse)").matches)) showTouchHint();
    const windowSelect = el("window"), scaleSelect = el("scale"), modeSelect = el("mode");
    showInControls(settings, el);
    showWindow();
    el("fixed-box").hidden = settings.scale !== "fixed";
    el("xy-box").hidden = settings.mode !== "xy";
    el("zero").textContent = settings.zero;

    el("pause").addEventListener("click", () => setPaused(!view.paused));
    el("reset").addEventListener("click", resetZoom);
    windowSelect.addEventListener("change", function () { chooseWindow(windowSelect.value); });
    el("goto-form").addEventListener("submit", function (event) {
      event.preventDefault();
      const ok = goTo(el("goto").value);
      el("goto").setAttribute("aria-invalid", String(!ok));
      el("goto").title = ok ? "" : "Not a time: try 2025-11-21 14:30, -2h or now";
    });
    scaleSelect.addEventListener("change", function () {
      settings.scale = scaleSelect.value;
      el("fixed-box").hidden = settings.scale !== "fixed";
      if (settings.scale === "fixed" && !(settings.min < settings.max)) {
        // Start from what is on screen.
        const range = currentRange();
        settings.min = range[0]; settings.max = range[1];
        el("ymin").value = settings.min; el("ymax").value = settings.max;
      }
      saveSettings(); requestDraw();
    });
    ["ymin", "ymax"].forEach(function (id) {
      el(id).addEventListener("input", function () {
        settings.min = Number(el("ymin").value); settings.max = Number(el("ymax").value);
        saveSettings(); requestDraw();
      });
    });
    modeSelect.addEventListener("change", function () {
      settings.mode = modeSelect.value;
      el("xy-box").hidden = settings.mode !== "xy";
      if (settings.mode === "xy") settings.xy = [el("xy-a").value, el("xy-b").value];
      saveSettings(); requestDraw();
    });
    ["xy-a", "xy-b"].forEach(function (id) {
      el(id).addEventListener("change", function () {
        settings.xy = [el("xy-a").value, el("xy-b").value];
        saveSettings(); requestDraw();
      });
    });
    el("view").addEventListener("change", function () { showView(el("view").value); });
    el("source-choice").addEventListener("change", function () { showSource(el("source-choice").value); });
    el("stack").addEventListener("change", function () { setStacked(el("stack").checked); });
    el("export-csv").addEventListener("click", exportCSV);
    el("export-png").addEventListener("click", exportPNG);

    const canvas = el("graph");
    // Mouse, pen and touch alike through pointer events: one pointer drags (pans), two pinch
    // (zoom around the point between them). The canvas keeps the browser's own gestures
    // (touch-action: none, style.css), so only the plot reacts there; the rest of the page
    // pans and zooms as usual. A touch pauses only once it moves, so a pinch begun live
    // zooms live, as the wheel does.
    const touches = new Map();   // pointerId -> {x, y} of the fingers (and pens) on the plot
    let pinch = null;
    canvas.addEventListener("pointerdown", function (event) {
      if (settings.mode === "xy") return;
      const touch = event.pointerType === "touch" || event.pointerType === "pen";
      if (!touch && event.button !== 0) return;
      if (touch) {
        showTouchHint();
        touches.set(event.pointerId, { x: event.clientX, y: event.clientY });
        if (canvas.setPointerCapture) { try { canvas.setPointerCapture(event.pointerId); } catch (e) { /* synthetic */ } }
        if (touches.size >= 2) { view.drag = null; pinch = startPinch(); return; }
      } else if (event.shiftKey) {
        // Shift+drag selects a span; shift+click places cursor B.
        const t = timeAtX(event.clientX);
        if (t === null) return;
        if (!view.paused) setPaused(true);
        view.selecting = { id: event.pointerId, x: event.clientX, t: t };
        return;
      } else if (!view.paused) setPaused(true);
      view.drag = { id: event.pointerId, x: event.clientX, t0: view.t0, t1: view.t1, touch: touch, moved: !touch, startX: event.clientX };
    });
    canvas.addEventListener("pointermove", function (event) {
      if (touches.has(event.pointerId)) touches.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (pinch && touches.size >= 2) { movePinch(); requestDraw(); return; }
      const selecting = view.selecting;
      if (selecting && selecting.id === event.pointerId && Math.abs(event.clientX - selecting.x) >= 4) {
        const t = timeAtX(Math.min(Math.max(event.clientX, plotEdge("left")), plotEdge("right")));
        if (t !== null) select(Math.min(selecting.t, t), Math.max(selecting.t, t));
      }
      const drag = view.drag;
      if (drag && drag.id === event.pointerId) {
        if (!drag.moved && Math.abs(event.clientX - drag.x) >= 4) {
          // The plot follows the finger from where it touched down, from the view at the pause.
          drag.moved = true;
          if (!view.paused) setPaused(true);
          drag.t0 = view.t0; drag.t1 = view.t1;
        }
        if (drag.moved) {
          const layout = plot.layout;
          const msPerPx = (view.t1 - view.t0) / (layout.right - layout.left);
          const shift = (drag.x - event.clientX) * msPerPx;
          view.t0 = drag.t0 + shift; view.t1 = drag.t1 + shift;
          saveView();
        }
      }
      view.cursorT = timeAtX(event.clientX);
      requestDraw();
    });
    canvas.addEventListener("pointerleave", function (event) {
      if (touches.size) return;    // a finger that slides off the plot still drags it
      if (!view.paused) view.cursorT = null;
      view.drag = null;
      requestDraw();
    });
    function pointerEnd(event) {
      touches.delete(event.pointerId);
      const selecting = view.selecting;
      if (selecting && selecting.id === event.pointerId) {
        view.selecting = null;
        if (Math.abs(event.clientX - selecting.x) < 4) placeCursor(1, selecting.t);
        return;
      }
      // A click (no drag) with the mouse places cursor A.
      const drag = view.drag;
      if (drag && drag.id === event.pointerId && !drag.touch && Math.abs(event.clientX - drag.startX) < 4) {
        const t = timeAtX(event.clientX);
        if (t !== null) placeCursor(0, t);
      }
      if (pinch) {
        if (touches.size < 2) { pinch = null; followIfAtEdge(); saveView(); }
        return;
      }
      if (!view.drag || (view.drag.id !== event.pointerId && event.pointerType !== "mouse")) return;
      view.drag = null;
      followIfAtEdge();
      saveView();
    }
    window.addEventListener("pointerup", pointerEnd);
    window.addEventListener("pointercancel", pointerEnd);

    function twoFingers() {
      const [a, b] = Array.from(touches.values());
      return { distance: Math.max(1, Math.hypot(a.x - b.x, a.y - b.y)), x: (a.x + b.x) / 2 };
    }
    /// The time under the point between the fingers, and the span, as the pinch began.
    function startPinch() {
      const f = twoFingers(), layout = plot.layout;
      const ratio = layout ? Math.min(1, Math.max(0, (f.x - el("graph").getBoundingClientRect().left - layout.left) / (layout.right - layout.left))) : 0.5;
      return { distance: f.distance, span: view.t1 - view.t0, anchor: view.t0 + ratio * (view.t1 - view.t0) };
    }
    /// Spreading the fingers zooms in by the ratio of their distances; paused, the time that was
    /// under them stays under them (moving both pans too); live, the edge stays, as the wheel does.
    function movePinch() {
      const f = twoFingers(), layout = plot.layout;
      const span = Math.min(MAX_SPAN, Math.max(MIN_SPAN, pinch.span * pinch.distance / f.distance));
      if (!view.paused) { zoom(span / (view.t1 - view.t0)); return; }
      const ratio = layout ? Math.min(1, Math.max(0, (f.x - el("graph").getBoundingClientRect().left - layout.left) / (layout.right - layout.left))) : 0.5;
      view.t0 = pinch.anchor - span * ratio;
      view.t1 = view.t0 + span;
      saveView();
    }

    canvas.addEventListener("wheel", function (event) {
      if (settings.mode === "xy") return;
      event.preventDefault();
      zoom(event.deltaY > 0 ? 1.25 : 0.8, timeAtX(event.clientX) || undefined);
    }, { passive: false });
    canvas.addEventListener("dblclick", resetZoom);

    // After a choice from a select, focus stays on it, and Space would open it again: the
    // person expects Space to pause, as it did before. So until that select is clicked or
    // another key is used on it, Space pauses; a select reached by Tab opens with Space as usual.
    let chosen = null;
    document.addEventListener("change", function (event) { if (event.target.tagName === "SELECT") chosen = event.target; });
    document.addEventListener("pointerdown", function () { chosen = null; }, true);
    document.addEventListener("focusin", function (event) { if (event.target !== chosen) chosen = null; });

    document.addEventListener("keydown", function (event) {
      const tag = (event.target && event.target.tagName) || "";
      const space = event.key === " " || event.code === "Space";
      if (tag === "SELECT" && event.target === chosen && space && !event.altKey && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        setPaused(!view.paused);
        return;
      }
      if (tag === "SELECT" && !space) chosen = null;
      if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
      if (space) {
        if (tag === "BUTTON") return;       // space on a focused button presses it
        event.preventDefault();
        setPaused(!view.paused);
        return;
      }
      if (event.key === "Escape" && (view.selection || view.marked[0] !== null || view.marked[1] !== null)) {
        clearMarks();
        event.preventDefault();
        return;
      }
      const span = view.t1 - view.t0;
      // Live, + and - zoom (the live edge stays) and shift+arrows pan back; arrows and 0 act paused.
      if (!view.paused && !["+", "=", "-", "_"].includes(event.key) && !(event.shiftKey && event.key === "ArrowLeft")) return;
      switch (event.key) {
        case "ArrowLeft": case "ArrowRight": {
          const dir = event.key === "ArrowLeft" ? -1 : 1;
          if (event.shiftKey) pan(dir * 0.1);
          else { view.cursorT = Math.min(view.t1, Math.max(view.t0, (view.cursorT === null ? (view.t0 + view.t1) / 2 : view.cursorT) + dir * span / 100)); requestDraw(); }
          event.preventDefault();
          break;
        }
        case "+": case "=": zoom(0.8, view.cursorT === null ? undefined : view.cursorT); event.preventDefault(); break;
        case "-": case "_": zoom(1.25, view.cursorT === null ? undefined : view.cursorT); event.preventDefault(); break;
        case "0": case "Home": resetZoom(); event.preventDefault(); break;
      }
    });
    window.addEventListener("resize", requestDraw);
  }

  function currentRange() {
    const layout = plot.layout;
    if (layout && layout.panels && layout.panels[0] && layout.panels[0].series.length) {
      const r = layout.panels[0].ranges.get(layout.panels[0].series[0].index);
      return [Number(r[0].toPrecision(4)), Number(r[1].toPrecision(4))];
    }
    return [0, 1023];
  }

  // ---- Export ----

  /// CSV of what the plot shows: the visible range, of what the page holds, written a slice
  /// at a time (pageCSV); when the view shows stored samples the page does not hold, the
  /// bridge's own export of the visible range, streamed as a download. Returns the export
  /// (for the page's, a promise of it, once written).
  function exportCSV() {
    const t1 = Math.min(view.t1, liveEdge());
    // Stored samples shown that the page does not hold: the bridge's export has them. (The
    // page's first sample is also the store's; the store keeps times to the ms, rounded down,
    // so a stored time within 1 ms before where the page's samples begin is that sample.)
    const beyond = !loader.off && drawnLayers.some((layer) => layer.result.count > 0
      && layer.intervals.some((i) => layer.result.lowerBound(i[0]) < layer.result.count && layer.result.t0[layer.result.lowerBound(i[0])] < i[1] - 1));
    if (beyond) {
      const query = new URLSearchParams();
      query.set("from", String(Math.floor(view.t0)));
      query.set("to", String(Math.ceil(t1)));
      query.set("format", "csv");
      const url = apiURL("api/export", query);
      const name = "sensorbridge-" + stamp() + ".csv";
      download(name, url);
      lastExport = { kind: "csv", name: name, url: url, from: Math.floor(view.t0), to: Math.ceil(t1), source: "bridge" };
      return lastExport;
    }
    // Paused, the plot shows what had arrived by the pause; so does the file.
    return pageCSV(view.t0, view.paused ? Math.min(t1, view.heldAtPause) : t1);
  }

  const CSV_SLICE_MS = 12;          // writing time between yields: the page keeps drawing and answering
  const CSV_TEXT_KEPT = 8e6;        // lastExport.text only for files up to this size (tests, scripts)
  let csvBusy = null;

  /// Rows of [from, to] into Blob parts a few thousand at a time, yielding to the event loop
  /// between slices, with the CSV button showing progress; then one download.
  function pageCSV(from, to) {
    if (csvBusy) return csvBusy.promise;
    const writer = store.csvWriter(from, to);
    const parts = [writer.header], button = el("export-csv");
    let text = [writer.header], size = writer.header.length, pending = "";
    const label = button.textContent;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    csvBusy = { writer: writer };
    csvBusy.promise = new Promise(function (resolve) {
      function slice() {
        const until = performance.now() + CSV_SLICE_MS;
        do {
          const chunk = writer.next(500);
          pending += chunk;
          size += chunk.length;
          if (text && size <= CSV_TEXT_KEPT) text.push(chunk); else text = null;
        } while (!writer.done && performance.now() < until);
        // A Blob per slice keeps the file out of the script's heap.
        parts.push(new Blob([pending]));
        pending = "";
        if (!writer.done) {
          button.textContent = "CSV " + Math.min(99, Math.floor(100 * writer.rows / Math.max(1, writer.total))) + "%";
          setTimeout(slice, 0);
          return;
        }
        const name = "sensorbridge-" + stamp() + ".csv";
        const url = URL.createObjectURL(new Blob(parts, { type: "text/csv" }));
        download(name, url);
        setTimeout(() => URL.revokeObjectURL(url), 60000);
        lastExport = { kind: "csv", name: name, text: text ? text.join("") : null, bytes: size, rows: writer.rows,
                       from: from, to: to, source: "page" };
        button.textContent = label;
        button.disabled = false;
        button.removeAttribute("aria-busy");
        csvBusy = null;
        resolve(lastExport);
      }
      setTimeout(slice, 0);
    });
    return csvBusy.promise;
  }

  function exportPNG() {
    draw();
    const dataURL = el("graph").toDataURL("image/png");
    const name = "sensorbridge-" + stamp() + ".png";
    download(name, dataURL);
    lastExport = { kind: "png", name: name, dataURL: dataURL, width: el("graph").width, height: el("graph").height };
    return lastExport;
  }

  // ---- Drawing ----
  let drawRequested = true;
  function requestDraw() { drawRequested = true; }

  // ---- Views under the time plot (spectrum, trigger) ----
  // Each is a module in views/ that fills its own section and reads the page only through
  // this host, so it can be tested with a host of its own.
  const VIEW_MAKERS = { spectrum: createSpectrumView, trigger: createTriggerView };
  const views = {};

  /// The span the views analyse: the visible range, up to what had arrived at a pause.
  function analysisRange() {
    const limit = view.paused ? view.heldAtPause : Infinity;
    const span = view.selection || [view.t0, view.t1];
    return { t0: span[0], t1: Math.min(span[1], limit, store.length ? store.lastTime() : span[1]), paused: view.paused, selection: !!view.selection };
  }

  /// The held samples with times in [t0, t1], of the named series (those the page holds):
  /// `{times, values: Map(name → Float64Array)}`, NaN where a line had no value.
  function heldSamples(t0, t1, names) {
    const first = store.lowerBound(t0);
    let end = store.lowerBound(t1);
    while (end < store.length && store.timeAt(end) <= t1) end++;
    const count = Math.max(0, end - first), times = new Float64Array(count), values = new Map();
    for (let k = 0; k < count; k++) times[k] = store.time[store.physical(first + k)];
    for (const name of names) {
      const s = store.index.get(name);
      if (s === undefined) continue;
      const column = store.values[s], out = new Float64Array(count);
      for (let k = 0; k < count; k++) out[k] = column[store.physical(first + k)];
      values.set(name, out);
    }
    return { times: times, values: values };
  }

  function viewHost(name) {
    return {
      container: el("view-" + name),
      /// A setting of the view's own from the address, or null.
      param: (key) => new URLSearchParams(location.search).get(key),
      /// Keeps a setting of the view's own in the address ("" or null removes it).
      save: (key, value) => editQuery((out) => { if (value === null || value === undefined || value === "") out.delete(key); else out.set(key, String(value)); }),
      /// The series shown on the plot: `[{name, color, unit}]`.
      series: () => visibleSeries().map((s) => ({ name: s.name, color: s.color, unit: unitOf(s.name) })),
      range: analysisRange,
      samples: heldSamples,
      theme: () => themeColors,
      get live() { return !view.paused && streaming(); },
      requestDraw: requestDraw,
    };
  }

  /// The unit a series is shown in ("" when none is set).
  function unitOf(name) { return transform.unitOf(name); }

  function showView(name) {
    settings.view = VIEW_MAKERS[name] ? name : "time";
    for (const key of Object.keys(VIEW_MAKERS)) {
      const shown = key === settings.view;
      el("view-" + key).hidden = !shown;
      try {
        if (shown && !views[key]) views[key] = VIEW_MAKERS[key](viewHost(key));
        if (views[key]) { if (shown) views[key].show(); else views[key].hide(); }
      } catch (error) {
        counters.viewErrors++;
        console.error("the " + key + " view failed:", error);
      }
    }
    el("view").value = settings.view;
    saveSettings();
    requestDraw();
  }

  /// After each draw: the shown view brings itself up to date (each decides how often). A
  /// view that fails says so in the console and never stops the plot.
  function updateView() {
    const shown = views[settings.view];
    try {
      if (shown) shown.update();
    } catch (error) {
      counters.viewErrors++;
      console.error("the " + settings.view + " view failed:", error);
    }
  }

  function theme() {
    const css = getComputedStyle(document.documentElement);
    const get = (name) => css.getPropertyValue(name).trim();
    return { panel: get("--panel"), text: get("--text"), muted: get("--muted"), grid: get("--grid"), axis: get("--axis"),
             marker: get("--marker"), gap: get("--gap"), overlayBg: get("--overlay-bg"), overlayText: get("--overlay-text") };
  }
  let themeColors = theme();
  if (window.matchMedia) {
    const query = window.matchMedia("(prefers-color-scheme: dark)");
    const update = () => { themeColors = theme(); requestDraw(); };
    if (query.addEventListener) query.addEventListener("change", update);
  }

  function draw() {
    const started = performance.now();
    if (!view.paused) {
      if (settings.window === "all") view.span = spanOf("all");
      view.t1 = liveEdge();
      view.t0 = view.t1 - view.span;
    }
    const width = plotWidth();
    const layers = settings.mode === "xy" ? [] : historyForView(view.t0, view.t1, width);
    const state = pageState();
    const series = visibleSeries();
    // XY may use any series, shown in the legend or not.
    const all = store.names.map((name, index) => ({ name: name, index: index, color: COLORS[index % COLORS.length], label: labelOf(name) }));
    const byName = (name) => all.find((s) => s.name === name);
    let overlay = null;
    if (state.name !== "live" && state.name !== "archive") overlay = state.text + (state.detail ? ": " + state.detail : "");
    if (view.paused) overlay = overlay ? "paused · " + overlay : null;
    if (!store.length && state.name === "live") overlay = "waiting for samples…";
    if (!store.length && !layers.length && loader.loading()) overlay = "loading history…";
    plot.render({
      history: layers, heldFrom: layers.length && store.length ? store.firstTime() : undefined,
      gaps: settings.mode === "xy" ? [] : History.sessionGaps(stored.sessions, view.t0, view.t1),
      marks: historyMarks(layers, view.t0, view.t1), lookup: lookup,
      // Paused, the plot shows what had arrived by then, however it is zoomed or panned.
      store: store, t0: view.t0, t1: view.t1, limit: view.paused ? view.heldAtPause : Infinity,
      series: series, mode: settings.mode, scale: settings.scale,
      fixedMin: settings.min, fixedMax: settings.max, cursorT: view.cursorT, theme: themeColors, overlay: overlay,
      selection: view.selection, cursors: [{ name: "A", t: view.marked[0] }, { name: "B", t: view.marked[1] }],
      xy: [byName(settings.xy[0] || store.names[0]), byName(settings.xy[1] || store.names[1])],
      minLeft: sourcePanels.margins.left, minRight: sourcePanels.margins.right,
    });
    // The other sources on the same window; their margins settle on the next frame.
    // Paused, each panel shows what it had by the pause (its own newest sample then): the main
    // source's newest may be long before, should its board be unplugged.
    const panelView = { t0: view.t0, t1: view.t1, paused: view.paused, pausedAt: view.pausedAt, pausedShowsAll: view.heldAtPause === Infinity,
                        cursorT: view.cursorT, selection: view.selection, theme: themeColors };
    try {
      if (sourcePanels.draw(panelView, plot.layout)) requestDraw();
    } catch (error) {
      counters.viewErrors++;
      console.error("the source panels failed:", error);
    }
    historyShown = { layers: plot.layout.history || [], at: performance.now() };
    drawnLayers = layers;
    updateText(state, series);
    const took = performance.now() - started;
    frames.times[frames.count % frames.times.length] = took;
    frames.count++;
    frames.lastDraw = Date.now();
    frames.lastDrawEnd = performance.now();
    updateView();
    // After the frame, not in it: a 10-minute window is millions of values to measure.
    if (!measured.pending) {
      measured.pending = true;
      setTimeout(function () { measured.pending = false; updateMeasurements(visibleSeries()); }, 0);
    }
  }

  function updateText(state, series) {
    const info = el("history-state");
    const error = loader.error || stored.sessionsError;
    const text = loader.off ? (error || "no history") : loader.loading() ? "loading history…" : error ? "history: " + error : "";
    if (info.textContent !== text) info.textContent = text;
    info.className = "history-state" + (loader.off ? " off" : loader.loading() ? " loading" : error ? " error" : "");
    info.hidden = !text;
    const pill = el("state");
    pill.className = "state " + state.name;
    pill.dataset.state = state.name;
    pill.textContent = state.text;
    pill.title = state.detail || "";
    el("source").textContent = conn.source.name + (conn.source.detail ? " — " + conn.source.detail : "");
    const rate = currentRate();
    el("rate").textContent = rate >= 10 ? rate.toFixed(0) : rate.toFixed(1);
    el("count").textContent = store.length.toLocaleString("en-US");
    el("count").dataset.count = store.length;
    el("skipped-box").hidden = counters.missed === 0;
    el("skipped").textContent = counters.missed;
    // Cursor readout: every visible series at the cursor, else the latest values.
    const fromHistory = view.cursorT === null && !store.length && drawnLayers.length > 0;
    const at = view.cursorT !== null ? view.cursorT : store.length ? store.lastTime() : fromHistory ? Math.min(view.t1, liveEdge()) : null;
    const readout = el("cursor-readout");
    readout.innerHTML = "";
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = view.cursorT !== null ? "at " + clockText(at) : "latest";
    readout.appendChild(label);
    const values = Object.create(null);
    for (const s of series) {
      const hit = at === null ? null : view.cursorT !== null || fromHistory ? lookup(s, at) : store.valueAt(s.index, at, 1e12);
      const span = document.createElement("span");
      span.className = "value";
      span.style.color = COLORS[s.index % COLORS.length];
      span.dataset.series = s.name;
      const unit = transform.unitOf(s.name);
      span.textContent = " " + s.name + " " + (hit ? formatReadout(hit.v) + (unit ? " " + unit : "") : "–");
      if (hit) values[s.name] = hit.v;
      readout.appendChild(span);
    }
    readoutValues = values;
    updateTilt(at);
    updateMarks();
  }
  let readoutValues = {};

  /// The line under the readout for the selection and the cursors: what they are, Δt, 1/Δt, Δ.
  function updateMarks() {
    const box = el("marks"), parts = [];
    const [a, b] = view.marked;
    if (view.selection) parts.push("selection " + clockText(view.selection[0]) + "–" + clockText(view.selection[1])
                                   + " (" + spanText(view.selection[1] - view.selection[0]) + ")");
    if (a !== null) parts.push("A " + clockText(a));
    if (b !== null) parts.push("B " + clockText(b));
    const r = cursorReadout();
    if (r) {
      parts.push("Δt " + spanText(Math.abs(r.dt)) + (r.dt < 0 ? " (B before A)" : ""));
      if (r.hz !== null) parts.push("1/Δt " + formatMeasure(Number(r.hz.toPrecision(5))) + " Hz");
      for (const name of Object.keys(r.delta)) {
        const unit = transform.unitOf(name);
        if (r.delta[name] !== null) parts.push("Δ" + name + " " + formatReadout(r.delta[name]) + (unit ? " " + unit : ""));
      }
    }
    const text = parts.join(" · ");
    box.hidden = !text;
    if (el("marks-text").textContent !== text) el("marks-text").textContent = text;
  }

  // Measurements of each shown series over the visible range, exact from the samples the
  // page holds (never from the drawn columns). A 10-minute window is 600 000 samples a series:
  // one series a task, so the page keeps answering, and while live no more often than ten
  // times what they cost (at least every 0.5 s); at once when the view changed while paused.
  const measured = { at: 0, key: "", values: {}, job: null, interval: 500, scratch: new Float64Array(0), times: new Float64Array(0), pending: false };
  function updateMeasurements(series) {
    if (measured.job) return;
    const limit = view.paused ? view.heldAtPause : Infinity;
    const span = view.selection || [view.t0, view.t1];
    const key = [span[0], span[1], limit, series.map((s) => s.name).join(","), store.length && store.lastTime()].join("|");
    const now = performance.now();
    if (key === measured.key || (!view.paused && now - measured.at < measured.interval)) return;
    measured.key = key;
    measured.at = now;
    // Paused, what had arrived by the pause (a time), as the plot shows.
    measured.job = { series: series, next: 0, out: Object.create(null), t0: span[0], t1: span[1], last: Math.min(span[1], limit), count: 0, cost: 0,
                     selection: !!view.selection };
    measureNext();
  }

  function measureNext() {
    const job = measured.job, started = performance.now();
    if (!job) return;                 // cancelled: the series moved (a derived series went)
    try {
      measureOne(job, started);
    } catch (error) {
      measured.job = null;            // never leave a job that would stop every later one
      throw error;
    }
  }

  function measureOne(job, started) {
    if (job.next < job.series.length) {
      // By name: a series' index may have moved since the job began (one retired).
      const s = job.series[job.next++], index = store.index.get(s.name);
      if (index === undefined) { setTimeout(measureNext, 0); return; }
      // The range is fixed in time; found anew each task, as the store may have moved on.
      const first = store.lowerBound(job.t0);
      let end = store.lowerBound(job.last);
      while (end < store.length && store.timeAt(end) === job.last) end++;
      const count = Math.max(0, end - first);
      if (measured.scratch.length < count) {
        measured.scratch = new Float64Array(count);
        measured.times = new Float64Array(count);
      }
      const values = measured.scratch.subarray(0, count), times = measured.times.subarray(0, count), column = store.values[index];
      for (let k = 0; k < count; k++) {
        const p = store.physical(first + k);
        values[k] = column[p];
        times[k] = store.time[p];
      }
      job.out[s.name] = measure(values, times);
      job.count = count;
      job.cost += performance.now() - started;
      if (job.next < job.series.length) { setTimeout(measureNext, 0); return; }
    }
    measured.job = null;
    measured.values = job.out;
    measured.interval = Math.max(500, 10 * job.cost);
    showMeasurements(job);
  }

  function showMeasurements(job) {
    const partly = job.count > 0 && store.firstTime() > job.t0 && drawnLayers.length > 0;
    // Nothing to measure: the table would be a row of dashes a series. Say why instead.
    const none = job.count === 0;
    el("measurements").hidden = !job.series.length;
    el("measurements").querySelector("thead").hidden = none;
    el("measurements-caption").textContent = none
      ? (drawnLayers.length ? "Measurements: the page holds none of the " + (job.selection ? "selection's" : "visible range's") + " samples (what is drawn comes from the store's summaries)"
                            : "Measurements: no samples in the " + (job.selection ? "selection" : "visible range"))
      : "Measurements of the " + (job.selection ? "selection" : "visible range") + ", " + clockText(job.t0) + "–" + clockText(job.t1)
        + (partly ? " (of the samples the page holds: " + job.count.toLocaleString("en-US") + ")" : "");
    const body = el("measurements-body");
    body.innerHTML = "";
    if (none) return;
    for (const s of job.series) {
      const m = job.out[s.name], row = document.createElement("tr");
      if (!m) continue;               // gone while it was measured
      row.dataset.series = s.name;
      const name = document.createElement("th");
      name.scope = "row";
      name.textContent = labelOf(s.name);
      name.style.color = COLORS[s.index % COLORS.length];
      row.appendChild(name);
      // Rounding left in a mean of ±0.01 g reads as 3.6e-16: what is that small beside the values is 0.
      const size = Math.max(Math.abs(m.min), Math.abs(m.max));
      const cells = [m.min, m.max, m.mean, m.rms, m.std, m.pp].map((v) => (Number.isFinite(v) ? formatMeasure(Math.abs(v) < size * 1e-12 ? 0 : v) : "–"));
      cells.push(m.count.toLocaleString("en-US"), Number.isFinite(m.rate) ? m.rate.toFixed(m.rate >= 100 ? 0 : 1) + " Hz" : "–");
      for (const text of cells) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.appendChild(cell);
      }
      body.appendChild(row);
    }
  }

  function formatMeasure(v) {
    return Math.abs(v) >= 1e5 || v === Math.round(v) ? String(v) : Number(v.toPrecision(5)).toString();
  }

  // The tilt readout knows no calibration yet: it shows angles only for values that are
  // plausibly the ADXL335's ADC counts or plainly g (Tilt.tilt), and stays hidden otherwise.
  // The unit, once recognised, is kept for these series, so shaking the board shows "–"
  // instead of making the readout come and go.
  const tiltState = { key: "", unit: null, reading: null };
  function updateTilt(at) {
    const names = ["x", "y", "z"].map((letter) => axisSeries(store.names, letter));
    const key = names.every((name) => name !== undefined) ? names.join("\n") : "";
    if (key !== tiltState.key) { tiltState.key = key; tiltState.unit = null; }
    let reading = null;
    if (key && store.length && at !== null) {
      const value = (name) => { const hit = store.valueAt(store.index.get(name), at, 1e12); return hit ? hit.v : NaN; };
      reading = window.Tilt.tilt(value(names[0]), value(names[1]), value(names[2]), settings.zero);
      if (reading && tiltState.unit === null) tiltState.unit = reading.unit;
      if (reading && reading.unit !== tiltState.unit) reading = null;
    }
    tiltState.reading = reading;
    const shown = tiltState.unit !== null;
    el("tilt").hidden = !shown;
    el("tilt-hint").hidden = !shown;
    el("tilt-hint-counts").hidden = tiltState.unit !== "counts";
    el("tilt-hint-g").hidden = tiltState.unit !== "g";
    el("pitch").textContent = reading ? reading.pitch.toFixed(1) : "–";
    el("roll").textContent = reading ? reading.roll.toFixed(1) : "–";
  }

  function clockText(t) {
    const d = new Date(t), p = (n, w) => String(n).padStart(w || 2, "0");
    return p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds()) + "." + p(d.getMilliseconds(), 3);
  }

  function formatReadout(v) {
    return Math.abs(v) >= 1e5 || v === Math.round(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, "");
  }

  function plotWidth() {
    const layout = plot.layout;
    if (layout && layout.right > layout.left) return layout.right - layout.left;
    return Math.max(200, (el("graph").clientWidth || 1000) - 72);
  }

  /// The value of series s at time t: from what the page holds, or the history bucket there.
  function lookup(s, t) {
    return History.valueAt(store, drawnLayers, s, t, Math.max(1000, (view.t1 - view.t0) / 50));
  }

  function frame() {
    const now = Date.now();
    // Live, the time axis moves with the clock: redraw at most once per pixel of scroll
    // (and at least every 250 ms for the readouts); otherwise only on change.
    const width = el("graph").clientWidth || 1000;
    const msPerPixel = view.span / width;
    // An archive's edge does not move: it is drawn on change only (and the 500 ms timer).
    const moving = !view.paused && conn.kind !== "archive";
    const due = moving && now - frames.lastDraw >= Math.min(250, Math.max(16, msPerPixel));
    // The next frame first: a draw that throws must not end the loop.
    requestAnimationFrame(frame);
    if (drawRequested || due) { drawRequested = false; draw(); }
  }

  // ---- For tests and scripts ----
  window.sensorbridge = {
    get connection() { return client.open ? "open" : client.state === "unreachable" ? "closed" : "connecting"; },
    get state() { return pageState().name; },
    get stateText() { return el("state").textContent; },
    get source() { return Object.assign({}, conn.source); },
    /// The bridge's sources as `api/sources` last listed them; the one shown when it has several ("" otherwise).
    get sources() { return bridgeSources.list.map((s) => Object.assign({}, s)); },
    get chosenSource() { return chosenSource(); },
    /// The other sources' panels (views/source-panels.js), in the bridge's order; [] when not stacked.
    get panels() { return sourcePanels.describe(); },
    /// As the "others below" box.
    setStacked: setStacked,
    /// As the Source select: shows another of the bridge's sources (false for a name it does not have).
    chooseSource: function (name) {
      if (!offersChoice(bridgeSources.list) || !isListed(bridgeSources.list, name)) return false;
      if (name !== chosenSource()) showSource(name);
      return true;
    },
    get series() { return store.names.slice(); },
    get visibleSeries() { return visibleSeries().map((s) => s.name); },
    get samples() { return store.length; },
    get received() { return counters.received; },
    get firstTime() { return store.length ? store.firstTime() : null; },
    get lastTime() { return store.length ? store.lastTime() : null; },
    get paused() { return view.paused; },
    get view() { return { t0: view.t0, t1: view.t1, cursorT: view.cursorT, span: view.paused ? view.t1 - view.t0 : view.span, following: !view.paused }; },
    get history() { return historyState(); },
    get sessions() { return stored.sessions.map((s) => Object.assign({}, s)); },
    get liveEdge() { return liveEdge(); },
    /// The buckets of the newest history answer, as the bridge sent them (null as null).
    historyData: function () {
      const r = loader.last;
      if (!r) return null;
      const list = (a) => Array.from(a, (v) => (v === v ? v : null));
      return { from: r.from, to: r.to, channels: r.channels.slice(), t0: Array.from(r.t0), t1: Array.from(r.t1), n: Array.from(r.n),
               min: r.min.map(list), max: r.max.map(list), mean: r.mean.map(list), exact: r.exact, events: r.events.slice() };
    },
    goTo: goTo,
    showRange: showRange,
    setWindow: chooseWindow,
    zoom: function (factor, aroundT) { zoom(factor, aroundT); },
    get settings() { return { window: settings.window, scale: settings.scale, min: settings.min, max: settings.max, mode: settings.mode, hidden: Array.from(settings.hidden), xy: settings.xy.slice() }; },
    get rate() { return currentRate(); },
    get stream() { return client.sequence.stream; },
    get lastSeq() { return client.sequence.lastSeq; },
    get counters() { return Object.assign({}, counters, { reconnects: client.reconnects }); },
    get readout() { return Object.fromEntries(Object.entries(readoutValues)); },
    /// Series → `{min, max, mean, rms, std, pp, count, rate}` over what the measurements panel shows.
    get measurements() { return JSON.parse(JSON.stringify(measured.values)); },
    /// While the spectrum is shown: series → `{rate, jitter, peaks: [{hz, amplitude}, ...]}`.
    get spectrum() { return settings.view === "spectrum" && views.spectrum ? views.spectrum.state() : null; },
    /// While the trigger view is shown: its state (web/README.md).
    get trigger() { return settings.view === "trigger" && views.trigger ? views.trigger.state() : null; },
    showView: showView,
    /// The span measurements and views use instead of the visible range: [t0, t1] or null.
    get selection() { return view.selection ? view.selection.slice() : null; },
    select: function (t0, t1) { if (t0 === null || t0 === undefined) select(0, 0); else select(t0, t1); },
    /// Cursors A and B: `{a, b, dt, hz, delta: {series: B − A}}` once both are placed, else null.
    get cursors() { return cursorReadout(); },
    setCursors: function (a, b) { placeCursor(0, a === undefined ? null : a); placeCursor(1, b === undefined ? null : b); },
    /// The tilt readout: `{unit: "counts" or "g", pitch, roll}` in degrees, null when hidden or "–".
    get tilt() { const r = tiltState.reading; return r ? { unit: r.unit, pitch: r.pitch, roll: r.roll } : null; },
    get lastExport() { return lastExport; },
    /// A CSV being written by the page: `{rows, total}` so far, or null.
    get exporting() { return csvBusy ? { rows: csvBusy.writer.rows, total: csvBusy.writer.total } : null; },
    get lastLayout() { return plot.layout; },
    /// Series name → the times of the held samples where its line breaks.
    breaks: function () {
      const out = {};
      store.names.forEach(function (name, s) { out[name] = store.breakTimes(s); });
      return out;
    },
    get frameTimes() { const n = Math.min(frames.count, frames.times.length); return Array.from(frames.times.slice(0, n)); },
    get frameCount() { return frames.count; },
    get lastDrawEnd() { return frames.lastDrawEnd || 0; },
    /// Every held sample as [t, v...] in series order (null where a series has no value).
    rows: function () {
      const out = [];
      for (let i = 0; i < store.length; i++) {
        const p = store.physical(i);
        out.push([store.time[p]].concat(store.values.map((v) => (v[p] === v[p] ? v[p] : null))));
      }
      return out;
    },
    /// Drops the connection as a network would; the page reconnects and resumes.
    reconnect: function () { client.drop(); },
    pause: () => setPaused(true),
    resume: () => setPaused(false),
    exportCSV: exportCSV,
    exportPNG: exportPNG,
    draw: draw,
    /// For benchmarks: replaces what the page holds with `seconds` of synthetic samples of
    /// the stream's own series (or `channels` made-up ones) ending now; live samples follow.
    fillSynthetic: function (seconds, rate, channels) {
      store.reset();
      const names = conn.channelNames.length ? conn.channelNames : Array.from({ length: channels }, (_, k) => "bench" + (k + 1));
      channels = names.length;
      const columns = names.map((name) => store.seriesIndex(name));
      conn.columns = [undefined].concat(columns);
      document.getElementById("legend").innerHTML = "";
      const end = bridgeNow() - 1, count = Math.floor(seconds * rate), row = new Array(channels);
      for (let i = 0; i < count; i++) {
        const t = end - (count - i) * 1000 / rate;
        for (let k = 0; k < channels; k++) row[k] = 512 + 300 * Math.sin(t / (300 + 90 * k)) + (i * 7919 % 97) - 48;
        store.push(t, row, columns);
      }
      rebuildLegend();
      requestDraw();
      return store.length;
    },
  };

  const serial = window.SerialPanel({
    token: settings.token,
    source: chosenSource,
    open: params.get("serial") === "1",
    send: function (line, ending) {
      return client.send({ type: "send", line: line, ending: ending });
    },
  });
  window.sensorbridge.serial = serial;

  bindControls();
  bindSeriesPanel();
  showView(settings.view);
  // A shared view of the past: ?from=T&to=T (times as "go to" reads them).
  const urlFrom = History.parseTime(params.get("from"), Date.now()), urlTo = History.parseTime(params.get("to"), Date.now());
  if (urlFrom < urlTo) setPaused(true, [urlFrom, urlTo]);
  saveSettings();
  loadSessions();
  setInterval(loadSessions, 30000);
  startStream();
  setInterval(loadSources, SOURCES_REFRESH_MS);
  requestAnimationFrame(frame);
  // Hidden or throttled tabs may not run animation frames; keep the state current anyway.
  setInterval(function () { if (Date.now() - frames.lastDraw > 500) draw(); }, 500);
  // Series the bridge forgot go once their last values have scrolled out.
  setInterval(function () { if (store.retire(conn.channelNames.concat(historySeries(), transform.derivedNames))) mapColumns(conn.channelNames); }, 5000);
})();
