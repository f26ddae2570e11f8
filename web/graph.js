// sensorbridge graph page: connects to /graph, keeps the last few seconds of samples and
// draws them on a canvas. Works with the default stream ([t, v1, v2, ...] per message).
(function () {
  "use strict";
  const params = new URLSearchParams(location.search);
  const windowSeconds = Number(params.get("seconds")) || 10;
  const zero = Number(params.get("zero")) || 338;   // ADXL335 zero-g: 1.65 V at 5 V / 1024
  const colors = ["#ff6b6b", "#4dd97f", "#5aa9ff", "#f7c948", "#c77dff", "#4ee0d6"];
  const canvas = document.getElementById("graph");
  const ctx = canvas.getContext("2d");
  const el = (id) => document.getElementById(id);
  el("zero").textContent = zero;

  let samples = [];          // [t, v1, v2, ...], t in ms since the epoch
  let received = 0;
  let socket = null;
  let retryDelay = 500;
  let dirty = true;

  function setState(name, text) {
    const state = el("state");
    state.className = "state " + name;
    state.dataset.state = name;
    state.textContent = text;
  }

  function connect() {
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/graph";
    setState("connecting", "connecting…");
    // The same offer the original page made; the bridge answers "chat".
    socket = new WebSocket(url, ["soap", "chat"]);
    socket.onopen = function () {
      retryDelay = 500;
      setState("open", "live (" + (socket.protocol || "no subprotocol") + ")");
    };
    socket.onmessage = function (event) {
      let values;
      try { values = JSON.parse(event.data); } catch (e) { return; }
      if (!Array.isArray(values) || values.length < 2) return;
      samples.push(values);
      received += 1;
      dirty = true;
    };
    socket.onclose = function () {
      setState("closed", "disconnected, retrying…");
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 5000);
    };
  }

  function tilt(a, z) {
    return Math.atan2(a - zero, z - zero) * 180 / Math.PI;
  }

  function updateReadout() {
    const now = samples.length ? samples[samples.length - 1][0] : 0;
    while (samples.length && samples[0][0] < now - windowSeconds * 1000) samples.shift();
    const recent = samples.filter((s) => s[0] >= now - 2000);
    const rate = recent.length > 1 ? (recent.length - 1) * 1000 / (recent[recent.length - 1][0] - recent[0][0]) : 0;
    el("rate").textContent = rate ? rate.toFixed(1) : "–";
    el("count").textContent = received;
    el("count").dataset.count = received;
    const last = samples[samples.length - 1];
    if (last) {
      el("latest").textContent = last.slice(1).join(", ");
      if (last.length >= 4) {
        el("pitch").textContent = tilt(last[1], last[3]).toFixed(1);
        el("roll").textContent = tilt(last[2], last[3]).toFixed(1);
      }
    }
  }

  function draw() {
    const width = canvas.width, height = canvas.height, pad = 36;
    ctx.clearRect(0, 0, width, height);
    ctx.strokeStyle = "#26303a";
    ctx.fillStyle = "#8a949e";
    ctx.font = "12px system-ui, sans-serif";
    ctx.lineWidth = 1;
    if (!samples.length) {
      ctx.fillText("waiting for samples…", pad, height / 2);
      return;
    }
    const channels = samples[samples.length - 1].length - 1;
    let min = Infinity, max = -Infinity;
    for (const s of samples) for (let c = 1; c < s.length; c++) { min = Math.min(min, s[c]); max = Math.max(max, s[c]); }
    if (min === max) { min -= 1; max += 1; }
    const span = max - min; min -= span * 0.05; max += span * 0.05;
    const end = samples[samples.length - 1][0], start = end - windowSeconds * 1000;
    const x = (t) => pad + (t - start) / (end - start) * (width - 2 * pad);
    const y = (v) => height - pad - (v - min) / (max - min) * (height - 2 * pad);
    for (let i = 0; i <= 4; i++) {
      const v = min + (max - min) * i / 4, py = y(v);
      ctx.beginPath(); ctx.moveTo(pad, py); ctx.lineTo(width - pad, py); ctx.stroke();
      ctx.fillText(v.toFixed(0), 2, py + 4);
    }
    for (let s = 0; s <= windowSeconds; s += Math.max(1, Math.round(windowSeconds / 5))) {
      const px = x(end - s * 1000);
      ctx.fillText("-" + s + "s", px - 10, height - 12);
    }
    for (let c = 1; c <= channels; c++) {
      ctx.strokeStyle = colors[(c - 1) % colors.length];
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      let first = true;
      for (const s of samples) {
        if (s.length <= c) continue;
        if (first) { ctx.moveTo(x(s[0]), y(s[c])); first = false; } else { ctx.lineTo(x(s[0]), y(s[c])); }
      }
      ctx.stroke();
    }
    const legend = el("legend");
    if (legend.childElementCount !== channels) {
      legend.innerHTML = "";
      const names = channels === 3 ? ["x", "y", "z"] : Array.from({ length: channels }, (_, i) => "ch" + (i + 1));
      names.forEach((name, i) => {
        const item = document.createElement("span");
        item.textContent = name;
        item.style.setProperty("--swatch", colors[i % colors.length]);
        legend.appendChild(item);
      });
    }
  }

  function frame() {
    if (dirty) { updateReadout(); draw(); dirty = false; }
    requestAnimationFrame(frame);
  }

  connect();
  requestAnimationFrame(frame);
  // Headless browsers may not run animation frames; keep the readout current anyway.
  setInterval(function () { if (dirty) { updateReadout(); draw(); dirty = false; } }, 250);
})();
