'use strict';
// Broadcast peer on ws: every message received on /broadcast goes to every open client on
// /broadcast, the sender included, by looping over WebSocketServer.clients.
//
// By default the frame is built once (WebSocket.Sender.frame) and the same Buffer is written
// to each client's socket — the fastest broadcast ws allows, so the comparison is against ws
// at its best. `--send` uses client.send() per client instead (ws's README example), which
// re-frames the message for every client.
const http = require('http');
const { WebSocketServer, WebSocket } = require('ws');
const { parsePort, exitOnSignal } = require('./common');

const port = parsePort(process.argv);
const perClientSend = process.argv.includes('--send');

const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
    return;
  }
  res.writeHead(404);
  res.end();
});
const wss = new WebSocketServer({ server, path: '/broadcast', perMessageDeflate: false });

function broadcastPreframed(data, isBinary) {
  const frame = Buffer.concat(WebSocket.Sender.frame(data, {
    fin: true, mask: false, opcode: isBinary ? 2 : 1, readOnly: false, rsv1: false,
  }));
  for (const client of wss.clients) {
    // _socket is the client's net.Socket; nothing else writes to it while the connection is
    // open (no compression, no fragmentation), so frames cannot interleave.
    if (client.readyState === WebSocket.OPEN) client._socket.write(frame);
  }
}

function broadcastSend(data, isBinary) {
  for (const client of wss.clients) {
    if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
  }
}

const broadcast = perClientSend ? broadcastSend : broadcastPreframed;
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => broadcast(data, isBinary));
  ws.on('error', () => {});
});

server.listen(port, '127.0.0.1', () => console.error(`ws peer listening on 127.0.0.1:${port}`));
exitOnSignal(() => server.close());
