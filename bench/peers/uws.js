'use strict';
// Broadcast peer on uWebSockets.js: every message received on /broadcast is published to
// every connection on /broadcast (the sender included) through uWS's own pub/sub.
const uWS = require('uwebsockets');
const { parsePort, exitOnSignal } = require('./common');

const port = parsePort(process.argv);
const kTopic = 'b';
const app = uWS.App();
let listenSocket = null;

app.ws('/broadcast', {
  compression: uWS.DISABLED,
  maxPayloadLength: 64 * 1024,
  maxBackpressure: 1024 * 1024,
  idleTimeout: 0,
  open: (ws) => ws.subscribe(kTopic),
  message: (ws, message, isBinary) => app.publish(kTopic, message, isBinary),
});
app.get('/health', (res) => res.end('{"status":"ok"}'));

app.listen('127.0.0.1', port, (socket) => {
  if (!socket) {
    console.error(`uws peer: cannot listen on 127.0.0.1:${port}`);
    process.exit(1);
  }
  listenSocket = socket;
  console.error(`uws peer listening on 127.0.0.1:${port}`);
});

exitOnSignal(() => {
  if (listenSocket) uWS.us_listen_socket_close(listenSocket);
});
