// Errors the client rejects with. A ServerError carries the gateway's code (docs/protocol.md:
// the `error` and `auth.error` codes); the others are the client's own.

// Every code the gateway sends in an `error` or `auth.error` payload.
export const ErrorCodes = Object.freeze({
  bad_json: 'bad_json',
  bad_request: 'bad_request',
  not_authenticated: 'not_authenticated',
  unknown_type: 'unknown_type',
  bad_channel: 'bad_channel',
  forbidden: 'forbidden',
  not_subscribed: 'not_subscribed',
  too_many_subscriptions: 'too_many_subscriptions',
  rate_limited: 'rate_limited',
  buffer_full: 'buffer_full',
  ack_overflow: 'ack_overflow',
  auth_in_progress: 'auth_in_progress',
  unavailable: 'unavailable',
  user_mismatch: 'user_mismatch',
  token_expired: 'token_expired',
  unsupported: 'unsupported',
  publish_failed: 'publish_failed',
  // auth.error
  missing_token: 'missing_token',
  malformed_token: 'malformed_token',
  unsupported_algorithm: 'unsupported_algorithm',
  unknown_key: 'unknown_key',
  bad_signature: 'bad_signature',
  expired: 'expired',
  not_yet_valid: 'not_yet_valid',
  wrong_issuer: 'wrong_issuer',
  wrong_audience: 'wrong_audience',
  missing_subject: 'missing_subject',
  service_rejected: 'service_rejected',
  service_unavailable: 'service_unavailable',
  too_many_connections: 'too_many_connections',
});

// Codes after which the same request may succeed later (the server's state, not the request).
const RETRYABLE = new Set(['rate_limited', 'buffer_full', 'unavailable', 'publish_failed',
  'service_unavailable', 'auth_in_progress']);

export class SwitchboardError extends Error {
  constructor(message, code) {
    super(message);
    this.name = 'SwitchboardError';
    this.code = code;
  }
}

// The gateway refused something: `code` is one of ErrorCodes, `payload` the whole answer.
export class ServerError extends SwitchboardError {
  constructor(payload = {}) {
    super(payload.message || payload.code || 'server error', payload.code);
    this.name = 'ServerError';
    this.payload = payload;
    this.ref = payload.ref;
    this.retryAfterMs = payload.retry_after_ms;
  }

  get retryable() { return RETRYABLE.has(this.code); }
}

// No answer within the request's timeout (the request may still take effect).
export class TimeoutError extends SwitchboardError {
  constructor(what, ms) {
    super(`${what}: no answer within ${ms} ms`, 'timeout');
    this.name = 'TimeoutError';
  }
}

// The outgoing queue (messages waiting for a connection) is full: the message was not queued.
export class QueueFullError extends SwitchboardError {
  constructor(limit) {
    super(`the outgoing queue holds ${limit} messages already`, 'queue_full');
    this.name = 'QueueFullError';
  }
}

// The client was closed, or the connection ended for good (an auth failure, a kick).
export class ClosedError extends SwitchboardError {
  constructor(message = 'the client is closed', code = 'closed') {
    super(message, code);
    this.name = 'ClosedError';
  }
}
