// Stands in, inside dist/age.cjs only (scripts/bundle-age.mjs injects it for the globals of the same
// names), for the WHATWG ReadableStream, TransformStream and Response that age-encryption's io.js,
// stream.js, format.js and index.js build on. A key ring is a few hundred bytes held in memory, yet the
// first use of Node's web streams loads and compiles their implementation, `reader.releaseLock()` builds
// a TypeError on its first call, pipeThrough starts a pipe loop, and `new Response(stream)` loads Node's
// fetch (undici): most of what an X25519 ring still added to start-up (bench/age.mjs).
//
// This is plumbing for bytes held in memory, no cryptography: the subset those four files use, pulled
// lazily by the reader. ReadableStream: `new ReadableStream({ start, pull, cancel })`, getReader, locked,
// pipeThrough; its reader: read, releaseLock, cancel. TransformStream: `{ start, transform, flush }`
// with a controller's enqueue, error and terminate; without transform, chunks pass through. Response:
// `new Response(stream)` and its arrayBuffer() and text(). As in the standard: whatever start, pull,
// transform or flush throws errors the stream, and the pending read and every later one reject with it
// (chunks not read yet are dropped); a locked stream refuses a second reader or pipe. Not offered:
// queuing strategies and backpressure (a reader pulls one step at a time, so nothing queues beyond what
// one step enqueues), tee, pipeTo, async iteration, byte streams, and readers of Node's own streams: a
// stream that is not one of these is refused with a TypeError rather than half-read.

const CLOSED = Object.freeze({ done: true, value: undefined });

function lockedError() {
  return new TypeError('the stream is locked to a reader');
}

export class ReadableStream {
  #queue = [];
  #closed = false;
  #errored = false;
  #error = undefined;
  #locked = false;
  #source;
  #controller;
  #starting;
  #reading = Promise.resolve();

  constructor(source = {}) {
    this.#source = source;
    this.#controller = {
      enqueue: (chunk) => {
        if (this.#closed || this.#errored) throw new TypeError('the stream is closed');
        this.#queue.push(chunk);
      },
      close: () => {
        if (this.#closed || this.#errored) throw new TypeError('the stream is closed');
        this.#closed = true;
      },
      error: (e) => this.#fail(e),
    };
    // As in the standard, start() runs in the constructor and a throw from it fails the constructor.
    const started = source.start?.(this.#controller);
    if (started && typeof started.then === 'function') this.#starting = Promise.resolve(started).catch((e) => this.#fail(e));
  }

  get locked() {
    return this.#locked;
  }

  #fail(e) {
    if (this.#errored) return;
    this.#errored = true;
    this.#error = e;
    this.#queue.length = 0;
  }

  /**
   * The next chunk, pulling the source until it enqueues one, closes or errors. Reads are served one
   * after the other, in the order they were asked for, as the standard's read requests are: a second
   * read issued before the first settles must not pull the source at the same time.
   */
  _next() {
    const next = this.#reading.then(() => this.#pullNext());
    this.#reading = next.catch(() => {});
    return next;
  }

  async #pullNext() {
    if (this.#starting) {
      await this.#starting;
      this.#starting = undefined;
    }
    for (;;) {
      if (this.#errored) throw this.#error;
      if (this.#queue.length > 0) return { done: false, value: this.#queue.shift() };
      if (this.#closed) return CLOSED;
      if (!this.#source.pull) throw new TypeError('the stream has no more chunks and is not closed (in-memory streams only)');
      try {
        await this.#source.pull(this.#controller);
      } catch (e) {
        this.#fail(e);
      }
    }
  }

  async _cancel(reason) {
    if (this.#closed || this.#errored) return;
    this.#queue.length = 0;
    this.#closed = true;
    await this.#source.cancel?.(reason);
  }

  _lock() {
    if (this.#locked) throw lockedError();
    this.#locked = true;
  }

  _unlock() {
    this.#locked = false;
  }

  getReader(options) {
    if (options?.mode !== undefined) throw new TypeError('only default readers are offered');
    return new ReadableStreamDefaultReader(this);
  }

  pipeThrough(transform) {
    if (!(transform instanceof TransformStream)) throw new TypeError('pipeThrough takes a TransformStream of this bundle');
    this._lock();
    transform._connect(this);
    return transform.readable;
  }
}

class ReadableStreamDefaultReader {
  #stream;

  constructor(stream) {
    if (!(stream instanceof ReadableStream)) throw new TypeError('not a ReadableStream of this bundle');
    stream._lock();
    this.#stream = stream;
  }

  read() {
    if (!this.#stream) return Promise.reject(new TypeError('the reader has been released'));
    return this.#stream._next();
  }

  releaseLock() {
    if (!this.#stream) return;
    this.#stream._unlock();
    this.#stream = undefined;
  }

  cancel(reason) {
    if (!this.#stream) return Promise.reject(new TypeError('the reader has been released'));
    return this.#stream._cancel(reason);
  }
}

export class TransformStream {
  #transformer;
  #upstream;
  #flushed = false;
  #controller;
  #close;
  readable;

  constructor(transformer = {}) {
    this.#transformer = transformer;
    // The readable side pulls: one upstream chunk per pull, through transform(); at the end, flush().
    this.readable = new ReadableStream({
      start: (controller) => {
        // Closing twice (terminate, then the end of the input) is no error.
        this.#close = () => {
          try {
            controller.close();
          } catch {
            // already closed or errored
          }
        };
        this.#controller = {
          enqueue: (chunk) => controller.enqueue(chunk),
          error: (e) => controller.error(e),
          terminate: () => {
            this.#close();
            this.#upstream?._cancel();
          },
        };
        // As in the standard, start() runs in the constructor; a throw fails it.
        const started = transformer.start?.(this.#controller);
        if (started && typeof started.then === 'function') return started;
      },
      pull: () => this.#pull(),
      cancel: (reason) => this.#upstream?._cancel(reason),
    });
  }

  _connect(upstream) {
    this.#upstream = upstream;
  }

  async #pull() {
    if (!this.#upstream) throw new TypeError('nothing is piped into this TransformStream (in-memory streams only)');
    const next = this.#flushed ? CLOSED : await this.#upstream._next();
    if (!next.done) {
      if (this.#transformer.transform) await this.#transformer.transform(next.value, this.#controller);
      else this.#controller.enqueue(next.value);
      return;
    }
    this.#flushed = true;
    await this.#transformer.flush?.(this.#controller);
    this.#close();
  }
}

/** `new Response(stream)` as io.js's readAll and readAllString use it: the whole body, as bytes or text. */
export class Response {
  #body;

  constructor(body) {
    if (!(body instanceof ReadableStream)) throw new TypeError('Response takes a ReadableStream of this bundle');
    this.#body = body;
  }

  async #bytes() {
    const reader = this.#body.getReader();
    const chunks = [];
    let length = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!(value instanceof Uint8Array)) throw new TypeError('a chunk of the body is not a Uint8Array');
      chunks.push(value);
      length += value.length;
    }
    const out = new Uint8Array(length);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  async arrayBuffer() {
    return (await this.#bytes()).buffer;
  }

  async text() {
    // Response.text() decodes UTF-8 with replacement characters, never failing.
    return new TextDecoder().decode(await this.#bytes());
  }
}
