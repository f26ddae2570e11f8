// The bridge's other sources as stacked panels under the main plot, on its time axis (issue
// 22): with "stack" on, every source but the one shown gets a panel of its own, fed by its own
// stream (`graph?source=NAME`) into its own SeriesStore, with its own history from the store
// (`api/history?source=NAME`), and drawn each frame over the main plot's window [t0, t1], its
// pause and its cursor. Wheel, drag and hover on a panel act on that one window, so the
// panels never drift apart. Values are the boards' own (units and derived series are the main
// plot's, by series name, and another board's series are other quantities). The plot's
// margins are shared (alignedMargins), so a time is at the same x in every panel.
// It reads the page only through the host graph.js gives it.
import { StreamClient, stateBreakText } from "../page/stream-client.js";

/// The sources that get a panel: every one the bridge lists but the one the main plot shows,
/// in the bridge's order.
export function panelNames(sources, shown) {
  return sources.map((source) => source.name).filter((name) => name !== shown);
}

/// The margins every plot on the one time axis uses: the widest any of them needs for its
/// labels (`ownLeft`, `ownRight` of each time layout), so a time is at one x in all of them.
export function alignedMargins(layouts) {
  let left = 0, right = 0;
  for (const layout of layouts) {
    if (!layout || layout.kind !== "time") continue;
    left = Math.max(left, layout.ownLeft || 0);
    right = Math.max(right, layout.ownRight || 0);
  }
  return { left: left, right: right };
}

const SAID = new Map([["disconnected", "board disconnected"], ["released", "released for upload"], ["finished", "replay finished"], ["stopped", "source stopped"]]);

/// What a panel says of its source, as the main plot's pill does: `{name, text}`. `client`:
/// its stream's state; `source`: the state the bridge sent; `quietSeconds`: since its newest
/// sample (Infinity when none); `silentAfter`: when quiet means silent (SeriesStore.silentAfter);
/// `bridgeStopped`: the bridge closed the stream as it stopped (1001), not a network's drop.
export function panelState(client, source, quietSeconds, silentAfter = 3, bridgeStopped = false) {
  if (bridgeStopped && client !== "open") return { name: "stopped", text: "bridge stopped, retrying…" };
  if (client === "unreachable") return { name: "unreachable", text: "unreachable, retrying" };
  if (client === "connecting") return { name: "connecting", text: "connecting…" };
  if (SAID.has(source.state)) return { name: source.state, text: SAID.get(source.state) };
  if (source.state === "starting") return { name: "stale", text: "waiting for the source" };
  if (quietSeconds > silentAfter) return { name: "stale", text: quietSeconds === Infinity ? "no data yet" : "no data for " + Math.round(quietSeconds) + " s" };
  return { name: "live", text: "live" };
}

/// How long a narrower margin must be all that every plot needs before the plots take it
/// (ms). Wider ones are taken at once. A plot's labels can depend on its width (a sample at
/// the window's edge in or out of its last column), so without the wait two margins could
/// take turns every frame.
export const SHRINK_AFTER_MS = 2000;

/// The shared margins after a frame whose plots needed `needed` ({left, right}), given those
/// in use and since when a narrower need was first seen (`narrowerSince`, null when none):
/// `{margins, narrowerSince, redraw}`; redraw when the plots must be drawn again to line up.
export function settleMargins(current, needed, narrowerSince, now) {
  const wider = needed.left > current.left || needed.right > current.right;
  if (wider) return { margins: { left: Math.max(current.left, needed.left), right: Math.max(current.right, needed.right) }, narrowerSince: null, redraw: true };
  if (needed.left === current.left && needed.right === current.right) return { margins: current, narrowerSince: null, redraw: false };
  if (narrowerSince === null) return { margins: current, narrowerSince: now, redraw: false };
  if (now - narrowerSince < SHRINK_AFTER_MS) return { margins: current, narrowerSince: narrowerSince, redraw: false };
  return { margins: needed, narrowerSince: null, redraw: true };
}

const text = (value, fallback) => (typeof value === "string" ? value : fallback);

function element(doc, tag, className, text) {
  const out = doc.createElement(tag);
  if (className) out.className = className;
  if (text) out.textContent = text;
  return out;
}

/// One source's panel: its stream, its samples, its history, its canvas.
class SourcePanel {
  constructor(source, host) {
    const doc = host.container.ownerDocument;
    this.name = source.name;
    this.host = host;
    this.box = element(doc, "section", "source-panel");
    this.box.dataset.source = source.name;
    this.box.setAttribute("aria-label", "Source " + source.name);
    const head = element(doc, "div", "panel-head");
    this.title = element(doc, "strong", "panel-name", source.name);
    this.title.title = source.location;
    this.pill = element(doc, "span", "state connecting", "connecting…");
    this.rate = element(doc, "span", "panel-rate", "");
    this.legend = element(doc, "span", "panel-legend", "");
    head.append(this.title, " ", this.pill, " ", this.rate, " ", this.legend);
    this.canvas = element(doc, "canvas", "panel-plot");
    this.canvas.setAttribute("aria-label", "Plot of source " + source.name + " on the main plot's time axis");
    this.box.append(head, this.canvas);
    this.store = new host.SeriesStore({ keepMs: host.historySeconds * 1000 });
    this.plot = new host.Plot(this.canvas);
    this.columns = [];
    this.source = { state: "starting", detail: "" };
    this.legendKey = "";
    this.counters = { received: 0, duplicates: 0 };
    const History = host.History;
    this.loader = new History.HistoryLoader({
      fetch: host.fetch,
      url: (plan) => host.apiURL("api/history", { from: plan.from, to: plan.to, points: plan.points, source: this.name }),
      onChange: () => host.requestDraw(),
    });
    this.layers = [];
    this.lossMarked = false;           // one mark per outage, as the main plot
    this.bridgeStopped = false;
    this.bornAt = host.now();
    this.pause = null;                 // {at, limit}: what it shows while the page is paused
    this.client = new StreamClient({
      base: host.streamBase,
      query: () => host.streamQuery(this.name),
      WebSocket: host.WebSocket,
      setTimeout: host.setTimeout,
      onMessage: (message) => { this.handle(message); if (message.type !== "samples") host.requestDraw(); },
      // No break: a reconnect to the same stream resumes without losing a sample (a restart or
      // a gap breaks the line when the stream says so). One mark per outage.
      onClose: (event) => {
        if (event.code === 1001) this.bridgeStopped = true;
        if (this.store.length && this.source.state === "connected" && !this.lossMarked) {
          this.store.mark(host.now(), this.bridgeStopped ? "stopped" : "lost", this.bridgeStopped ? "bridge stopped" : "connection lost");
          this.lossMarked = true;
        }
        host.requestDraw();
      },
    });
    this.bindPointer();
    this.client.connect();
  }

  handle(message) {
    switch (message.type) {
      case "hello": {
        const stream = this.client.sequence.hello(message.stream);
        if (stream.changed && stream.restarted) this.store.breakAll(this.host.now(), "restart", "bridge restarted");
        this.source = { state: text(message.state, "connected"), detail: text(message.detail, "") };
        this.lossMarked = false;
        this.bridgeStopped = false;
        this.mapColumns(message.channels);
        break;
      }
      case "channels":
        this.mapColumns(message.channels);
        break;
      case "samples":
        this.ingest(message.seq, message.samples || []);
        break;
      case "gap":
        if (this.store.length) this.store.breakAll(this.store.lastTime(), "gap", "gap: " + message.missed + " skipped");
        this.client.sequence.skipTo(message.seq);
        break;
      case "lost":
        if (this.store.length) this.store.breakAll(this.store.lastTime(), "lines-lost", (Number(message.lines) || 0) + " lines lost on the wire");
        break;
      case "status": {
        const was = this.source.state;
        this.source = { state: text(message.state, "connected"), detail: text(message.detail, "") };
        if (this.source.state !== "connected" && was === "connected") {
          this.store.breakAll(this.host.now(), this.source.state, stateBreakText(this.source.state));
        }
        break;
      }
    }
  }

  mapColumns(names) {
    names = Array.isArray(names) ? names.filter((name) => typeof name === "string") : [];
    this.columns = [undefined].concat(names.map((name) => this.store.seriesIndex(name)));
  }

  /// As the main plot's: sequence numbers say what is new and where lines break.
  ingest(first, samples) {
    for (let k = 0; k < samples.length; k++) {
      const missing = this.client.sequence.take(first + k);
      if (missing < 0) { this.counters.duplicates++; continue; }
      if (missing > 0 && this.store.length) this.store.breakAll(this.store.lastTime(), "gap", "gap: " + missing + " skipped");
      const row = samples[k];
      if (!Array.isArray(row) || typeof row[0] !== "number") continue;
      if (this.store.length && row[0] < this.store.lastTime()) continue;
      this.store.push(row[0], row, this.columns);
      this.counters.received++;
    }
  }

  /// Series of the history drawn that the stream has not named (yet): added, so they are drawn.
  addHistorySeries() {
    const last = this.loader.last;
    for (const name of (last && last.present) || []) if (typeof name === "string") this.store.seriesIndex(name);
  }

  series() {
    const colors = this.host.colors;
    return this.store.names.map((name, index) => ({ name: name, index: index, color: colors[index % colors.length], label: name }));
  }

  /// What it shows of what it holds: everything while live; paused, what it had by the pause
  /// (a panel opened since, or a pause on a range asked for, whatever arrives in it).
  limitFor(view) {
    if (!view.paused) { this.pause = null; return Infinity; }
    if (!this.pause || this.pause.at !== view.pausedAt) {
      const all = view.pausedShowsAll || this.bornAt > view.pausedAt;
      this.pause = { at: view.pausedAt, limit: all ? Infinity : this.store.length ? this.store.lastTime() : -Infinity };
    }
    return this.pause.limit;
  }

  /// Draws the window `view` ({t0, t1, paused, pausedAt, pausedShowsAll, cursorT, selection,
  /// minLeft, minRight, theme}).
  draw(view) {
    const store = this.store, History = this.host.History;
    const width = this.plot.layout && this.plot.layout.right > this.plot.layout.left ? this.plot.layout.right - this.plot.layout.left : 600;
    const heldFrom = store.length ? store.firstTime() : undefined;
    let layers = [];
    if (!this.loader.off) {
      // Asked once the stream had its chance to bring the recent past.
      if (this.client.state === "open" || this.client.reconnects > 0) {
        this.loader.want(History.planFetch({ t0: view.t0, t1: view.t1, width: width, heldFrom: heldFrom, have: this.loader.have(), latest: this.host.now() }));
      }
      layers = this.loader.layers(view.t0, view.t1, heldFrom === undefined ? [] : [[heldFrom, Infinity]]);
    }
    this.addHistorySeries();
    this.layers = layers;
    const state = this.state();
    const series = this.series();
    let overlay = state.name === "live" ? null : state.text + (this.source.detail ? ": " + this.source.detail : "");
    if (!store.length && !layers.length && state.name === "live") overlay = "waiting for samples…";
    const lookup = (s, t) => History.valueAt(store, layers, s, t, Math.max(1000, (view.t1 - view.t0) / 50));
    this.plot.render({
      history: layers, heldFrom: layers.length && heldFrom !== undefined ? heldFrom : undefined, gaps: [], marks: [], lookup: lookup,
      store: store, t0: view.t0, t1: view.t1, limit: this.limitFor(view), series: series, mode: "shared", scale: "auto",
      cursorT: view.cursorT, selection: view.selection, theme: view.theme, overlay: overlay,
      minLeft: view.minLeft, minRight: view.minRight,
    });
    this.showHead(state, series);
  }

  state() {
    const quiet = this.store.length ? (this.host.now() - this.store.lastTime()) / 1000 : Infinity;
    return panelState(this.client.state, this.source, quiet, this.store.silentAfter(), this.bridgeStopped);
  }

  showHead(state, series) {
    if (this.pill.textContent !== state.text) this.pill.textContent = state.text;
    this.pill.className = "state " + state.name;
    this.pill.dataset.state = state.name;
    this.pill.title = this.source.detail || "";
    const rate = this.store.rate(this.host.now(), 2000);
    const text = (rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)) + " Hz";
    if (this.rate.textContent !== text) this.rate.textContent = text;
    const key = series.map((s) => s.name).join("\n");
    if (key !== this.legendKey) {
      this.legendKey = key;
      this.legend.textContent = "";
      for (const s of series) {
        const entry = element(this.legend.ownerDocument, "span", "panel-series", "● " + s.name);
        entry.style.color = s.color;
        this.legend.append(entry, " ");
      }
    }
  }

  /// The time under a pointer at clientX, from this panel's layout (the main plot's axis).
  timeAt(clientX) {
    const layout = this.plot.layout;
    if (!layout || layout.kind !== "time") return null;
    const x = clientX - this.canvas.getBoundingClientRect().left;
    if (x < layout.left || x > layout.right) return null;
    return layout.t0 + (x - layout.left) / (layout.right - layout.left) * (layout.t1 - layout.t0);
  }

  /// Wheel zooms, a drag pans and a hover moves the cursor, all on the main plot's window.
  bindPointer() {
    const canvas = this.canvas, host = this.host;
    let drag = null;
    canvas.addEventListener("wheel", (event) => {
      event.preventDefault();
      host.zoom(event.deltaY > 0 ? 1.25 : 0.8, this.timeAt(event.clientX));
    }, { passive: false });
    canvas.addEventListener("pointerdown", (event) => {
      if (event.pointerType === "mouse" && event.button !== 0) return;
      if (canvas.setPointerCapture) { try { canvas.setPointerCapture(event.pointerId); } catch (e) { /* synthetic */ } }
      drag = { id: event.pointerId, x: event.clientX, window: null };
    });
    canvas.addEventListener("pointermove", (event) => {
      // A mouse whose button is up no longer drags (its release was missed elsewhere).
      if (drag && event.pointerType === "mouse" && !(event.buttons & 1)) end(event);
      if (drag && drag.id === event.pointerId && Math.abs(event.clientX - drag.x) >= 4) {
        if (!drag.window) drag.window = host.dragStart();
        const layout = this.plot.layout;
        if (layout && layout.right > layout.left) {
          const shift = (drag.x - event.clientX) * (drag.window.t1 - drag.window.t0) / (layout.right - layout.left);
          host.dragTo(drag.window.t0 + shift, drag.window.t1 + shift);
        }
      }
      host.hover(this.timeAt(event.clientX));
    });
    const end = (event) => {
      if (!drag || drag.id !== event.pointerId) return;
      if (drag.window) host.dragEnd();
      drag = null;
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("lostpointercapture", end);
    canvas.addEventListener("pointerleave", () => { if (!drag) host.hover(null); });
    canvas.addEventListener("dblclick", () => host.resetZoom());
  }

  /// The newest sample's values by series name ({} before the first).
  latest() {
    const out = {};
    if (!this.store.length) return out;
    const p = this.store.physical(this.store.length - 1);
    this.store.names.forEach((name, s) => { const v = this.store.values[s][p]; if (v === v) out[name] = v; });
    return out;
  }

  /// For tests and scripts.
  describe() {
    const layout = this.plot.layout;
    return {
      name: this.name, state: this.state().name, stateText: this.pill.textContent, samples: this.store.length,
      received: this.counters.received, duplicates: this.counters.duplicates, series: this.store.names.slice(),
      stream: this.client.sequence.stream, firstTime: this.store.length ? this.store.firstTime() : null,
      lastTime: this.store.length ? this.store.lastTime() : null, latest: this.latest(), marks: this.store.events.map((e) => e.kind),
      shownUpTo: this.pause ? this.pause.limit : null,
      layout: layout ? { left: layout.left, right: layout.right, t0: layout.t0, t1: layout.t1 } : null,
      history: { requests: this.loader.requests, url: this.loader.lastURL, error: this.loader.error, layers: this.layers.length },
    };
  }

  /// Closes its stream for good: the panel is gone.
  close() {
    this.loader.forget();
    this.client.generation++;          // a retry already waiting opens nothing
    const socket = this.client.socket;
    this.client.socket = null;
    if (socket) socket.close();
    this.box.remove();
  }
}

/// The panels of the sources the main plot does not show. `host` (graph.js): container,
/// Plot, SeriesStore, History, StreamClient's base, query and WebSocket, fetch, apiURL, now,
/// colors, historySeconds, requestDraw, and the window's zoom, drag, hover and resetZoom.
export function createSourcePanels(host) {
  const panels = new Map();      // name → SourcePanel, in the bridge's order
  let margins = { left: 0, right: 0 }, narrowerSince = null;

  /// The panels for `names` (panelNames): new ones opened, gone ones closed, order kept.
  function show(sources, names) {
    const wanted = new Set(names);
    for (const [name, panel] of panels) if (!wanted.has(name)) { panel.close(); panels.delete(name); }
    const kept = new Map(panels);
    panels.clear();
    for (const name of names) {
      panels.set(name, kept.get(name) || new SourcePanel(sources.find((s) => s.name === name) || { name: name, location: "" }, host));
    }
    // In the bridge's order on the page too; boxes move only when it changed (moving one ends
    // a drag on it).
    const boxes = Array.from(panels.values(), (panel) => panel.box);
    if (boxes.some((box, k) => host.container.children[k] !== box)) for (const box of boxes) host.container.appendChild(box);
    host.container.hidden = panels.size === 0;
  }

  return {
    show: show,
    get count() { return panels.size; },
    /// The margins to draw every plot with this frame (the main plot's too).
    get margins() { return panels.size ? margins : { left: 0, right: 0 }; },
    /// Draws each panel over the main plot's window, then settles the shared margins from what
    /// every plot needed (settleMargins): true when the plots must be drawn again to line up.
    draw(view, mainLayout) {
      if (!panels.size) return false;
      for (const panel of panels.values()) panel.draw(Object.assign({}, view, { minLeft: margins.left, minRight: margins.right }));
      const needed = alignedMargins([mainLayout].concat(Array.from(panels.values(), (p) => p.plot.layout)));
      const settled = settleMargins(margins, needed, narrowerSince, host.now());
      margins = settled.margins;
      narrowerSince = settled.narrowerSince;
      return settled.redraw;
    },
    describe() { return Array.from(panels.values(), (panel) => panel.describe()); },
    close() { show([], []); },
  };
}
