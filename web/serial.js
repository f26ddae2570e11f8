// sensorbridge serial panel: the raw monitor (the last lines the board sent, as text, with
// skipped lines marked and the sketch's "#" messages set apart) and the send box. The
// monitor polls /api/lines only while the panel is open; sending goes over the graph's own
// WebSocket (a "send" message) and the bridge answers "sent" or "send-refused" with why.
(function () {
  "use strict";
  const MAX_SHOWN = 200;
  const ENDINGS = ["lf", "crlf", "cr", "none"];

  /// options.send(line, ending) → false when there is no open connection to send on;
  /// options.source() → the bridge's source to monitor ("" for its first: one source, or none chosen).
  function SerialPanel(options) {
    const el = (id) => document.getElementById(id);
    const panel = el("serial"), list = el("monitor"), form = el("send-form"), input = el("send-line");
    const endingSelect = el("send-ending"), answer = el("send-answer"), toggle = el("serial-toggle");
    const state = { after: 0, timer: null, lines: [], pending: [], lastAnswer: null, round: 0 };
    const stored = (function () { try { return localStorage.getItem("sensorbridge.ending"); } catch (e) { return null; } })();
    endingSelect.value = ENDINGS.includes(stored) ? stored : "lf";

    function linesURL() {
      let url = "api/lines?after=" + state.after;
      if (options.token) url += "&token=" + encodeURIComponent(options.token);
      const source = options.source ? options.source() : "";
      if (source) url += "&source=" + encodeURIComponent(source);
      return url;
    }

    function render(entry) {
      const row = document.createElement("div");
      row.className = "line " + entry.kind;
      const time = document.createElement("time");
      time.textContent = new Date(entry.t * 1000).toLocaleTimeString([], { hour12: false }) + "." + String(Math.floor(entry.t * 1000) % 1000).padStart(3, "0");
      const text = document.createElement("span");
      text.className = "text";
      text.textContent = (entry.kind === "sent" ? "→ " : "") + entry.text;
      row.append(time, text);
      if (entry.kind === "rejected") {
        const why = document.createElement("span");
        why.className = "why";
        why.textContent = "skipped: " + (entry.reason || "not a reading");
        row.title = "The bridge skipped this line (" + (entry.reason || "?") + ")";
        row.append(why);
      }
      return row;
    }

    function show(entries) {
      if (!entries.length) return;
      const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
      const fragment = document.createDocumentFragment();
      entries.forEach(function (entry) { state.lines.push(entry); fragment.append(render(entry)); });
      list.append(fragment);
      while (list.childElementCount > MAX_SHOWN) { list.firstElementChild.remove(); }
      if (state.lines.length > MAX_SHOWN) state.lines.splice(0, state.lines.length - MAX_SHOWN);
      if (atBottom) list.scrollTop = list.scrollHeight;
    }

    function poll() {
      // An answer for the source shown before a reset is dropped, and polls no further.
      const round = state.round;
      fetch(linesURL(), { cache: "no-store" })
        .then((response) => (response.ok ? response.json() : { lines: [] }))
        .then(function (body) {
          if (round !== state.round) return;
          const lines = body.lines || [];
          if (lines.length) state.after = lines[lines.length - 1].n;
          show(lines);
        })
        .catch(function () {})
        .finally(function () { if (round === state.round && !panel.hidden) state.timer = setTimeout(poll, 250); });
    }

    function setOpen(open) {
      panel.hidden = !open;
      toggle.setAttribute("aria-pressed", String(open));
      clearTimeout(state.timer);
      state.round++;                  // a poll on its way ends its loop; this one starts anew
      if (open) poll();
    }

    function say(text, kind) {
      answer.textContent = text;
      answer.className = "answer " + (kind || "");
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const line = input.value;
      if (!options.send(line, endingSelect.value)) { say("not connected to the bridge", "refused"); return; }
      state.pending.push(line);
      say("sending…", "");
    });
    endingSelect.addEventListener("change", function () {
      try { localStorage.setItem("sensorbridge.ending", endingSelect.value); } catch (e) {}
    });
    toggle.addEventListener("click", function () { setOpen(panel.hidden); });
    if (options.open) setOpen(true);

    return {
      /// The bridge's answer to a send ("sent" or "send-refused").
      answer: function (message) {
        state.pending.shift();
        state.lastAnswer = { type: message.type, line: message.line, reason: message.reason || null };
        if (message.type === "sent") {
          say("sent: " + message.line, "sent");
          if (input.value === message.line) input.select();
        } else {
          say("not sent: " + (message.reason || "refused"), "refused");
        }
      },
      get open() { return !panel.hidden; },
      setOpen: setOpen,
      /// Another source is shown: the monitor starts over with its lines.
      reset: function () {
        state.after = 0;
        state.lines = [];
        list.innerHTML = "";
        setOpen(!panel.hidden);
      },
      get lines() { return state.lines.map((l) => ({ kind: l.kind, text: l.text, reason: l.reason || null })); },
      get lastAnswer() { return state.lastAnswer; },
    };
  }

  window.SerialPanel = SerialPanel;
})();
