// The bridge's sources (`GET api/sources`, docs/protocol.md) and which of them the page
// shows. A bridge of one source gets no choice, and the page is as it always was. With
// several, the toolbar offers a Source select, and the page's `source` setting (the address's
// `?source=NAME`, page/settings.js) names the one shown: the stream (`graph?source=NAME`), the
// history and the serial monitor then ask for that one. A name the bridge does not have keeps
// the setting's older meaning (a source inside the store, whose history to read) and the
// bridge's first source is streamed. Pure apart from fillSourceSelect, so node tests drive it.

/// How often the list is asked again (ms): states change (an unplugged board, a release).
export const SOURCES_REFRESH_MS = 10000;

const text = (value) => (typeof value === "string" ? value : "");

/// The bridge's answer as the page uses it, in the bridge's order (the first is its default):
/// `[{name, kind, location, state, detail, rate, canRelease}]`. Entries without a name, or
/// with a name seen already, are left out; an answer that is not a list of sources gives [].
export function readSources(body) {
  const list = body && Array.isArray(body.sources) ? body.sources : [];
  const seen = new Set(), out = [];
  for (const entry of list) {
    if (!entry || typeof entry !== "object" || !text(entry.name) || seen.has(entry.name)) continue;
    seen.add(entry.name);
    out.push({
      name: entry.name, kind: text(entry.kind), location: text(entry.location), state: text(entry.state),
      detail: text(entry.detail), rate: Number.isFinite(entry.rate) ? entry.rate : null, canRelease: entry.canRelease === true,
    });
  }
  return out;
}

/// Whether the page offers a choice of source: only a bridge of several has one.
export function offersChoice(sources) {
  return sources.length > 1;
}

/// Whether `name` is one of the bridge's sources.
export function isListed(sources, name) {
  return !!name && sources.some((source) => source.name === name);
}

/// The name of the source to show: the one the address asks for when the bridge has it, else
/// the bridge's first (its default); "" for an empty list.
export function currentSource(sources, wanted) {
  if (isListed(sources, wanted)) return wanted;
  return sources.length ? sources[0].name : "";
}

/// What the select says of a source: its name, and its state when it is not connected
/// ("esp32 — disconnected"), so a silent source is told apart before it is chosen.
export function sourceLabel(source) {
  return source.state && source.state !== "connected" ? source.name + " — " + source.state : source.name;
}

/// The select's options for the list: `[{value, label, title}]`.
export function sourceOptions(sources) {
  return sources.map((source) => ({
    value: source.name,
    label: sourceLabel(source),
    title: [source.location, source.detail].filter(Boolean).join(": "),
  }));
}

/// Fills a select with the sources, `current` chosen. Options are rewritten only where they
/// changed, so the refresh every few seconds leaves a select the person has open alone.
export function fillSourceSelect(select, sources, current) {
  const wanted = sourceOptions(sources);
  const same = select.options.length === wanted.length
    && wanted.every((o, k) => select.options[k].value === o.value);
  if (!same) {
    while (select.options.length) select.remove(0);
    for (const o of wanted) {
      const option = select.ownerDocument.createElement("option");
      option.value = o.value;
      select.appendChild(option);
    }
  }
  wanted.forEach(function (o, k) {
    const option = select.options[k];
    if (option.textContent !== o.label) option.textContent = o.label;
    if (option.title !== o.title) option.title = o.title;
  });
  if (select.value !== current) select.value = current;
}
