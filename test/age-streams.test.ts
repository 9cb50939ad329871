/**
 * dist/age.cjs runs age-encryption's own code on in-memory stand-ins for ReadableStream, TransformStream
 * and Response (scripts/age-web-streams.mjs). Plumbing, but it carries every byte of a ring: the same
 * inputs go through the bundle and through the unmodified package, and must give the same plaintext or
 * the same failure. Sizes sit on age's 64 KiB STREAM chunk boundaries; the damaged files cover the
 * header, a stanza, each payload chunk, truncation at every boundary and trailing data; the crafted ones
 * reach the flush() failures (an empty final chunk, a missing last-chunk flag). Runs against the build.
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Transformer } from 'node:stream/web';
import * as pkg from 'age-encryption';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSshRecipient, sshIdentityFromFile } from '../src/age/ssh.js';
import { REPO, useTempDirs } from './helpers/cli.js';

type Age = typeof pkg;
const bundle = createRequire(import.meta.url)(join(REPO, 'dist', 'age.cjs')) as Age;
const fresh = useTempDirs('fcfg-age-streams-');

const CHUNK = 64 * 1024;
const TAG = 16;
const SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5];
const KINDS = ['x25519', 'pq', 'passphrase', 'ssh-ed25519', 'ssh-rsa'] as const;
type Kind = (typeof KINDS)[number];

/** A recipient and an identity of one kind, usable by both libraries (SSH ones are our own objects). */
interface Pair {
  addRecipient(e: InstanceType<Age['Encrypter']>): void;
  addIdentity(d: InstanceType<Age['Decrypter']>): void;
}
const pairs = {} as Record<Kind, Pair>;

beforeAll(async () => {
  const x = await pkg.generateX25519Identity();
  const pq = await pkg.generateHybridIdentity();
  const [xr, pqr] = [await pkg.identityToRecipient(x), await pkg.identityToRecipient(pq)];
  pairs.x25519 = { addRecipient: (e) => e.addRecipient(xr), addIdentity: (d) => d.addIdentity(x) };
  pairs.pq = { addRecipient: (e) => e.addRecipient(pqr), addIdentity: (d) => d.addIdentity(pq) };
  pairs.passphrase = {
    addRecipient: (e) => {
      e.setPassphrase('correct horse');
      e.setScryptWorkFactor(10);
    },
    addIdentity: (d) => d.addPassphrase('correct horse'),
  };
  const d = fresh();
  for (const [kind, args] of [
    ['ssh-ed25519', ['-t', 'ed25519']],
    ['ssh-rsa', ['-t', 'rsa', '-b', '2048']],
  ] as const) {
    const file = join(d, kind);
    const r = spawnSync('ssh-keygen', ['-q', ...args, '-N', '', '-C', 'c', '-f', file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const recipient = parseSshRecipient(readFileSync(`${file}.pub`, 'utf8').trim());
    const identity = await sshIdentityFromFile(readFileSync(file, 'utf8'));
    pairs[kind] = { addRecipient: (e) => e.addRecipient(recipient), addIdentity: (d2) => d2.addIdentity(identity) };
  }
}, 120_000);

const plaintext = (n: number) => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + (i >> 16)) & 0xff;
  return out;
};

async function encrypt(lib: Age, kind: Kind, data: Uint8Array): Promise<Uint8Array> {
  const e = new lib.Encrypter();
  pairs[kind].addRecipient(e);
  return e.encrypt(data);
}

/**
 * A failure's message, with the AEAD's own named alike: they differ by implementation (noble's in the
 * package, OpenSSL's through node:crypto in the bundle, for a wrong tag and for a chunk shorter than one).
 */
const failure = (e: unknown) => {
  const message = (e as Error).message;
  return { error: /invalid tag|unable to authenticate|shorter than the tag|expected length >= tagLength/i.test(message) ? 'AEAD failure' : message };
};

/** What decrypting gives: the plaintext, or the failure. */
async function outcome(lib: Age, kind: Kind, file: Uint8Array): Promise<{ ok: string } | { error: string }> {
  const d = new lib.Decrypter();
  pairs[kind].addIdentity(d);
  try {
    return { ok: Buffer.from(await d.decrypt(file)).toString('hex') };
  } catch (e) {
    return failure(e);
  }
}

describe('the bundle and the package agree', () => {
  const cases = KINDS.flatMap((kind) => SIZES.map((size) => [kind, size] as const));

  it.each(cases)('%s, %i bytes: each decrypts what either encrypts', async (kind, size) => {
    const data = plaintext(size);
    const want = { ok: Buffer.from(data).toString('hex') };
    for (const from of [pkg, bundle]) {
      const file = await encrypt(from, kind, data);
      expect(await outcome(pkg, kind, file)).toEqual(want);
      expect(await outcome(bundle, kind, file)).toEqual(want);
    }
  });

  /** Where a file made of `size` bytes of plaintext may be damaged, by what it does to the bytes. */
  const header = (f: Buffer) => f.indexOf('\n--- ') + 1;
  const payload = (f: Buffer) => f.indexOf('\n', header(f)) + 1 + 16;
  const flip = (at: (f: Buffer) => number) => (f: Buffer) => {
    const out = Buffer.from(f);
    out[at(f)]! ^= 0x01;
    return out;
  };
  const DAMAGE: [string, (f: Buffer) => Buffer][] = [
    ['the version line', flip(() => 3)],
    ['the header MAC', flip((f) => header(f) + 4)],
    ['the stanza type', flip((f) => f.indexOf('-> ') + 3)],
    ['the stanza body', flip((f) => f.indexOf('\n', f.indexOf('-> ')) + 1)],
    ['the nonce', flip((f) => payload(f) - 1)],
    ['the first payload chunk', flip((f) => payload(f))],
    ['the second payload chunk', flip((f) => Math.min(payload(f) + CHUNK + TAG + 7, f.length - 1))],
    ['the last byte', flip((f) => f.length - 1)],
    ['cut inside the header', (f) => f.subarray(0, header(f) - 5)],
    ['cut after the header', (f) => f.subarray(0, payload(f) - 16)],
    ['cut inside the nonce', (f) => f.subarray(0, payload(f) - 3)],
    ['cut after the nonce', (f) => f.subarray(0, payload(f))],
    ['cut one byte', (f) => f.subarray(0, f.length - 1)],
    ['cut at the first chunk boundary', (f) => f.subarray(0, Math.min(payload(f) + CHUNK + TAG, f.length - 1))],
    ['a trailing byte', (f) => Buffer.concat([f, Buffer.from([0])])],
    ['a trailing tag-sized block', (f) => Buffer.concat([f, Buffer.alloc(TAG)])],
    ['the last chunk repeated', (f) => Buffer.concat([f, f.subarray(Math.max(payload(f), f.length - TAG - 5))])],
  ];
  const damaged = ['x25519', 'ssh-ed25519'].flatMap((kind) =>
    [0, 1, CHUNK, 3 * CHUNK + 5].flatMap((size) => DAMAGE.map(([what, damage]) => [kind as Kind, size, what, damage] as const)),
  );

  it.each(damaged)('%s, %i bytes, %s: the same failure', async (kind, size, _, damage) => {
    const file = damage(Buffer.from(await encrypt(pkg, kind, plaintext(size))));
    const want = await outcome(pkg, kind, file);
    expect(want).toHaveProperty('error');
    expect(await outcome(bundle, kind, file)).toEqual(want);
  });
});

describe('crafted payloads (a test recipient that shows the file key)', () => {
  // A recipient type of this test only: the file key in the clear, so the payload can be written here.
  let fileKey = new Uint8Array(0);
  const recipient = (lib: Age) => ({ wrapFileKey: async (k: Uint8Array) => ((fileKey = k.slice()), [new lib.Stanza(['test-clear'], k.slice())]) });
  const identity = { unwrapFileKey: async (stanzas: pkg.Stanza[]) => stanzas.find((s) => s.args[0] === 'test-clear')?.body ?? null };

  /** The header and nonce of a real file, then the given chunks: [plaintext, last flag]. */
  async function craft(chunks: [Uint8Array, boolean][]): Promise<Uint8Array> {
    const e = new pkg.Encrypter();
    e.addRecipient(recipient(pkg));
    const real = Buffer.from(await e.encrypt(new Uint8Array(0)));
    const start = real.indexOf('\n', real.indexOf('\n--- ') + 1) + 1;
    const nonce = real.subarray(start, start + 16);
    const key = Buffer.from(hkdfSync('sha256', fileKey, nonce, 'payload', 32));
    const parts: Buffer[] = [real.subarray(0, start + 16)];
    chunks.forEach(([text, last], i) => {
      const n = Buffer.alloc(12);
      n.writeUIntBE(i, 5, 6);
      n[11] = last ? 1 : 0;
      const c = createCipheriv('chacha20-poly1305', key, n, { authTagLength: TAG });
      parts.push(c.update(text), c.final(), c.getAuthTag());
    });
    return Buffer.concat(parts);
  }

  async function both(file: Uint8Array) {
    const run = async (lib: Age) => {
      const d = new lib.Decrypter();
      d.addIdentity(identity);
      try {
        return { ok: Buffer.from(await d.decrypt(file)).toString('hex') };
      } catch (e) {
        return failure(e);
      }
    };
    const want = await run(pkg);
    expect(await run(bundle)).toEqual(want);
    return want;
  }

  const full = randomBytes(CHUNK);
  it.each([
    ['one empty last chunk: the empty file', [[new Uint8Array(0), true]], { ok: '' }],
    ['a full chunk, then an empty last chunk', [[full, false], [new Uint8Array(0), true]], { error: 'final chunk is empty' }],
    ['a full chunk, then a short last one', [[full, false], [Buffer.from('end'), true]], { ok: Buffer.concat([full, Buffer.from('end')]).toString('hex') }],
    ['no last flag anywhere', [[full, false], [Buffer.from('end'), false]], { error: 'AEAD failure' }],
    ['the last flag on the first of two', [[full, true], [Buffer.from('end'), true]], { error: 'AEAD failure' }],
    ['a short chunk before the last', [[Buffer.from('short'), false], [Buffer.from('end'), true]], { error: 'AEAD failure' }],
  ] as [string, [Uint8Array, boolean][], object][])('%s', async (_, chunks, want) => {
    expect(await both(await craft(chunks))).toEqual(want);
  });

  it('a file the bundle writes to a custom recipient opens with the package', async () => {
    const e = new bundle.Encrypter();
    e.addRecipient(recipient(bundle));
    const data = plaintext(2 * CHUNK + 3);
    const file = await e.encrypt(data);
    const d = new pkg.Decrypter();
    d.addIdentity(identity);
    expect(Buffer.from(await d.decrypt(file)).equals(Buffer.from(data))).toBe(true);
  });
});

describe('the bundle takes bytes only', () => {
  it.each([
    ['decrypt', async () => new bundle.Decrypter().decrypt(new ReadableStream() as never)],
    ['encrypt', async () => new bundle.Encrypter().encrypt(new ReadableStream() as never)],
  ])('%s refuses a stream by name', async (_, call) => {
    await expect(call()).rejects.toThrow(/pass a Uint8Array, not a stream/);
  });

  it('text output decodes as Response.text() does', async () => {
    const id = await bundle.generateX25519Identity();
    const e = new bundle.Encrypter();
    e.addRecipient(await bundle.identityToRecipient(id));
    const file = await e.encrypt(Uint8Array.from([0x68, 0xff, 0x69]));
    for (const lib of [pkg, bundle]) {
      const d = new lib.Decrypter();
      d.addIdentity(id);
      expect(await d.decrypt(file, 'text')).toBe('h\ufffdi');
    }
  });
});

describe("the stand-ins against Node's web streams, scenario by scenario", () => {
  // The module as built into dist/age.cjs; a plain JavaScript file, so typed here by what it stands in for.
  const STAND_INS = join(REPO, 'scripts', 'age-web-streams.mjs');
  interface Streams {
    ReadableStream: typeof ReadableStream;
    TransformStream: typeof TransformStream;
  }
  const enc = (s: string) => new TextEncoder().encode(s);
  const dec = (c: unknown) => new TextDecoder().decode(c as Uint8Array);
  const source = (S: Streams, ...parts: string[]) =>
    new S.ReadableStream<Uint8Array>({
      start(c) {
        for (const p of parts) c.enqueue(enc(p));
        c.close();
      },
    });
  /** Every chunk as text, or the failure's message. */
  async function drain(r: ReadableStreamDefaultReader<Uint8Array>): Promise<string[]> {
    const out: string[] = [];
    try {
      for (;;) {
        const { done, value } = await r.read();
        if (done) return out;
        out.push(dec(value));
      }
    } catch (e) {
      return [...out, `error: ${(e as Error).message}`];
    }
  }
  const upper = (S: Streams, extra: Transformer<Uint8Array, Uint8Array> = {}) =>
    new S.TransformStream<Uint8Array, Uint8Array>({ transform: (c, ctl) => ctl.enqueue(enc(dec(c).toUpperCase())), ...extra });

  const SCENARIOS: [string, (S: Streams) => Promise<unknown>][] = [
    ['chunks pass through a transform', async (S) => drain(source(S, 'a', 'b').pipeThrough(upper(S)).getReader())],
    ['start() enqueues before the piped chunks', async (S) => drain(source(S, 'x').pipeThrough(new S.TransformStream({ start: (c) => c.enqueue(enc('head')) })).getReader())],
    [
      'reads issued at once resolve in order',
      async (S) => {
        const r = source(S, 'a', 'b', 'c').pipeThrough(upper(S)).getReader();
        return (await Promise.all([r.read(), r.read(), r.read(), r.read()])).map((x) => (x.done ? 'done' : dec(x.value)));
      },
    ],
    ['a throw in transform rejects the read', async (S) => drain(source(S, 'a', 'bad', 'c').pipeThrough(upper(S, { transform: (c, ctl) => (dec(c) === 'bad' ? (() => { throw new Error('bad chunk'); })() : ctl.enqueue(c)) })).getReader())],
    ['a throw in flush rejects the last read', async (S) => drain(source(S, 'a').pipeThrough(upper(S, { flush: () => { throw new Error('final chunk is empty'); } })).getReader())],
    ['flush enqueues after the last chunk', async (S) => drain(source(S, 'a').pipeThrough(upper(S, { flush: (ctl) => ctl.enqueue(enc('end')) })).getReader())],
    ['terminate() ends the output early', async (S) => drain(source(S, 'a', 'b').pipeThrough(upper(S, { transform: (c, ctl) => { ctl.enqueue(c); ctl.terminate(); } })).getReader())],
    ['controller.error() rejects the read', async (S) => drain(source(S, 'a', 'b').pipeThrough(upper(S, { transform: (_, ctl) => ctl.error(new Error('stop')) })).getReader())],
    ['an empty source gives only flush', async (S) => drain(source(S).pipeThrough(upper(S, { flush: (ctl) => ctl.enqueue(enc('only')) })).getReader())],
    [
      'release, then read the rest through another pipe',
      async (S) => {
        const s = source(S, 'a', 'b', 'c');
        const r = s.getReader();
        const first = dec((await r.read()).value);
        r.releaseLock();
        return [first, ...(await drain(s.pipeThrough(upper(S)).getReader()))];
      },
    ],
    [
      'a locked stream refuses a second reader and a pipe',
      async (S) => {
        const s = source(S, 'a');
        s.getReader();
        const refused = (f: () => unknown) => {
          try {
            f();
            return 'accepted';
          } catch (e) {
            return (e as Error).name;
          }
        };
        return [s.locked, refused(() => s.getReader()), refused(() => s.pipeThrough(upper(S)))];
      },
    ],
    ['pull() feeds a stream on demand', async (S) => {
      let n = 0;
      const s = new S.ReadableStream<Uint8Array>({ pull: (c) => (n < 3 ? c.enqueue(enc(String(n++))) : c.close()) });
      return drain(s.getReader());
    }],
    [
      'reads issued at once wait for each pull() in turn',
      async (S) => {
        let n = 0;
        let active = 0;
        let most = 0;
        // Later pulls finish sooner, so pulls run side by side would also enqueue out of order.
        const s = new S.ReadableStream<Uint8Array>({
          pull: async (c) => {
            const i = n++;
            if (i === 3) return c.close();
            most = Math.max(most, ++active);
            await new Promise((resolve) => setTimeout(resolve, 30 - 10 * i));
            active--;
            c.enqueue(enc(String(i)));
          },
        });
        const r = s.getReader();
        const got = (await Promise.all([r.read(), r.read(), r.read(), r.read()])).map((x) => (x.done ? 'done' : dec(x.value)));
        return { got, pullsAtOnce: most };
      },
    ],
    ['a pull() that throws errors the stream', async (S) => drain(new S.ReadableStream<Uint8Array>({ pull: () => { throw new Error('pull failed'); } }).getReader())],
  ];

  it.each(SCENARIOS)('%s', async (_, scenario) => {
    const shim = (await import(STAND_INS)) as Streams;
    const node = { ReadableStream: globalThis.ReadableStream, TransformStream: globalThis.TransformStream };
    expect(await scenario(shim)).toEqual(await scenario(node));
  });
});
