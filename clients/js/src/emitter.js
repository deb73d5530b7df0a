// A small event emitter: on / off / once, handlers called in the order they were added. emit()
// returns what the handlers returned, so that the caller can wait for async ones (acks).
export class Emitter {
  #handlers = new Map();

  on(type, handler) {
    if (typeof handler !== 'function') throw new TypeError('handler must be a function');
    if (!this.#handlers.has(type)) this.#handlers.set(type, []);
    this.#handlers.get(type).push({ handler, once: false });
    return this;
  }

  once(type, handler) {
    this.on(type, handler);
    const list = this.#handlers.get(type);
    list[list.length - 1].once = true;
    return this;
  }

  off(type, handler) {
    const list = this.#handlers.get(type);
    if (!list) return this;
    const rest = handler ? list.filter((h) => h.handler !== handler) : [];
    if (rest.length) this.#handlers.set(type, rest); else this.#handlers.delete(type);
    return this;
  }

  listenerCount(type) { return (this.#handlers.get(type) || []).length; }

  // Calls every handler of `type` (and of '*', with the type first); a handler that throws
  // does not stop the others: its error is in the results, as a rejected promise.
  emit(type, ...args) {
    const results = [];
    const call = (key, callArgs) => {
      for (const h of [...(this.#handlers.get(key) || [])]) {
        if (h.once) this.off(key, h.handler);
        try {
          results.push(h.handler(...callArgs));
        } catch (err) {
          results.push(Promise.reject(err));
        }
      }
    };
    call(type, args);
    if (type !== '*') call('*', [type, ...args]);
    return results;
  }
}
