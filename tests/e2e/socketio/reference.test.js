// The Socket.IO interop scenarios (scenarios.js) against the reference, a real Socket.IO 4.8
// server (reference_server.js): they must pass here, so that they assert what socket.io-client
// really sees. No server binary needed:
//   NODE_PATH=node_modules node --test tests/e2e/socketio/reference.test.js
'use strict';

const { defineSuite } = require('./scenarios');
const { targets } = require('./targets');

defineSuite(targets.reference);
