'use strict';
// Broadcast peer on Socket.IO: websocket transport only, default path /socket.io/; every
// 'message' event from any client is emitted to every client (the sender included).
const http = require('http');
const { Server } = require('socket.io');
const { parsePort, exitOnSignal } = require('./common');

const port = parsePort(process.argv);
const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
    return;
  }
  res.writeHead(404);
  res.end();
});
const io = new Server(server, {
  transports: ['websocket'],
  perMessageDeflate: false,
  httpCompression: false,
  serveClient: false,
  maxHttpBufferSize: 1e6,
});

io.on('connection', (socket) => {
  socket.on('message', (m) => io.emit('message', m));
});

server.listen(port, '127.0.0.1', () => console.error(`socket.io peer listening on 127.0.0.1:${port}`));
exitOnSignal(() => io.close());
