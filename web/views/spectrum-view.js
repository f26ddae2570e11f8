// The spectrum view (issue 21): being written; until then it says so. See graph.js's viewHost
// for what a view may use of the page.
export function createSpectrumView(host) {
  const note = document.createElement("p");
  note.className = "view-note";
  note.textContent = "The spectrum view is not built yet.";
  host.container.appendChild(note);
  return { show() {}, hide() {}, update() {}, state() { return null; } };
}
