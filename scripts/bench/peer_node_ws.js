// node `ws` broadcast server for the side-by-side benchmark: reads lines from a pty and
// sends each as a JSON array [t, seq, stamp] to every client. Usage: node peer_node_ws.js PORT PTY
const fs = require("fs");
const WebSocket = require("/usr/share/nodejs/ws");
const [port, pty] = [Number(process.argv[2]), process.argv[3]];
const server = new WebSocket.Server({ port, host: "127.0.0.1" });
let rest = "";
fs.createReadStream(pty).on("data", (chunk) => {
  const lines = (rest + chunk.toString()).split("\n");
  rest = lines.pop();
  for (const line of lines) {
    const message = JSON.stringify([Date.now()].concat(line.trim().split(",").map(Number)));
    for (const client of server.clients) if (client.readyState === WebSocket.OPEN) client.send(message);
  }
});
console.log("listening on " + port);
