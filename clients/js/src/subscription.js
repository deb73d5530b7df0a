import { Emitter } from './emitter.js';

// One channel the client wants to be subscribed to, across reconnects. It remembers the
// position (offset, epoch) of the last event it passed on, so that after a reconnect the
// client subscribes from there and the gateway sends exactly what was missed (`recovered`), or
// says it cannot (`not_recovered`: reload the state). Events at or before the position are
// never passed on twice.
//
// Events: every event type of the channel ('message.new', custom types, 'presence.join', …),
// '*' for all of them (the type first), and 'subscribed', 'recovered', 'not_recovered',
// 'unsubscribed' (the server ended it: payload.reason), 'error'.
export class Subscription extends Emitter {
  constructor(client, channel, { recover = true, replay = false } = {}) {
    super();
    Object.assign(this, { client, channel, recover, replay });
    this.position = null;  // { offset, epoch } of the last event passed on
    this.state = 'pending';  // pending | subscribed | unsubscribed
    this.ready = null;  // Promise of the current subscribe's answer
  }

  // The subscribe payload for the next (re)subscribe.
  request() {
    const payload = { channel: this.channel };
    if (this.recover && this.position) {
      payload.offset = this.position.offset;
      payload.epoch = this.position.epoch;
    } else if (this.replay) {
      payload.replay = true;
    }
    return payload;
  }

  // A channel event from the connection: passed on unless it is one already seen.
  deliver(message) {
    const { offset, epoch } = message;
    if (typeof offset === 'number' && typeof epoch === 'string') {
      const p = this.position;
      if (p && p.epoch === epoch && offset <= p.offset) return [];
      this.position = { offset, epoch };
    }
    return this.emit(message.type, message.payload, message);
  }

  // `recovered` / `not_recovered`: the position restarts from what the gateway says.
  recovery(message) {
    // not_recovered: events were lost; the retained ones that follow start a new run, each
    // passed on (the position follows them).
    if (message.type === 'not_recovered') this.position = null;
    this.emit(message.type, message.payload, message);
  }

  unsubscribe() { return this.client.unsubscribe(this.channel); }
}
