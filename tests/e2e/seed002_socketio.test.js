// Seed 002 end to end, its clients as written: examples/seeds/002.toml on a private Redis, the
// seed README's socket.io-client code run verbatim (one run per device), and "the Go services"
// PUBLISHing the README's three example events to Redis. A notification reaches both devices of
// its user and nobody else (the same bytes twice within the dedupe window: once); user-status and
// feature-status reach everyone; the heartbeat's pong carries a numeric timestamp; a native
// client on the same node receives the same events. The same over the README's transports
// (WebSocket first), socket.io-client's default (polling, then the upgrade) and long-polling
// only, one after the other on one node. The seed's CORS_ORIGIN is its allowed_origins.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const vm = require('node:vm');
const { io } = require('socket.io-client');
const { Client, eventually, withTimeout, metric } = require('./support');
const { startSeedOnRedis } = require('./ingress_support');

const SEED_ORIGIN = 'http://localhost:3000';  // its CORS_ORIGIN
const WAIT_MS = 5000;

// The seed README's "Client Usage" snippet, character for character.
const SEED_CLIENT = String.raw`import io from 'socket.io-client';

const socket = io('http://localhost:3000', {
  auth: {
    token: 'your-sanctum-token-here'
  },
  transports: ['websocket', 'polling']
});

socket.on('connect', () => {
  console.log('Connected to WebSocket gateway');
});

socket.on('connected', (data) => {
  console.log('Welcome:', data);
});

socket.on('notification-received', (notification) => {
  console.log('New notification:', notification);
  // Show notification to user
});

socket.on('user-status-changed', (data) => {
  console.log('User status changed:', data);
});

socket.on('feature-status-changed', (data) => {
  console.log('Feature status changed:', data);
});

socket.on('disconnect', () => {
  console.log('Disconnected from WebSocket gateway');
});

socket.on('error', (error) => {
  console.error('Socket error:', error);
});

// Heartbeat
setInterval(() => {
  socket.emit('ping');
}, 30000);

socket.on('pong', (data) => {
  console.log('Pong received:', data.timestamp);
});
`;

// A script context has no ES imports: the one import line becomes the context's `io`.
const SEED_IMPORT = "import io from 'socket.io-client';";
const SEED_SCRIPT = new vm.Script(SEED_CLIENT.replace(SEED_IMPORT, ''), { filename: 'seed002-client.js' });

// The README's three example events as its Go services marshal them (json.Marshal of a map:
// keys sorted), with values of the types they name.
const NOTIFICATION = {
  created_at: '2024-01-15T10:30:00Z', data: { feature_id: 5 }, id: 9, message: 'Your feature sold',
  title: 'Sold', type: 'system', user_id: 42,
};
const USER_STATUS = { last_seen: '2024-01-15T10:30:00Z', status: 'online', user_id: 42 };
const FEATURE_STATUS = { feature_id: 5, new_owner_id: 43, old_owner_id: 42, timestamp: '2024-01-15T10:30:00Z' };

// The events of transport plan `plan`: the README's, each a new one (as the services send them:
// a new notification id, a later time), in the same key order. On the Redis engine the ingress
// takes identical bytes on one channel within dedupe_window (2 s) for one message
// (consumers = "one", docs/ingress.md): the plans share a node, and the README's events sent
// again by the next plan a second later would be deduplicated, not delivered.
function eventsOf(plan) {
  const at = `2024-01-15T10:3${plan}:00Z`;
  return {
    notification: { ...NOTIFICATION, created_at: at, id: NOTIFICATION.id + plan },
    userStatus: { ...USER_STATUS, last_seen: at },
    featureStatus: { ...FEATURE_STATUS, timestamp: at },
  };
}

// The ingress rules' duplicates so far: none, unless a test sends the same bytes twice.
async function deduplicated(rule) {
  return metric(server, 'switchboard_ingress_deduplicated_total', { rule });
}

// One device running the seed's client code: what it logs is what its handlers saw. Its
// console records, its setInterval is the test's clock (tick() is the 30 s heartbeat), and its
// io() is socket.io-client's against this test's node, with this device's token (the snippet's
// URL and token are placeholders, checked as written) and the transports under test.
class SeedDevice {
  constructor(server, userId, transports) {
    this.userId = userId;
    this.logs = [];  // { level, args }
    this.waiters = [];
    this.heartbeats = [];
    const record = (level) => (...args) => { this.logs.push({ level, args }); this.wake_(); };
    const seedIo = (url, options) => {
      assert.equal(url, 'http://localhost:3000');
      // Its objects are of the script's realm: compared as JSON.
      assert.deepEqual(JSON.parse(JSON.stringify(options)), { auth: { token: 'your-sanctum-token-here' }, transports: ['websocket', 'polling'] });
      this.socket = io(server.url(''), {
        ...options,
        auth: { token: server.token(userId) },
        transports,
        forceNew: true,       // a device of its own, not a namespace of another device's manager
        reconnection: false,  // the test ends with its close
      });
      return this.socket;
    };
    const setInterval = (fn, ms) => { this.heartbeats.push({ fn, ms }); return this.heartbeats.length; };
    SEED_SCRIPT.runInNewContext({ io: seedIo, console: { log: record('log'), error: record('error') }, setInterval });
  }

  static async start(server, userId, transports) {
    const device = new SeedDevice(server, userId, transports);
    await device.logged('Connected to WebSocket gateway');
    device.welcome = (await device.logged('Welcome:'))[0];
    return device;
  }

  tick() { for (const { fn } of this.heartbeats) fn(); }

  // The arguments after the label of the first log line with that label not yet consumed.
  logged(label, timeoutMs = WAIT_MS) {
    return withTimeout(new Promise((resolve) => {
      this.waiters.push({ label, resolve });
      this.wake_();
    }), timeoutMs, `${label} on a seed device (logged: ${this.labels()})`);
  }

  async loggedNone(label, ms = 300) {
    await new Promise((resolve) => { setTimeout(resolve, ms); });
    assert.ok(!this.logs.some((l) => l.args[0] === label), `${label} logged: ${this.labels()}`);
  }

  // Nothing more with that label than what logged() consumed, `ms` from now.
  async loggedNoMore(label, ms = 300) {
    await new Promise((resolve) => { setTimeout(resolve, ms); });
    assert.ok(!this.logs.some((l) => !l.consumed && l.args[0] === label), `${label} logged again: ${this.labels()}`);
  }

  labels() {
    const transport = this.socket?.io.engine?.transport?.name;
    return `user ${this.userId}, sid ${this.socket?.io.engine?.id} on ${transport}: ${JSON.stringify(this.logs.map((l) => l.args[0]))}`;
  }

  wake_() {
    for (const w of [...this.waiters]) {
      const i = this.logs.findIndex((l) => !l.consumed && l.args[0] === w.label);
      if (i < 0) continue;
      this.logs[i].consumed = true;
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(this.logs[i].args.slice(1));
    }
  }

  close() { this.socket.close(); }
}

// One Redis and one node for every plan: each plan's devices of user 42 connect right after the
// previous plan's closed (the node unsubscribes `user:42` and subscribes it again meanwhile).
let redis;
let server;
before(async () => { ({ redis, server } = await startSeedOnRedis('002', 'e2e-seed002-sio:')); });
after(async () => {
  await Client.closeAll();
  if (server) await server.stop();
  if (redis) await redis.stop();
});

const TRANSPORTS = [
  ["as the README writes them: ['websocket', 'polling']", ['websocket', 'polling'], 'websocket'],
  ["socket.io-client's default: polling, then the upgrade", undefined, 'websocket'],
  ["long-polling only: ['polling']", ['polling'], 'polling'],
];

for (const [index, [name, transports, settledOn]] of TRANSPORTS.entries()) {
  describe(`seed 002's client code, transports ${name}`, () => {
    const { notification, userStatus, featureStatus } = eventsOf(index);
    let phone;
    let laptop;
    let otherUser;
    let native42;
    let nativeOther;
    before(async () => {
      [phone, laptop, otherUser] = await Promise.all(
        ['42', '42', '43'].map((user) => SeedDevice.start(server, user, transports)));
      [native42, nativeOther] = await Promise.all(['42', '44'].map((user) => Client.authed(server, user)));
      // The events below travel over the transport under test, the upgraded one included.
      for (const device of [phone, laptop, otherUser]) {
        await eventually(() => assert.equal(device.socket.io.engine.transport.name, settledOn),
          { what: `the device on ${settledOn}` });
      }
    });
    after(async () => {
      for (const device of [phone, laptop, otherUser]) device?.close();
      await Client.closeAll();
    });

    test('connect, then `connected` with the user and a session id', () => {
      for (const [device, user] of [[phone, '42'], [laptop, '42'], [otherUser, '43']]) {
        assert.equal(String(device.welcome.user_id), user);
        assert.equal(typeof device.welcome.session_id, 'string');
        assert.ok(device.welcome.session_id.length > 0);
      }
      assert.notEqual(phone.welcome.session_id, laptop.welcome.session_id, 'two devices, two sessions');
    });

    test('a notification for user 42 reaches both of its devices, and nobody else', async () => {
      const duplicates = await deduplicated('notifications');
      await redis.publishReceived('notifications', JSON.stringify(notification));
      for (const device of [phone, laptop]) {
        assert.deepEqual(await device.logged('New notification:'), [notification]);
      }
      const native = await native42.next('notification-received');
      assert.equal(native.channel, 'user:42');
      assert.deepEqual(native.payload, notification);
      await otherUser.loggedNone('New notification:');
      await nativeOther.expectNone('notification-received');
      assert.equal(await deduplicated('notifications'), duplicates, 'a new notification is no duplicate');
    });

    test('the same bytes published twice within dedupe_window are one notification', async () => {
      const again = { ...notification, id: notification.id + 100 };
      const duplicates = await deduplicated('notifications');
      await redis.publishReceived('notifications', JSON.stringify(again));
      await redis.publishReceived('notifications', JSON.stringify(again));
      await eventually(async () => assert.equal(await deduplicated('notifications'), duplicates + 1),
        { what: 'the second copy counted as a duplicate' });
      for (const device of [phone, laptop]) {
        assert.deepEqual(await device.logged('New notification:'), [again]);
        await device.loggedNoMore('New notification:');
      }
      assert.deepEqual((await native42.next('notification-received')).payload, again);
      await native42.expectNone('notification-received');
    });

    test('user-status and feature-status reach every client, Socket.IO and native', async () => {
      await redis.publishReceived('user-status', JSON.stringify(userStatus));
      await redis.publishReceived('feature-status', JSON.stringify(featureStatus));
      for (const device of [phone, laptop, otherUser]) {
        assert.deepEqual(await device.logged('User status changed:'), [userStatus]);
        assert.deepEqual(await device.logged('Feature status changed:'), [featureStatus]);
      }
      for (const native of [native42, nativeOther]) {
        assert.deepEqual((await native.next('user-status-changed')).payload, userStatus);
        assert.deepEqual((await native.next('feature-status-changed')).payload, featureStatus);
      }
      assert.equal(await deduplicated('user-status'), 0);
      assert.equal(await deduplicated('feature-status'), 0);
    });

    test("the 30 s heartbeat's ping is answered by a pong with a numeric timestamp of now", async () => {
      assert.deepEqual(phone.heartbeats.map((h) => h.ms), [30000]);
      const sent = Date.now();
      phone.tick();
      const [timestamp] = await phone.logged('Pong received:');
      const received = Date.now();
      assert.equal(typeof timestamp, 'number');
      assert.ok(timestamp >= sent - 1000 && timestamp <= received + 1000,
        `timestamp ${timestamp} not within [${sent}, ${received}]`);
      await laptop.loggedNone('Pong received:');  // the answer goes to the one that asked
    });

    test('no `error` event reached the seed code; closing logs its disconnect', async () => {
      for (const device of [phone, laptop, otherUser]) {
        assert.ok(!device.logs.some((l) => l.level === 'error'), `errors logged: ${device.labels()}`);
      }
      otherUser.close();
      await otherUser.logged('Disconnected from WebSocket gateway');
    });
  });
}

describe("seed 002's CORS_ORIGIN as allowed_origins", () => {
  test('its origin is allowed by CORS; another origin cannot read polling and cannot upgrade', async () => {
    const poll = (origin) => fetch(server.url('/socket.io/?EIO=4&transport=polling'), { headers: { Origin: origin } });
    const allowed = await poll(SEED_ORIGIN);
    assert.equal(allowed.status, 200, await allowed.text());
    assert.equal(allowed.headers.get('access-control-allow-origin'), SEED_ORIGIN);
    // Another origin's page cannot read the answer (docs/socketio.md, CORS); its WebSocket
    // upgrade is refused outright.
    const foreign = await poll('http://evil.example');
    await foreign.arrayBuffer();
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);

    const socket = io(server.url(''), {
      auth: { token: server.token('42') }, transports: ['websocket'], forceNew: true, reconnection: false,
      extraHeaders: { Origin: 'http://evil.example' },
    });
    try {
      await withTimeout(new Promise((resolve, reject) => {
        socket.once('connect', () => reject(new Error('connected from an origin the seed does not allow')));
        socket.once('connect_error', resolve);
      }), WAIT_MS, 'connect_error from another origin');
    } finally {
      socket.close();
    }
  });
});

describe("seed 002's monitoring: GET /metrics as JSON", () => {
  test('its dashboard reads the README\'s shape from /metrics; a Prometheus scrape still gets text', async () => {
    const devices = [];
    try {
      for (const user of ['10', '1', '5', '5']) devices.push(await SeedDevice.start(server, user, ['websocket']));
      // As a dashboard fetches it: no Accept preference (the node's API key, which this test's
      // node has and the seed's own did not).
      await eventually(async () => {
        const res = await fetch(server.url('/metrics'), { headers: { Authorization: 'apikey k' } });
        assert.equal(res.status, 200);
        const body = await res.json();
        for (const key of ['totalConnections', 'totalUsers', 'usersList', 'uptime', 'memory', 'timestamp']) {
          assert.ok(key in body, `${key} in ${JSON.stringify(body)}`);
        }
        assert.deepEqual([body.totalConnections, body.totalUsers, body.usersList], [4, 3, [1, 5, 10]]);
        assert.equal(typeof body.uptime, 'number');
        assert.equal(typeof body.memory.rss, 'number');
        assert.ok(!Number.isNaN(Date.parse(body.timestamp)));
      }, { what: 'the four devices counted (earlier plans\' sockets gone)' });
      const scrape = await fetch(server.url('/metrics'), { headers: { Accept: 'text/plain;version=0.0.4' } });
      assert.match(scrape.headers.get('content-type'), /^text\/plain/);
      assert.match(await scrape.text(), /^switchboard_connections 4$/m);
    } finally {
      for (const d of devices) d.close();
    }
  });
});
