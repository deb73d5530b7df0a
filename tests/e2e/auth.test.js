// Authentication end to end: the token at upgrade (header, query, cookie) or in an `auth`
// message, the auth timeout, forged and invalid tokens, RS256/ES256 keys, the channels claim,
// refresh, expiry while connected, connections per user, anonymous access and the auth-service
// call-out.
'use strict';

const { describe, test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { Server, Client, jwt, eventually, jsonService, withTimeout } = require('./support');
const { upgradeRequest } = require('./raw_http');

const ISS = 'iss-e2e';
const AUD = 'aud-e2e';
const SECRET = 'auth-e2e-secret';

let seq = 0;
function unique(prefix) { return `${prefix}-${process.pid}-${++seq}`; }

// Sends `token` in an auth message and expects auth.error <code> then close 4001.
async function expectRejected(server, token, code) {
  const c = await Client.connect(server);
  c.send({ type: 'auth', id: 'a1', payload: { token } });
  const reply = await c.next(['auth.success', 'auth.error']);
  assert.equal(reply.type, 'auth.error', `token accepted, expected ${code}: ${JSON.stringify(reply)}`);
  assert.equal(reply.payload.code, code, JSON.stringify(reply.payload));
  assert.equal(typeof reply.payload.message, 'string');
  assert.equal((await c.waitClose()).code, 4001);
}

// The same at upgrade: auth.error <code> right after `connected`, then close 4001.
async function expectRejectedAtUpgrade(server, token, code) {
  const c = await Client.connect(server, { token });
  const reply = await c.next(['auth.success', 'auth.error']);
  assert.equal(reply.type, 'auth.error', JSON.stringify(reply));
  assert.equal(reply.payload.code, code);
  assert.equal((await c.waitClose()).code, 4001);
}

describe('auth: HS256 with issuer, audience, leeway 0', () => {
  let server;
  const claims = (sub, extra = {}) => Object.assign(
    { sub, iss: ISS, aud: AUD, iat: jwt.now(), exp: jwt.now() + 3600 }, extra);
  const sign = (c) => jwt.sign(c, { alg: 'HS256', key: SECRET });
  const tok = (sub, extra) => sign(claims(sub, extra));

  before(async () => {
    server = await Server.start({
      jwtSecret: SECRET,
      args: ['--auth-timeout', '300ms', '--jwt-issuer', ISS, '--jwt-audience', AUD,
        '--jwt-leeway', '0', '--max-connections-per-user', '2'],
    });
  });
  after(async () => { await Client.closeAll(); await server.stop(); });
  afterEach(() => Client.closeAll());

  test('token at upgrade in Authorization: Bearer', async () => {
    const u = unique('hdr');
    const c = await Client.connect(server, { token: tok(u) });
    const ok = await c.next(['auth.success', 'auth.error']);
    assert.equal(ok.type, 'auth.success', JSON.stringify(ok));
    assert.equal(ok.payload.user_id, u);
  });

  test('token at upgrade: a request in the same packet as the upgrade waits for the authentication and is answered', async () => {
    // The first authentication answers later (the connection registry is asked, its answer
    // posted back): a client that speaks at once must not be refused with not_authenticated.
    // The upgrade and a masked subscribe frame leave in one write, so they arrive together.
    const u = unique('eager');
    const frame = (text) => {
      const body = Buffer.from(text);
      const mask = Buffer.from([1, 2, 3, 4]);
      const masked = Buffer.from(body.map((b, i) => b ^ mask[i % 4]));
      return Buffer.concat([Buffer.from([0x81, 0x80 | body.length]), mask, masked]);
    };
    const socket = net.connect(server.port, '127.0.0.1');
    let received = Buffer.alloc(0);
    socket.on('data', (chunk) => { received = Buffer.concat([received, chunk]); });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(Buffer.concat([
      Buffer.from(upgradeRequest({ headers: { Authorization: `Bearer ${tok(u)}` } })),
      frame(JSON.stringify({ type: 'subscribe', id: 's1', payload: { channel: `user:${u}` } }))]));
    try {
      await withTimeout(eventually(async () => {
        assert.match(received.toString('latin1'), /"type":"subscribed"/);
      }), 6000, 'subscribed');
      const text = received.toString('latin1');
      assert.doesNotMatch(text, /not_authenticated/);
      assert.ok(text.indexOf('"auth.success"') < text.indexOf('"subscribed"'), 'in order');
    } finally {
      socket.destroy();
    }
  });

  test('token at upgrade in ?token=', async () => {
    const u = unique('qry');
    const c = await Client.connect(server, { query: { token: tok(u) } });
    const ok = await c.next(['auth.success', 'auth.error']);
    assert.equal(ok.type, 'auth.success', JSON.stringify(ok));
    assert.equal(ok.payload.user_id, u);
  });

  test('token at upgrade in the token cookie', async () => {
    const u = unique('cookie');
    const c = await Client.connect(server, { cookie: `theme=dark; token=${tok(u)}; lang=en` });
    const ok = await c.next(['auth.success', 'auth.error']);
    assert.equal(ok.type, 'auth.success', JSON.stringify(ok));
    assert.equal(ok.payload.user_id, u);
  });

  test('concurrent upgrades with different tokens each get their own identity', async () => {
    const users = Array.from({ length: 12 }, () => unique('conc'));
    const clients = await Promise.all(users.map((u, i) => (i % 2
      ? Client.connect(server, { token: tok(u) })
      : Client.connect(server, { query: { token: tok(u) } }))));
    for (let i = 0; i < users.length; i++) {
      const ok = await clients[i].next(['auth.success', 'auth.error']);
      assert.equal(ok.type, 'auth.success');
      assert.equal(ok.payload.user_id, users[i], `connection ${i} got another client's identity`);
    }
  });

  test('auth message flow: the connection is usable after auth.success', async () => {
    const u = unique('msg');
    const c = await Client.connect(server);
    const ok = await c.auth(tok(u));
    assert.equal(ok.payload.user_id, u);
    await server.api('POST', '/api/send', { user_id: u, payload: { hello: u } });
    assert.deepEqual((await c.next('message.new')).payload, { hello: u });
  });

  test('no auth within --auth-timeout → auth.error missing_token, close 4001', async () => {
    const c = await Client.connect(server);
    const t0 = Date.now();
    const err = await c.next(['auth.error', 'auth.success'], 5000);
    assert.equal(err.type, 'auth.error');
    assert.equal(err.payload.code, 'missing_token');
    assert.equal((await c.waitClose()).code, 4001);
    assert.ok(Date.now() - t0 >= 250, 'closed before the auth timeout');
  });

  test('auth message without a token → missing_token, close 4001', async () => {
    const c = await Client.connect(server);
    c.send({ type: 'auth', payload: {} });
    const err = await c.next('auth.error');
    assert.equal(err.payload.code, 'missing_token');
    assert.equal((await c.waitClose()).code, 4001);
  });

  test('alg none → unsupported_algorithm', async () => {
    await expectRejected(server, jwt.forge.none(claims('none-user')), 'unsupported_algorithm');
    await expectRejectedAtUpgrade(server, jwt.forge.none(claims('none-user')), 'unsupported_algorithm');
  });

  test('alg none with a copied valid signature → unsupported_algorithm', async () => {
    const valid = tok('copy-user');
    const none = jwt.forge.none(claims('copy-user'));
    await expectRejected(server, none + valid.split('.')[2], 'unsupported_algorithm');
  });

  test('another HMAC algorithm than the pinned one → unsupported_algorithm', async () => {
    await expectRejected(server, jwt.sign(claims('hs512'), { alg: 'HS512', key: SECRET }), 'unsupported_algorithm');
  });

  test('bad signature → bad_signature', async () => {
    await expectRejected(server, jwt.forge.badSignature(tok('sig')), 'bad_signature');
    await expectRejected(server, jwt.sign(claims('sig'), { key: 'another-secret' }), 'bad_signature');
    await expectRejectedAtUpgrade(server, jwt.forge.badSignature(tok('sig')), 'bad_signature');
  });

  test('tampered payload with the original signature → bad_signature', async () => {
    const [h, , s] = tok('victim').split('.');
    const p = Buffer.from(JSON.stringify(claims('attacker'))).toString('base64url');
    await expectRejected(server, `${h}.${p}.${s}`, 'bad_signature');
  });

  test('expired → expired', async () => {
    await expectRejected(server, tok('exp', { exp: jwt.now() - 5 }), 'expired');
  });

  test('nbf in the future → not_yet_valid', async () => {
    await expectRejected(server, tok('nbf', { nbf: jwt.now() + 600 }), 'not_yet_valid');
  });

  test('wrong or missing iss → wrong_issuer; wrong aud → wrong_audience', async () => {
    await expectRejected(server, tok('iss', { iss: 'someone-else' }), 'wrong_issuer');
    const noIss = claims('iss');
    delete noIss.iss;
    await expectRejected(server, sign(noIss), 'wrong_issuer');
    await expectRejected(server, tok('aud', { aud: 'other-audience' }), 'wrong_audience');
    await expectRejected(server, tok('aud', { aud: ['x', 'y'] }), 'wrong_audience');
  });

  test('aud as an array containing the audience is accepted', async () => {
    const c = await Client.connect(server);
    const ok = await c.auth(tok('aud-array', { aud: ['x', AUD] }));
    assert.equal(ok.payload.user_id, 'aud-array');
  });

  test('garbage tokens → malformed_token', async () => {
    for (const t of [jwt.forge.garbage(), 'a.b.c', '...', `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.e30`]) {
      await expectRejected(server, t, 'malformed_token');
    }
  });

  test('missing sub → missing_subject', async () => {
    const noSub = claims('x');
    delete noSub.sub;
    await expectRejected(server, sign(noSub), 'missing_subject');
    await expectRejected(server, tok(''), 'missing_subject');
  });

  test('channels claim grants its patterns, nothing else', async () => {
    const c = await Client.connect(server);
    await c.auth(tok(unique('claims'), { channels: ['conv:*'] }));
    const sub = await c.subscribe({ conversation_ids: ['one', 'two'] });
    assert.deepEqual(sub.payload.conversation_ids, ['one', 'two']);
    c.send({ type: 'subscribe', payload: { channels: ['room:1'] } });
    assert.equal((await c.next('error')).payload.code, 'forbidden');
    const plain = await Client.connect(server);
    await plain.auth(tok(unique('noclaims')));
    plain.send({ type: 'subscribe', payload: { conversation_ids: ['one'] } });
    assert.equal((await plain.next('error')).payload.code, 'forbidden');
  });

  test('refresh: a second auth for the same user succeeds and replaces the grants', async () => {
    const u = unique('refresh');
    const c = await Client.connect(server);
    const first = await c.auth(tok(u));
    c.send({ type: 'subscribe', payload: { channels: ['conv:r1'] } });
    assert.equal((await c.next('error')).payload.code, 'forbidden');
    const second = await c.auth(tok(u, { channels: ['conv:*'] }));
    assert.equal(second.payload.user_id, u);
    assert.equal(second.payload.session_id, first.payload.session_id);
    await c.subscribe(['conv:r1']);
  });

  test('refresh with a bad token keeps the session', async () => {
    const c = await Client.connect(server);
    await c.auth(tok(unique('badrefresh')));
    c.send({ type: 'auth', payload: { token: jwt.forge.badSignature(tok('x')) } });
    assert.equal((await c.next('auth.error')).payload.code, 'bad_signature');
    c.send({ type: 'ping' });
    await c.next('pong');
    assert.equal(c.isClosed, false);
  });

  test('refresh naming another user → user_mismatch, close 4001', async () => {
    const c = await Client.connect(server);
    await c.auth(tok(unique('owner')));
    c.send({ type: 'auth', payload: { token: tok(unique('intruder')) } });
    const err = await c.next(['error', 'auth.success']);
    assert.equal(err.type, 'error');
    assert.equal(err.payload.code, 'user_mismatch');
    assert.equal((await c.waitClose()).code, 4001);
  });

  test('token expiring while connected → token_expired, close 4002; a refresh extends it', async () => {
    const exp = jwt.now() + 2;
    const lapsing = await Client.connect(server);
    await lapsing.auth(tok(unique('lapse'), { exp }));
    const uKept = unique('kept');
    const kept = await Client.connect(server);
    await kept.auth(tok(uKept, { exp }));
    await kept.auth(tok(uKept, { exp: jwt.now() + 3600 }));

    const err = await lapsing.next('error', 6000);
    assert.equal(err.payload.code, 'token_expired');
    assert.equal((await lapsing.waitClose()).code, 4002);
    assert.ok(Date.now() / 1000 >= exp, 'closed before the token expired');
    // The refreshed connection outlives the first token: the server has swept past exp.
    await kept.expectNone('error', 1200);
    kept.send({ type: 'ping' });
    await kept.next('pong');
    assert.equal(kept.isClosed, false);
  });

  test('--max-connections-per-user 2: the third gets auth.error too_many_connections, close 4003', async () => {
    const u = unique('many');
    const a = await Client.connect(server, { token: tok(u) });
    const b = await Client.connect(server, { token: tok(u) });
    await a.next('auth.success');
    await b.next('auth.success');
    const c = await Client.connect(server, { token: tok(u) });
    const err = await c.next(['auth.success', 'auth.error']);
    assert.equal(err.type, 'auth.error', 'refused before being told it succeeded');
    assert.equal(err.payload.code, 'too_many_connections');
    assert.equal((await c.waitClose()).code, 4003);
    // Other users are not affected, and a closed connection frees its slot.
    const other = await Client.connect(server, { token: tok(unique('other')) });
    await other.next('auth.success');
    await a.close();
    const again = await Client.connect(server, { token: tok(u) });
    await again.next('auth.success');
    await again.expectNone('error', 200);
    assert.equal(again.isClosed, false);
  });
});

describe('auth: RS256 pinned (HS/RS confusion)', () => {
  let server;
  const keys = jwt.rsaKeys();
  const otherKeys = jwt.rsaKeys();
  const claims = (sub) => ({ sub, exp: jwt.now() + 3600 });

  before(async () => {
    server = await Server.start({
      jwtSecret: null,
      args: ['--jwt-algorithm', 'RS256', '--jwt-public-key-file', jwt.writePem(keys.publicPem)],
    });
  });
  after(async () => { await Client.closeAll(); await server.stop(); });
  afterEach(() => Client.closeAll());

  test('a valid RS256 token is accepted', async () => {
    const c = await Client.connect(server);
    const ok = await c.auth(jwt.sign(claims('rs-user'), { alg: 'RS256', key: keys.privateKey }));
    assert.equal(ok.payload.user_id, 'rs-user');
  });

  test('HS256 signed with the public key PEM as secret → unsupported_algorithm', async () => {
    await expectRejected(server, jwt.forge.hsWithKey(claims('confused'), keys.publicPem), 'unsupported_algorithm');
  });

  test('RS256 signed by another key → bad_signature', async () => {
    await expectRejected(server, jwt.sign(claims('x'), { alg: 'RS256', key: otherKeys.privateKey }), 'bad_signature');
  });

  test('RS512 with the right key but not the pinned algorithm → unsupported_algorithm', async () => {
    await expectRejected(server, jwt.sign(claims('x'), { alg: 'RS512', key: keys.privateKey }), 'unsupported_algorithm');
  });

  test('alg none → unsupported_algorithm', async () => {
    await expectRejected(server, jwt.forge.none(claims('x')), 'unsupported_algorithm');
  });
});

describe('auth: ES256 pinned', () => {
  let server;
  const keys = jwt.ecKeys('P-256');
  const claims = (sub) => ({ sub, exp: jwt.now() + 3600 });

  before(async () => {
    server = await Server.start({
      jwtSecret: null,
      args: ['--jwt-algorithm', 'ES256', '--jwt-public-key-file', jwt.writePem(keys.publicPem)],
    });
  });
  after(async () => { await Client.closeAll(); await server.stop(); });
  afterEach(() => Client.closeAll());

  test('a valid ES256 token is accepted (at upgrade and by message)', async () => {
    const token = jwt.sign(claims('es-user'), { alg: 'ES256', key: keys.privateKey });
    const c = await Client.connect(server);
    assert.equal((await c.auth(token)).payload.user_id, 'es-user');
    const d = await Client.connect(server, { token });
    assert.equal((await d.next(['auth.success', 'auth.error'])).type, 'auth.success');
  });

  test('ES256 with a flipped signature bit → bad_signature', async () => {
    const token = jwt.sign(claims('es-user'), { alg: 'ES256', key: keys.privateKey });
    await expectRejected(server, jwt.forge.badSignature(token), 'bad_signature');
  });

  test('HS256 signed with the EC public key PEM → unsupported_algorithm', async () => {
    await expectRejected(server, jwt.forge.hsWithKey(claims('x'), keys.publicPem), 'unsupported_algorithm');
  });
});

describe('auth: anonymous access', () => {
  let anon;
  let closed;
  before(async () => {
    [anon, closed] = await Promise.all([
      Server.start({ args: ['--allow-anonymous', '--public-channels', 'news'] }),
      Server.start({ args: ['--public-channels', 'news', '--auth-timeout', '5s'] }),
    ]);
  });
  after(async () => { await Client.closeAll(); await anon.stop(); await closed.stop(); });
  afterEach(() => Client.closeAll());

  test('--allow-anonymous: a tokenless client subscribes to public channels and receives', async () => {
    const c = await Client.connect(anon);
    const sub = await c.subscribe(['news']);
    assert.deepEqual(sub.payload.channels, ['news']);
    const res = await anon.api('POST', '/api/publish', { channel: 'news', payload: { headline: 'x' } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual((await c.next('message.new')).payload, { headline: 'x' });
  });

  test('--allow-anonymous: non-public channels stay forbidden', async () => {
    const c = await Client.connect(anon);
    c.send({ type: 'subscribe', payload: { channels: ['private:1'] } });
    assert.equal((await c.next('error')).payload.code, 'forbidden');
  });

  test('--allow-anonymous: a token still identifies its user', async () => {
    const c = await Client.connect(anon, { token: anon.token('named') });
    assert.equal((await c.next('auth.success')).payload.user_id, 'named');
  });

  test('without --allow-anonymous a tokenless client cannot subscribe', async () => {
    const c = await Client.connect(closed);
    c.send({ type: 'subscribe', payload: { channels: ['news'] } });
    assert.equal((await c.next('error')).payload.code, 'not_authenticated');
    await c.expectNone('subscribed', 50);
  });
});

describe('auth: connections per IP address', () => {
  let server;
  before(async () => { server = await Server.start({ args: ['--max-connections-per-ip', '2'] }); });
  after(async () => { await Client.closeAll(); await server.stop(); });

  test('--max-connections-per-ip 2: the third upgrade is refused with 429', async () => {
    const a = await Client.authed(server, unique('ip'));
    await Client.authed(server, unique('ip'));
    await assert.rejects(Client.connect(server), (err) => err.statusCode === 429);
    // A closed connection frees its slot.
    await a.close();
    const again = await eventually(() => Client.authed(server, unique('ip')), { what: 'slot freed' });
    assert.equal(again.isClosed, false);
  });
});

// Seed 002's model: the token goes to an auth service that answers who the user is. The
// service here is a real HTTP server whose answer depends on the token it receives.
describe('auth: auth-service call-out', () => {
  let server;
  let service;
  const requests = [];
  const held = [];  // responses of the `slow` token, answered after the test

  before(async () => {
    service = await jsonService((body, answer, req) => {
      requests.push({ method: req.method, url: req.url, type: req.headers['content-type'], body });
      const [kind, arg] = String(body.token).split(':');
      if (kind === 'user') answer(200, { user_id: arg, channels: ['team:*'] });
      else if (kind === 'numeric') answer(200, { user_id: 4242 });
      else if (kind === 'expiring') answer(200, { user_id: arg, expires_at: Math.floor(Date.now() / 1000) + 2 });
      else if (kind === 'refuse') answer(401, { error: 'no' });
      else if (kind === 'broken') answer(500, { error: 'boom' });
      else if (kind === 'nouser') answer(200, { channels: [] });
      else if (kind === 'slow') held.push(() => answer(200, { user_id: 'late' }));
      else answer(400, {});
    });
    // 2 s: long enough that a first call under ASan (new connection, cold code) is never cut
    // (300 ms was, once in a CI run); short enough for the slow-service test below.
    server = await Server.start({
      jwtSecret: null,
      args: ['--auth-service-url', service.url('/check'),
        '--auth-service-timeout', '2s'],
    });
  });
  after(async () => {
    await Client.closeAll();
    await server.stop();
    for (const release of held.splice(0)) release();
    await service.close();
  });
  afterEach(() => Client.closeAll());

  async function authWith(token) {
    const c = await Client.connect(server);
    c.send({ type: 'auth', id: 'a1', payload: { token } });
    return { c, reply: await c.next(['auth.success', 'auth.error']) };
  }

  test('the service receives the token as JSON and its user_id and channels are used', async () => {
    const u = unique('svc');
    const { c, reply } = await authWith(`user:${u}`);
    assert.equal(reply.type, 'auth.success', JSON.stringify(reply));
    assert.equal(reply.payload.user_id, u);
    const seen = requests.find((r) => r.body.token === `user:${u}`);
    assert.ok(seen, 'the service saw the token');
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/check');
    assert.match(seen.type, /application\/json/);
    // The service's channels grant team:*, nothing else.
    assert.deepEqual((await c.subscribe(['team:a'])).payload.channels, ['team:a']);
    c.send({ type: 'subscribe', payload: { channels: ['other:a'] } });
    assert.equal((await c.next('error')).payload.code, 'forbidden');
  });

  test('the token at upgrade goes to the service too', async () => {
    const u = unique('svc-up');
    const c = await Client.connect(server, { token: `user:${u}` });
    const reply = await c.next(['auth.success', 'auth.error']);
    assert.equal(reply.type, 'auth.success', JSON.stringify(reply));
    assert.equal(reply.payload.user_id, u);
  });

  test('an integer user_id (seed 002) becomes its decimal string', async () => {
    const { reply } = await authWith('numeric:');
    assert.equal(reply.type, 'auth.success', JSON.stringify(reply));
    assert.equal(reply.payload.user_id, '4242');
  });

  test('401 from the service → service_rejected, close 4001', async () => {
    const { c, reply } = await authWith('refuse:');
    assert.equal(reply.type, 'auth.error');
    assert.equal(reply.payload.code, 'service_rejected');
    assert.equal((await c.waitClose()).code, 4001);
  });

  test('500, or an answer without user_id → service_unavailable', async () => {
    for (const token of ['broken:', 'nouser:']) {
      const { c, reply } = await authWith(token);
      assert.equal(reply.type, 'auth.error', token);
      assert.equal(reply.payload.code, 'service_unavailable', `${token} ${JSON.stringify(reply)}`);
      assert.equal((await c.waitClose()).code, 4001);
    }
  });

  test('a service slower than --auth-service-timeout → service_unavailable; others are served meanwhile', async () => {
    const slow = await Client.connect(server);
    slow.send({ type: 'auth', id: 'a1', payload: { token: 'slow:' } });
    await eventually(() => assert.equal(held.length, 1), { what: 'the slow request reached the service' });
    // The worker is not stalled: another client authenticates while the slow call is pending.
    const u = unique('svc-while');
    const { reply: other } = await authWith(`user:${u}`);
    assert.equal(other.type, 'auth.success');
    const reply = await slow.next(['auth.success', 'auth.error']);
    assert.equal(reply.type, 'auth.error');
    assert.equal(reply.payload.code, 'service_unavailable');
  });

  test('expires_at from the service ends the session unless refreshed: token_expired, close 4002', async () => {
    const u = unique('svc-exp');
    const { c, reply } = await authWith(`expiring:${u}`);
    assert.equal(reply.type, 'auth.success');
    const err = await c.next('error', 6000);
    assert.equal(err.payload.code, 'token_expired');
    assert.equal((await c.waitClose()).code, 4002);
  });
});

// Finding 2 of the hardening issue: every authentication used to open its own connection to the
// service. Each worker now holds a bounded pool of kept-alive connections to it; calls beyond
// the pool wait in a bounded queue, and one more fails at once (counted).
describe('auth: call-outs to the service share a bounded pool', () => {
  let server;
  let service;
  let open = 0;
  let maxOpen = 0;
  let accepted = 0;
  let holding = true;
  const held = [];  // answers the service holds back while `holding`

  before(async () => {
    service = await jsonService(({ token }, answer) => {
      const [, user] = String(token).split(':');
      const reply = () => answer(200, { user_id: user });
      if (holding) held.push(reply);
      else reply();
    });
    service.http.on('connection', (socket) => {
      accepted++;
      maxOpen = Math.max(maxOpen, ++open);
      socket.on('close', () => { open--; });
    });
    // One worker, so that its pool is the only one.
    server = await Server.start({
      jwtSecret: null,
      workers: 1,
      args: ['--auth-service-url', service.url('/check'),
        '--auth-service-timeout', '10s', '--callout-max-connections', '2',
        '--callout-max-queued', '3'],
    });
  });
  after(async () => {
    await Client.closeAll();
    await server.stop();
    for (const release of held.splice(0)) release();
    await service.close();
  });

  async function rejectedTotal() {
    const res = await server.get('/metrics');
    const line = res.text.split('\n')
      .find((l) => l.startsWith('switchboard_gateway_callout_rejected_total{callout="auth_service"}'));
    assert.ok(line, 'switchboard_gateway_callout_rejected_total{callout="auth_service"} missing');
    return Number(line.split(' ').pop());
  }

  test('2 connections at most, 3 waiting, the next refused at once; all the waiting ones are served', async () => {
    const before = await rejectedTotal();
    const clients = [];
    for (let i = 0; i < 5; i++) {
      const c = await Client.connect(server);
      c.send({ type: 'auth', id: `a${i}`, payload: { token: `user:${unique('pool')}` } });
      await c.request({ type: 'ping' }, 'pong');  // its auth has reached the pool
      clients.push(c);
    }
    await eventually(() => assert.equal(held.length, 2), { what: 'two requests at the service' });

    const refused = await Client.connect(server);
    refused.send({ type: 'auth', id: 'over', payload: { token: 'user:over' } });
    const reply = await refused.next(['auth.success', 'auth.error'], 2000);
    assert.equal(reply.type, 'auth.error', JSON.stringify(reply));
    assert.equal(reply.payload.code, 'service_unavailable');
    assert.match(reply.payload.message, /too many call-outs waiting \(3 queued for 2 connections\)/);
    assert.equal(await rejectedTotal(), before + 1);
    assert.equal(held.length, 2, 'the refused call never reached the service');

    holding = false;
    for (const release of held.splice(0)) release();
    for (const c of clients) {
      const ok = await c.next(['auth.success', 'auth.error']);
      assert.equal(ok.type, 'auth.success', JSON.stringify(ok));
    }
    assert.ok(maxOpen <= 2, `${maxOpen} connections open at once`);
    assert.equal(accepted, 2, 'the waiting calls reused the two kept-alive connections');
  });
});
