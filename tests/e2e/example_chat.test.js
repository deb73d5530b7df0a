// The library example (examples/chat): a chat_message handler that validates and republishes
// to the room. The binary comes from EXAMPLE_CHAT_BIN; it takes the server's flags.
'use strict';

const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { Server, Client } = require('./support');

let server;

before(async () => {
  const binary = process.env.EXAMPLE_CHAT_BIN;
  assert.ok(binary, 'EXAMPLE_CHAT_BIN must name the example_chat binary');
  // support.js starts whatever SWITCHBOARD_BIN names, with the usual flags.
  const saved = process.env.SWITCHBOARD_BIN;
  process.env.SWITCHBOARD_BIN = binary;
  try {
    server = await Server.start({ workers: 2 });
  } finally {
    if (saved === undefined) delete process.env.SWITCHBOARD_BIN; else process.env.SWITCHBOARD_BIN = saved;
  }
});

afterEach(() => Client.closeAll());

after(() => server && server.stop());

test('a chat_message reaches every member of the room, with the sender named', async () => {
  const alice = await Client.authed(server, 'alice');
  const bob = await Client.authed(server, 'bob');
  const eve = await Client.authed(server, 'eve');
  await alice.subscribe(['room:lobby']);
  await bob.subscribe(['room:lobby']);
  await eve.subscribe(['room:other']);

  alice.send({ type: 'chat_message', payload: { room: 'lobby', text: 'hello "bob" \u00e9' } });
  const got = await bob.next('chat.message');
  assert.equal(got.channel, 'room:lobby');
  assert.deepEqual(got.payload, { room: 'lobby', text: 'hello "bob" \u00e9', user_id: 'alice' });
  const echo = await alice.next('chat.message');
  assert.deepEqual(echo.payload, got.payload, 'the sender is a room member too');
  await eve.expectNone('chat.message', 300);
  await alice.expectNone('error', 0);
});

test('an invalid chat_message gets the handler error and the connection stays', async () => {
  const alice = await Client.authed(server, 'alice');
  const bob = await Client.authed(server, 'bob');
  await bob.subscribe(['room:lobby']);
  const cases = [
    { room: 'lobby' },                       // no text
    { room: 'lobby', text: '' },             // empty text
    { room: 'lobby', text: 'x'.repeat(2001) },
    { text: 'no room' },
    { room: 'a:b', text: 'bad room name' },
    { room: 7, text: 'room not a string' },
  ];
  for (const payload of cases) {
    const err = await alice.request({ type: 'chat_message', payload }, 'chat.message');
    assert.equal(err.type, 'error', JSON.stringify(payload));
    assert.equal(err.payload.code, 'invalid_message', JSON.stringify(err));
  }
  const noPayload = await alice.request({ type: 'chat_message' }, 'chat.message');
  assert.equal(noPayload.payload.code, 'invalid_message');
  await bob.expectNone('chat.message', 300);
  const pong = await alice.request({ type: 'ping' }, 'pong');
  assert.equal(pong.type, 'pong');
});

test('other custom types are not handled by the example', async () => {
  const alice = await Client.authed(server, 'alice');
  const err = await alice.request({ type: 'chat_messages', payload: {} }, 'chat.message');
  assert.equal(err.payload.code, 'unknown_type');
});

test('a connection without a token is refused after auth', async () => {
  const c = await Client.connect(server);
  c.send({ type: 'auth', payload: { token: 'garbage' } });
  const reply = await c.next('auth.error');
  assert.equal(reply.type, 'auth.error');
  const closed = await c.waitClose();
  assert.equal(closed.code, 4001);
});
