// The light theme the plot's node tests draw with (web/graph.js reads it from style.css).
"use strict";
module.exports.THEME = Object.freeze({
  panel: "#ffffff", text: "#1b2027", muted: "#5c6773", grid: "#e3e7eb", axis: "#c3cad2",
  marker: "#b5651d", gap: "#eceff2", overlayBg: "rgba(0,0,0,0.8)", overlayText: "#ffffff",
});
