'use strict';
// Shared by the benchmark peers: flag parsing and a clean exit on SIGTERM/SIGINT.

function parsePort(argv) {
  const i = argv.indexOf('--port');
  const port = i >= 0 ? Number(argv[i + 1]) : 9001;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    console.error('usage: node <peer>.js --port PORT');
    process.exit(2);
  }
  return port;
}

// close() stops the server; the process exits even if close() leaves handles behind.
function exitOnSignal(close) {
  const stop = () => {
    try {
      close();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

module.exports = { parsePort, exitOnSignal };
