// The Socket.IO interop scenarios (scenarios.js) against Switchboard (SWITCHBOARD_BIN started
// with --socketio), the same assertions as against the reference. Skipped until the Socket.IO
// endpoint lands: set SB_SOCKETIO_READY=1 to run it (then drop the gate and add the file to
// tests/e2e/CMakeLists.txt).
//   SB_SOCKETIO_READY=1 SWITCHBOARD_BIN=build/release/app/switchboard NODE_PATH=node_modules \
//     node --test tests/e2e/socketio/switchboard.test.js
'use strict';

const { defineSuite } = require('./scenarios');
const { targets } = require('./targets');

const ready = process.env.SB_SOCKETIO_READY === '1';
defineSuite(targets.switchboard, { skip: ready ? false : 'set SB_SOCKETIO_READY=1 once Switchboard serves Socket.IO' });
