// Types of @switchboard/client (docs/client-js.md).

export type Handler = (payload: any, message: Envelope) => unknown | Promise<unknown>;

export interface Envelope {
  type: string;
  id?: string | number;
  channel?: string;
  offset?: number;
  epoch?: string;
  requires_ack?: boolean;
  publisher?: string;
  payload?: any;
}

export interface Position { offset: number; epoch: string; }

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ClientOptions {
  /** A JWT sent in an `auth` message after the socket opens. */
  token?: string;
  /** Called for every (re)connect and before the token expires; wins over `token`. */
  getToken?: () => string | Promise<string>;
  /** The WebSocket class: the browser's, Node 22's, or the `ws` package (imported when absent). */
  WebSocket?: any;
  requestTimeoutMs?: number;   // 10000
  queueLimit?: number;         // 100 messages waiting for a connection
  refreshBeforeMs?: number;    // 30000: getToken this long before `exp`
  typingIntervalMs?: number;   // 2000: typing() sends at most once per interval per channel
  reconnect?: boolean;         // true
  backoff?: { initialMs?: number; maxMs?: number };  // 500, 20000 (full jitter)
  clock?: Clock;
  random?: () => number;
}

export type State = 'disconnected' | 'connecting' | 'connected' | 'closed';

export class Emitter {
  on(type: string, handler: (...args: any[]) => unknown): this;
  once(type: string, handler: (...args: any[]) => unknown): this;
  off(type: string, handler?: (...args: any[]) => unknown): this;
  listenerCount(type: string): number;
}

export class Subscription extends Emitter {
  readonly channel: string;
  readonly recover: boolean;
  position: Position | null;
  state: 'pending' | 'subscribed' | 'unsubscribed';
  /** Resolves once the gateway answered the current subscribe. */
  ready: Promise<Subscription>;
  unsubscribe(): Promise<void>;
}

export class SwitchboardClient extends Emitter {
  constructor(url: string, options?: ClientOptions);
  readonly url: string;
  state: State;
  userId?: string;
  sessionId?: string;
  readonly subscriptions: Map<string, Subscription>;
  connect(): Promise<SwitchboardClient>;
  close(): void;
  subscribe(channel: string, options?: { recover?: boolean; replay?: boolean }): Subscription;
  unsubscribe(channel: string): Promise<void>;
  publish(channel: string, data: unknown, options?: { type?: string }): Promise<Envelope>;
  presence(channel: string): Promise<{ channel: string; users: string[]; connections: number }>;
  history(channel: string, options?: { limit?: number; since?: Position }):
    Promise<{ channel: string; position: Position & { recovered: boolean }; publications: Envelope[] }>;
  typing(channel: string, options?: { stop?: boolean }): boolean;
  send(type: string, payload?: unknown): void;
  request(type: string, payload?: unknown, options?: { timeoutMs?: number }): Promise<Envelope>;
  refreshToken(): Promise<void>;
}

export function connect(url: string, options?: ClientOptions): SwitchboardClient;

export class Backoff {
  constructor(options?: { initialMs?: number; maxMs?: number; random?: () => number });
  attempt: number;
  next(): number;
  reset(): void;
}

export const ErrorCodes: Readonly<Record<string, string>>;
export class SwitchboardError extends Error { code: string; }
export class ServerError extends SwitchboardError {
  payload: { code: string; message?: string; ref?: string | number; retry_after_ms?: number };
  ref?: string | number;
  retryAfterMs?: number;
  readonly retryable: boolean;
}
export class TimeoutError extends SwitchboardError {}
export class QueueFullError extends SwitchboardError {}
export class ClosedError extends SwitchboardError {}
