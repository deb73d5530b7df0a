// A promise-based socket.io-client 4.8 for the interop scenarios: every event the server sends
// is recorded in arrival order, and a test waits for the next one of a name (or proves its
// absence) with a bound, like support.js's Client does for the native protocol.
//
//   const { SioClient } = require('./sio_client');
//   SioClient.connect(target, { token, auth, query, extraHeaders, transports, namespace = '/',
//                              reconnection = false, waitConnected = true, timeoutMs })
//     -> Promise<SioClient>   resolves on `connect` (and, with waitConnected, the `connected`
//     event, kept as client.welcome); rejects on `connect_error` with its Error (.message,
//     .data). token goes in the CONNECT packet's auth ({token}); auth replaces that object.
//     transports: undefined is socket.io-client's default (polling, then the upgrade).
//   SioClient.refused(target, opts) -> Promise<{ error, client }>  the connect_error an attempt
//     gets (fails if it connects); the client is kept to look at (client.socket.active).
//   client.socket                the socket.io-client Socket
//   client.events                [{ event, args, ack }] in arrival order; `ack` is the server's
//                                ack callback when the event asked for one, else null
//   client.next(event, timeoutMs) -> Promise<record>   the first unconsumed record of `event`
//   client.expectNone(event, ms = 300)                 rejects if one arrives within ms
//   client.request(event, payload, timeoutMs) -> Promise<reply>  emit with an ack callback
//   client.waitDisconnect(timeoutMs) -> Promise<reason>  the next `disconnect` event's reason
//   client.waitConnect(timeoutMs) -> Promise           the next `connect` (after a reconnect)
//   client.close()                                     SioClient.closeAll() closes every one
'use strict';

const { io } = require('socket.io-client');
const { delay, withTimeout } = require('../support');

const DEFAULT_WAIT_MS = 3000;
const open = new Set();

class SioClient {
  static async connect(target, opts = {}) {
    const client = SioClient.create_(target, opts);
    const { waitConnected = true, timeoutMs = DEFAULT_WAIT_MS } = opts;
    await withTimeout(new Promise((resolve, reject) => {
      client.socket.once('connect', resolve);
      client.socket.once('connect_error', reject);
    }), timeoutMs, `socket.io connect to ${target.url}`);
    if (waitConnected) client.welcome = await client.next('connected', timeoutMs);
    return client;
  }

  static async refused(target, opts = {}) {
    const client = SioClient.create_(target, opts);
    const error = await withTimeout(new Promise((resolve, reject) => {
      client.socket.once('connect', () => reject(new Error('connected, expected connect_error')));
      client.socket.once('connect_error', resolve);
    }), opts.timeoutMs || DEFAULT_WAIT_MS, `connect_error from ${target.url}`);
    return { error, client };
  }

  static create_(target, opts) {
    const {
      token, auth, query, extraHeaders, transports, namespace = '/', reconnection = false,
      reconnectionDelay, reconnectionDelayMax,
    } = opts;
    const options = { forceNew: true, reconnection };
    if (auth !== undefined) options.auth = auth;
    else if (token !== undefined) options.auth = { token };
    if (query) options.query = query;
    if (extraHeaders) options.extraHeaders = extraHeaders;
    if (transports) options.transports = transports;
    if (reconnectionDelay !== undefined) options.reconnectionDelay = reconnectionDelay;
    if (reconnectionDelayMax !== undefined) options.reconnectionDelayMax = reconnectionDelayMax;
    return new SioClient(io(`${target.url}${namespace === '/' ? '' : namespace}`, options));
  }

  static async closeAll() {
    for (const c of [...open]) c.close();
  }

  constructor(socket) {
    this.socket = socket;
    this.events = [];
    this.consumed_ = new Set();
    this.waiters_ = [];
    this.welcome = null;
    open.add(this);
    socket.onAny((event, ...args) => {
      const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
      this.record_({ event, args, ack });
    });
  }

  record_(record) {
    const index = this.events.length;
    this.events.push(record);
    const at = this.waiters_.findIndex((w) => w.event === record.event);
    if (at < 0) return;
    const [waiter] = this.waiters_.splice(at, 1);
    this.consumed_.add(index);
    waiter.resolve(record);
  }

  summary() {
    return `[${this.events.map((r, i) => (this.consumed_.has(i) ? `(${r.event})` : r.event)).join(', ')}]`;
  }

  unconsumed_(event) {
    return this.events.findIndex((r, i) => !this.consumed_.has(i) && r.event === event);
  }

  next(event, timeoutMs = DEFAULT_WAIT_MS) {
    const i = this.unconsumed_(event);
    if (i >= 0) {
      this.consumed_.add(i);
      return Promise.resolve(this.events[i]);
    }
    return new Promise((resolve, reject) => {
      const waiter = { event, resolve: (r) => { clearTimeout(timer); resolve(r); } };
      const timer = setTimeout(() => {
        this.waiters_.splice(this.waiters_.indexOf(waiter), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${event}; got ${this.summary()}`));
      }, timeoutMs);
      this.waiters_.push(waiter);
    });
  }

  async expectNone(event, ms = 300) {
    const check = () => {
      const i = this.unconsumed_(event);
      if (i >= 0) throw new Error(`expected no ${event} but got ${JSON.stringify(this.events[i].args)}`);
    };
    check();
    await delay(ms);
    check();
  }

  request(event, payload, timeoutMs = DEFAULT_WAIT_MS) {
    return this.socket.timeout(timeoutMs).emitWithAck(event, payload);
  }

  waitDisconnect(timeoutMs = DEFAULT_WAIT_MS) {
    return withTimeout(new Promise((resolve) => this.socket.once('disconnect', resolve)),
      timeoutMs, `disconnect; got ${this.summary()}`);
  }

  waitConnect(timeoutMs = DEFAULT_WAIT_MS) {
    return withTimeout(new Promise((resolve) => this.socket.once('connect', resolve)),
      timeoutMs, 'connect');
  }

  close() {
    open.delete(this);
    this.socket.close();
  }
}

module.exports = { SioClient };
