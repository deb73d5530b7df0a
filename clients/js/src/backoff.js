// Reconnect delays: exponential with full jitter (a delay drawn uniformly from
// [0, min(max, initial · 2^attempt)]), so that clients a server restart dropped together do not
// come back together. `random` is injectable for tests.
export class Backoff {
  constructor({ initialMs = 500, maxMs = 20000, random = Math.random } = {}) {
    Object.assign(this, { initialMs, maxMs, random });
    this.attempt = 0;
  }

  next() {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.floor(this.random() * ceiling);
  }

  reset() { this.attempt = 0; }
}
