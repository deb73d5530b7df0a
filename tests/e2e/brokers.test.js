// The private brokers the e2e tests publish through (rabbitmq_support.js, nats_support.js):
// a message published with the helpers reaches a consumer on npm's clients, and after a crash
// and a restart on the same port it does again. For RabbitMQ, what a restart keeps is what the
// node guarantees (rabbitmq_support.js says why): a durable queue and its persistent messages
// across an orderly shutdown; after a SIGKILL, the confirmed persistent messages of a queue
// that lived through a clean restart, and maybe acked ones again.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { withTimeout } = require('./support');
const { RabbitMqServer, amqpGreets } = require('./rabbitmq_support');
const { NatsServer, natsGreets } = require('./nats_support');

// A delivery on loopback takes milliseconds; 5 s is a generous bound for a loaded 2-core box.
const DELIVERY_MS = 5000;

// Consumes `queue` (acknowledging each message) on a connection of its own until a message with
// `last` as its body arrives; resolves with the bodies received, in order.
async function consumeUntil(rabbit, queue, last) {
  const connection = await rabbit.connect();
  try {
    const channel = await connection.createChannel();
    const bodies = [];
    await withTimeout(new Promise((resolve) => {
      channel.consume(queue, (msg) => {
        channel.ack(msg);
        bodies.push(msg.content.toString());
        if (bodies.at(-1) === last) resolve();
      });
    }), DELIVERY_MS, `"${last}" on ${queue}`);
    // channel.close is a handshake: the node has the acks sent before it when it answers.
    await channel.close();
    return bodies;
  } finally {
    await connection.close();
  }
}

test('RabbitMQ: a durable queue keeps its persistent messages across a clean restart, and its confirmed ones across a crash', async (t) => {
  const rabbit = await RabbitMqServer.start();
  t.after(() => rabbit.stop());
  assert.ok(await amqpGreets(rabbit.port));
  assert.ok(!(await natsGreets(rabbit.port, 300)), 'the probes tell the protocols apart');

  const setup = await rabbit.connect();
  const channel = await setup.createChannel();
  await channel.assertQueue('smoke', { durable: true });
  await setup.close();
  await rabbit.publish('smoke', 'before the clean restart', { persistent: true });

  const port = rabbit.port;
  await rabbit.shutdown();
  assert.ok(!(await amqpGreets(port)), 'nothing listens after the shutdown');
  await rabbit.restart();
  assert.equal(rabbit.port, port);
  // No assertQueue after a restart: consuming a queue the node lost fails (404 NOT_FOUND).
  assert.deepEqual(await consumeUntil(rabbit, 'smoke', 'before the clean restart'), ['before the clean restart']);

  // Confirmed: on disk before the crash. Never consumed, so it must come back.
  await rabbit.publish('smoke', 'before the crash', { persistent: true });
  await rabbit.kill();
  assert.ok(!(await amqpGreets(port)), 'nothing listens after the kill');
  await rabbit.restart();
  assert.equal(rabbit.port, port);
  // The acknowledgement of the first message may not have reached the disk when the node was
  // SIGKILLed: then it comes back too, first (seen on this machine).
  const after = await consumeUntil(rabbit, 'smoke', 'before the crash');
  assert.ok(['before the crash', 'before the clean restart,before the crash'].includes(after.join()),
    `after the crash: ${JSON.stringify(after)}`);
  assert.match(await rabbit.ctl('list_queues', 'name', 'messages'), /^smoke\s+0$/m);
});

test('NATS: a published message is received; a paused server is silent; again after a crash and a restart', async (t) => {
  const server = await NatsServer.start();
  t.after(() => server.stop());
  assert.ok(await natsGreets(server.port));
  assert.ok(!(await amqpGreets(server.port)), 'the probes tell the protocols apart');

  async function roundTrip(data) {
    const nc = await server.connect();
    try {
      const sub = nc.subscribe('smoke.>', { max: 1 });
      await nc.flush();  // the subscription is at the server before the publish
      await server.publish('smoke.one', data);
      for await (const msg of sub) return [msg.subject, new TextDecoder().decode(msg.data)];
      return null;
    } finally {
      await nc.close();
    }
  }

  assert.deepEqual(await withTimeout(roundTrip('before'), DELIVERY_MS, 'NATS delivery'), ['smoke.one', 'before']);
  // Frozen: the kernel still accepts connections, the server writes no INFO (300 ms is ample
  // for a running one's greeting) until resumed.
  await server.pause();
  assert.ok(!(await natsGreets(server.port, 300)), 'a paused server greets no one');
  server.resume();
  assert.ok(await natsGreets(server.port, DELIVERY_MS));
  const port = server.port;
  await server.kill();
  assert.ok(!(await natsGreets(port)), 'nothing listens after the kill');
  await server.restart();
  assert.equal(server.port, port);
  assert.deepEqual(await withTimeout(roundTrip('after'), DELIVERY_MS, 'NATS delivery'), ['smoke.one', 'after']);
});
