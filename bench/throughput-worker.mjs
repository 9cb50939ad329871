// The measuring side of bench/run.mjs's throughput cells (our core and node:crypto alone), in a process
// of its own that never starts one: run.mjs interleaves these rounds with `openssl speed` runs, and every
// process start forks, which marks the forking process's memory copy-on-write, so that the first write
// to each page afterwards faults. On the shared VM this was measured on a fault costs 22 µs, and the
// thousands after each openssl run cut our 1 MiB rates in half: a cost of the bench, not of Fernet.
//
//   run.mjs forks this with --worker and sends { kind: 'ours' | 'alone', size, op, seconds, total, last };
//   each reply is {} or, after the cell's last round, { result: { median, sustained } } in operations/s.

import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { Fernet, generateKey } from '../dist/src/index.js';

let sink = 0; // consumed results, so nothing can be optimized away

/** CPU seconds of this process: user + system, all threads (GC helpers included). */
export function cpuClock() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/**
 * Operations per CPU second, two ways, measured in rounds. Warm up (JIT, allocator, caches) for `warm`
 * seconds, pick a batch size that takes about 25 ms, then each round times batches for its budget.
 * `median`: the median batch, which skips a stray GC pause (the cost of one call). `sustained`: every
 * operation of all rounds over their whole time, garbage collection and all (what a program encrypting
 * one config after another pays).
 */
export class Session {
  #fn;
  #n = 1;
  #rates = [];
  #ops = 0;
  #spent = 0;

  constructor(fn, warm) {
    this.#fn = fn;
    const warmEnd = cpuClock() + warm;
    do sink += fn().length;
    while (cpuClock() < warmEnd);
    for (;;) {
      const t = cpuClock();
      for (let i = 0; i < this.#n; i++) sink += fn().length;
      if (cpuClock() - t >= 0.025) break;
      this.#n *= 2;
    }
  }

  round(seconds) {
    const fn = this.#fn;
    const n = this.#n;
    const start = cpuClock();
    const end = start + seconds;
    let batches = 0;
    while (cpuClock() < end || batches < 5) {
      const t = cpuClock();
      for (let i = 0; i < n; i++) sink += fn().length;
      this.#rates.push(n / (cpuClock() - t));
      batches++;
    }
    this.#ops += batches * n;
    this.#spent += cpuClock() - start;
  }

  result() {
    const rates = [...this.#rates].sort((a, b) => a - b);
    return { median: rates[rates.length >> 1], sustained: this.#ops / this.#spent };
  }
}

/** One round of `seconds` after a warm-up of 15 % of that: { median, sustained } operations per second. */
export function measure(fn, seconds) {
  const session = new Session(fn, seconds * 0.15);
  session.round(seconds);
  return session.result();
}

/**
 * The node:crypto calls a Fernet operation cannot do without, on ready buffers: AES-128-CBC (createCipheriv,
 * update, final) and HMAC-SHA256 over the same bytes, with no base64, no copy and no checks. The most any
 * Fernet on node:crypto can reach; what separates it from the ceiling is Node's own cost (the buffer
 * each update() allocates, context set-up, GC).
 */
function nodeCryptoAlone(size, op) {
  const key = randomBytes(16);
  const iv = randomBytes(16);
  const blocks = randomBytes((Math.floor(size / 16) + 1) * 16);
  if (op === 'encrypt') {
    return () => {
      const cipher = createCipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
      const ct = cipher.update(blocks);
      cipher.final();
      createHmac('sha256', key).update(ct).digest();
      return ct;
    };
  }
  return () => {
    createHmac('sha256', key).update(blocks).digest();
    const decipher = createDecipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
    const pt = decipher.update(blocks);
    decipher.final();
    return pt;
  };
}

function ours(f, size, op) {
  const data = randomBytes(size);
  const token = f.encrypt(data);
  if (!f.decrypt(token).equals(data)) throw new Error('ours: round trip failed');
  return op === 'encrypt' ? () => f.encrypt(data) : () => f.decrypt(token);
}

if (process.argv[2] === '--worker' && process.send) {
  const f = new Fernet(generateKey());
  const sessions = new Map();
  process.on('message', ({ kind, size, op, seconds, total, last }) => {
    const id = `${kind} ${size} ${op}`;
    let session = sessions.get(id);
    if (!session) {
      session = new Session(kind === 'ours' ? ours(f, size, op) : nodeCryptoAlone(size, op), total * 0.15);
      sessions.set(id, session);
    }
    session.round(seconds);
    if (!last) return process.send({});
    sessions.delete(id);
    process.send({ result: session.result() });
  });
  if (sink === -1) console.log(''); // keep `sink` observable
}
