// The Socket.IO interop scenarios (scenarios.js) against Switchboard (SWITCHBOARD_BIN started
// with --socketio), the same assertions as against the reference (reference.test.js).
//   SWITCHBOARD_BIN=build/release/app/switchboard NODE_PATH=node_modules \
//     node --test tests/e2e/socketio/switchboard.test.js
'use strict';

const { defineSuite } = require('./scenarios');
const { targets } = require('./targets');

defineSuite(targets.switchboard, {});
