// @switchboard/client: the JavaScript client of the Switchboard gateway (docs/client-js.md).
export { SwitchboardClient } from './client.js';
export { Subscription } from './subscription.js';
export { Backoff } from './backoff.js';
export { Emitter } from './emitter.js';
export {
  ErrorCodes, SwitchboardError, ServerError, TimeoutError, QueueFullError, ClosedError,
} from './errors.js';

import { SwitchboardClient } from './client.js';

// connect(url, options): a client, connecting (await client.connect() for the first login).
export function connect(url, options) {
  const client = new SwitchboardClient(url, options);
  client.connect().catch(() => {});  // reported through 'error' / 'disconnected'
  return client;
}
