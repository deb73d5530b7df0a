import { Backoff } from './backoff.js';
import { Emitter } from './emitter.js';
import { ClosedError, QueueFullError, ServerError, TimeoutError } from './errors.js';
import { Subscription } from './subscription.js';

// Close codes after which reconnecting cannot help (docs/protocol.md, "Gateway close codes"):
// authentication refused, too many connections, disconnected by the server, repeated
// violations. 4002 (the token expired) reconnects only with a getToken to ask for a new one.
const FINAL_CLOSES = new Set([4001, 4003, 4010, 4029, 1008]);
// Answers that echo the request's id on the envelope.
const REPLIES = new Set(['subscribed', 'unsubscribed', 'ack', 'presence.state', 'history', 'pong']);
const CHANNEL_CONTROL = new Set(['subscribed', 'unsubscribed', 'recovered', 'not_recovered', 'snapshot']);

const realClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle),
};

// The `exp` claim of a JWT (seconds), or undefined.
function expiryOf(token) {
  try {
    const part = token.split('.')[1];
    const json = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/')));
    return typeof json.exp === 'number' ? json.exp : undefined;
  } catch {
    return undefined;
  }
}

// A connection to a Switchboard gateway that stays connected: see docs/client-js.md.
//
//   const client = new SwitchboardClient('wss://host/ws', { getToken: () => fetchToken() });
//   client.on('message.new', (payload, message) => …);
//   const room = client.subscribe('conv:42');
//   room.on('message.new', …);
//   await client.connect();
//
// Events on the client: every server event type (channel events of every subscription too),
// '*' for all; 'connecting', 'connected' ({ userId, sessionId }), 'disconnected' ({ code,
// reason, willReconnect }), 'state' (the new state), 'error' (a ServerError no request awaits).
export class SwitchboardClient extends Emitter {
  constructor(url, options = {}) {
    super();
    this.url = url;
    this.options = {
      token: undefined,
      getToken: undefined,
      WebSocket: undefined,
      requestTimeoutMs: 10000,
      queueLimit: 100,
      refreshBeforeMs: 30000,
      typingIntervalMs: 2000,
      reconnect: true,
      backoff: {},
      clock: realClock,
      random: Math.random,
      ...options,
    };
    this.clock = this.options.clock;
    this.backoff = new Backoff({ random: this.options.random, ...this.options.backoff });
    this.state = 'disconnected';  // disconnected | connecting | connected | closed
    this.subscriptions = new Map();
    this.userId = undefined;
    this.sessionId = undefined;
    this.#queue = [];
    this.#pending = new Map();
  }

  #ws = null;
  #queue;  // serialized messages waiting for a connection
  #pending;  // request id → { resolve, reject, timer, reply }
  #nextId = 0;
  #retryTimer = null;
  #refreshTimer = null;
  #connectWaiters = [];
  #typingSent = new Map();  // channel → clock time of the last typing sent
  #authenticated = false;

  // Connects (and keeps reconnecting); resolves once connected and authenticated.
  connect() {
    if (this.state === 'closed') return Promise.reject(new ClosedError());
    const done = new Promise((resolve, reject) => this.#connectWaiters.push({ resolve, reject }));
    if (this.state === 'disconnected') this.#open();
    else if (this.state === 'connected') this.#settleConnect(null);
    return done;
  }

  // Ends the connection for good: pending requests and queued messages fail.
  close() {
    this.#setState('closed');
    this.clock.clearTimeout(this.#retryTimer);
    this.clock.clearTimeout(this.#refreshTimer);
    if (this.#ws) {
      try { this.#ws.close(1000); } catch { /* closing already */ }
    }
    this.#ws = null;
    this.#failAll(new ClosedError());
    this.#settleConnect(new ClosedError());
  }

  // ---- channels ------------------------------------------------------------------------------

  // The subscription to `channel` (made once; later calls return it). Restored, and recovered
  // from its last position, after every reconnect.
  subscribe(channel, options = {}) {
    let sub = this.subscriptions.get(channel);
    if (sub) return sub;
    sub = new Subscription(this, channel, options);
    this.subscriptions.set(channel, sub);
    if (this.state === 'connected') this.#sendSubscribe(sub);
    else sub.ready = new Promise((resolve, reject) => { sub.waiter = { resolve, reject }; });
    sub.ready.catch(() => {});  // a caller that never awaits it sees nothing unhandled
    return sub;
  }

  async unsubscribe(channel) {
    const sub = this.subscriptions.get(channel);
    if (!sub) return;
    this.subscriptions.delete(channel);
    sub.state = 'unsubscribed';
    if (this.state === 'connected') await this.request('unsubscribe', { channel });
  }

  publish(channel, data, { type } = {}) {
    const payload = { channel, data };
    if (type) payload.type = type;
    return this.request('publish', payload);
  }

  async presence(channel) { return (await this.request('presence', { channel })).payload; }

  async history(channel, { limit, since } = {}) {
    const payload = { channel };
    if (limit !== undefined) payload.limit = limit;
    if (since) payload.since = since;
    return (await this.request('history', payload)).payload;
  }

  // Tells the channel's other subscribers that this user types; repeated calls within
  // typingIntervalMs send nothing (the gateway renews the indicator for typing_ttl).
  typing(channel, { stop = false } = {}) {
    const now = this.clock.now();
    if (stop) {
      this.#typingSent.delete(channel);
      this.send('typing', { channel, stop: true });
      return true;
    }
    const last = this.#typingSent.get(channel);
    if (last !== undefined && now - last < this.options.typingIntervalMs) return false;
    this.#typingSent.set(channel, now);
    this.send('typing', { channel });
    return true;
  }

  // ---- messages ------------------------------------------------------------------------------

  // A message of any type, without waiting for an answer. Queued while disconnected; throws
  // QueueFullError when the queue is full.
  send(type, payload) {
    const envelope = { type };
    if (payload !== undefined) envelope.payload = payload;
    this.#write(JSON.stringify(envelope));
  }

  // A message with an id; resolves with the answer that echoes it (subscribed, ack, history,
  // presence.state, pong), rejects with ServerError on an `error` naming it, TimeoutError after
  // requestTimeoutMs, QueueFullError at once when it cannot be queued.
  request(type, payload, { timeoutMs = this.options.requestTimeoutMs } = {}) {
    const id = `_sb${++this.#nextId}`;
    const envelope = { type, id };
    if (payload !== undefined) envelope.payload = payload;
    return new Promise((resolve, reject) => {
      let queued;
      try {
        queued = !this.#write(JSON.stringify(envelope), id);
      } catch (err) {
        reject(err);
        return;
      }
      const timer = this.clock.setTimeout(() => {
        this.#pending.delete(id);
        this.#queue = this.#queue.filter((q) => q.id !== id);  // not sent late either
        reject(new TimeoutError(type, timeoutMs));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer, queued });
    });
  }

  // ---- the connection ------------------------------------------------------------------------

  async #WebSocketClass() {
    if (this.options.WebSocket) return this.options.WebSocket;
    if (globalThis.WebSocket) return globalThis.WebSocket;
    const ws = await import('ws');  // Node before 22: the `ws` package
    return ws.default || ws.WebSocket;
  }

  async #token() {
    if (this.options.getToken) return this.options.getToken();
    return this.options.token;
  }

  async #open() {
    this.#setState('connecting');
    this.emit('connecting');
    let WS;
    try {
      WS = await this.#WebSocketClass();
    } catch (err) {
      this.#settleConnect(err);
      this.#setState('disconnected');
      return;
    }
    if (this.state !== 'connecting') return;
    const ws = new WS(this.url);
    this.#ws = ws;
    this.#authenticated = false;
    ws.onopen = async () => {
      if (this.#ws !== ws) return;
      let token;
      try {
        token = await this.#token();
      } catch (err) {
        ws.close(4000, 'no token');
        this.emit('error', err);
        return;
      }
      if (this.#ws !== ws) return;
      if (token) {
        ws.send(JSON.stringify({ type: 'auth', payload: { token } }));
        this.#scheduleRefresh(token);
      } else {
        this.#connected({});  // anonymous
      }
    };
    ws.onmessage = (event) => {
      if (this.#ws !== ws) return;
      let message;
      try {
        message = JSON.parse(typeof event.data === 'string' ? event.data : String(event.data));
      } catch {
        return;  // a raw frame (format = "raw" ingress): passed on as text
      }
      this.#receive(message);
    };
    ws.onclose = (event) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#lost(event.code, event.reason);
    };
    ws.onerror = () => {};  // onclose follows
  }

  #connected(payload) {
    this.#authenticated = true;
    this.userId = payload.user_id;
    this.sessionId = payload.session_id;
    this.backoff.reset();
    this.#setState('connected');
    // Subscriptions first (restored from their positions), then what was queued, in order.
    for (const sub of this.subscriptions.values()) this.#sendSubscribe(sub);
    const queued = this.#queue;
    this.#queue = [];
    for (const { text, id } of queued) {
      this.#ws.send(text);
      const p = id !== undefined && this.#pending.get(id);
      if (p) p.queued = false;
    }
    this.emit('connected', { userId: this.userId, sessionId: this.sessionId, node: this.node });
    this.#settleConnect(null);
  }

  #lost(code, reason) {
    this.clock.clearTimeout(this.#refreshTimer);
    if (this.state === 'closed') return;
    const final = FINAL_CLOSES.has(code) || (code === 4002 && !this.options.getToken) ||
      !this.options.reconnect;
    // Requests in flight have no answer coming: they fail; queued ones wait for the next connection.
    for (const [id, p] of this.#pending) {
      if (p.queued) continue;
      this.clock.clearTimeout(p.timer);
      this.#pending.delete(id);
      p.reject(new ClosedError(`the connection closed (${code}) before the answer`, 'disconnected'));
    }
    for (const sub of this.subscriptions.values()) {
      if (sub.state === 'subscribed') sub.state = 'pending';
      if (!sub.waiter) sub.ready = new Promise((resolve, reject) => { sub.waiter = { resolve, reject }; });
      sub.ready.catch(() => {});
    }
    this.emit('disconnected', { code, reason, willReconnect: !final });
    if (final) {
      this.#setState('closed');
      const err = new ClosedError(`the gateway closed the connection (${code} ${reason || ''})`.trim(), `close_${code}`);
      this.#failAll(err);
      this.#settleConnect(err);
      return;
    }
    this.#setState('disconnected');
    // 1012: the server restarts (drain): a short random delay spreads the reconnects.
    const delay = code === 1012 ? Math.floor(this.options.random() * 1000) : this.backoff.next();
    this.#retryTimer = this.clock.setTimeout(() => {
      if (this.state === 'disconnected') this.#open();
    }, delay);
    this.emit('reconnect_scheduled', { delayMs: delay, code });
  }

  #scheduleRefresh(token) {
    this.clock.clearTimeout(this.#refreshTimer);
    const exp = expiryOf(token);
    if (exp === undefined || !this.options.getToken) return;
    // refreshBeforeMs before it expires, or half way for a token that lives less than twice that.
    const left = exp * 1000 - this.clock.now();
    const delay = Math.max(1000, left - Math.min(this.options.refreshBeforeMs, left / 2));
    this.#refreshTimer = this.clock.setTimeout(() => this.refreshToken().catch((err) => this.emit('error', err)), delay);
  }

  // Asks getToken for a new token and sends it on the open connection (`auth` refreshes the
  // session without reconnecting); done automatically refreshBeforeMs before `exp`.
  async refreshToken() {
    if (!this.options.getToken || !this.#ws || !this.#authenticated) return;
    const token = await this.options.getToken();
    if (!this.#ws) return;
    this.#ws.send(JSON.stringify({ type: 'auth', payload: { token } }));
    this.#scheduleRefresh(token);
  }

  #receive(message) {
    const { type, payload } = message;
    if (type === 'connected') {
      // The gateway's greeting (send_connected): its node, folded into the client's own
      // 'connected' event rather than passed on under the same name.
      this.node = payload && payload.node;
      return;
    }
    if (type === 'auth.success') {
      if (!this.#authenticated) this.#connected(payload || {});
      else this.emit('token_refreshed', payload);
      return;
    }
    if (type === 'auth.error') {
      const err = new ServerError(payload);
      if (!this.#authenticated) this.#settleConnect(err);
      this.emit('error', err);
      return;
    }
    if (type === 'error') {
      const err = new ServerError(payload || {});
      const pending = err.ref !== undefined && this.#pending.get(String(err.ref));
      if (pending) {
        this.#answer(String(err.ref), null, err);
      } else {
        const sub = payload && payload.channel !== undefined ? this.subscriptions.get(payload.channel) : undefined;
        if (sub) sub.emit('error', err);
        this.emit('error', err);
      }
      return;
    }
    if (REPLIES.has(type) && message.id !== undefined && this.#pending.has(String(message.id))) {
      this.#answer(String(message.id), message, null);
      if (type !== 'subscribed' && type !== 'unsubscribed') return;
    }
    const channel = message.channel !== undefined ? message.channel : payload && payload.channel;
    const sub = channel !== undefined ? this.subscriptions.get(channel) : undefined;
    if (CHANNEL_CONTROL.has(type)) {
      if (type === 'unsubscribed' && sub && payload && payload.reason) {
        // The server ended it (permission revoked, broker unavailable).
        this.subscriptions.delete(channel);
        sub.state = 'unsubscribed';
        sub.emit('unsubscribed', payload, message);
      } else if (sub && (type === 'recovered' || type === 'not_recovered')) {
        sub.recovery(message);
      } else if (sub && type === 'snapshot') {
        sub.emit('snapshot', payload, message);
      }
      this.emit(type, payload, message);
      return;
    }
    // An event: a channel's (passed through its subscription, once), or one for the user.
    let results = [];
    if (sub && typeof message.offset === 'number') {
      const before = sub.position;
      results = sub.deliver(message);
      if (before === sub.position) return;  // seen already
    } else if (sub) {
      results = sub.emit(type, payload, message);  // presence, typing: no position
    }
    results = results.concat(this.emit(type, payload, message));
    if (message.requires_ack && message.id !== undefined) this.#ackAfter(message.id, results);
  }

  // Acknowledges once every handler returned or resolved; not when one threw or rejected (the
  // gateway sends it again).
  #ackAfter(id, results) {
    Promise.all(results).then(() => {
      if (this.#ws && this.state === 'connected') this.#ws.send(JSON.stringify({ type: 'ack', id }));
    }, (err) => this.emit('error', err));
  }

  #answer(id, message, err) {
    const p = this.#pending.get(id);
    this.#pending.delete(id);
    this.clock.clearTimeout(p.timer);
    if (err) p.reject(err); else p.resolve(message);
  }

  #sendSubscribe(sub) {
    const waiter = sub.waiter;
    sub.waiter = null;
    sub.ready = this.request('subscribe', sub.request()).then((answer) => {
      // `subscribed` names what was subscribed: a channel left out was refused.
      const channels = (answer.payload && answer.payload.channels) || [];
      if (!channels.includes(sub.channel) && answer.payload && answer.payload.channel !== sub.channel) {
        throw new ServerError({ code: 'unavailable', message: `${sub.channel} was not subscribed` });
      }
      sub.state = 'subscribed';
      sub.emit('subscribed', answer.payload, answer);
      return sub;
    });
    sub.ready.catch(() => {});
    if (waiter) sub.ready.then(waiter.resolve, waiter.reject);
  }

  // Sends now (true) or queues for the next connection (false).
  #write(text, id) {
    if (this.state === 'closed') throw new ClosedError();
    if (this.state === 'connected' && this.#ws) {
      this.#ws.send(text);
      return true;
    }
    if (this.#queue.length >= this.options.queueLimit) throw new QueueFullError(this.options.queueLimit);
    this.#queue.push({ text, id });
    return false;
  }

  #failAll(err) {
    for (const [id, p] of this.#pending) {
      this.clock.clearTimeout(p.timer);
      this.#pending.delete(id);
      p.reject(err);
    }
    this.#queue = [];
    for (const sub of this.subscriptions.values()) {
      if (sub.waiter) sub.waiter.reject(err);
      sub.waiter = null;
    }
  }

  #settleConnect(err) {
    const waiters = this.#connectWaiters;
    this.#connectWaiters = [];
    for (const w of waiters) (err ? w.reject(err) : w.resolve(this));
  }

  #setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }
}
