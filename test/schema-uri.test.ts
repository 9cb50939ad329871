import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileSchema, createAjv } from '../src/schema/compile.js';
import { compileStandalone } from '../src/schema/standalone.js';
import { fastUriFormat, uriFastPath, withoutBracketAlternatives } from '../src/schema/uri-fast-path.js';
import { useTempDirs } from './helpers/cli.js';

const require = createRequire(import.meta.url);
const FORMATS_PATH = require.resolve('ajv-formats/dist/formats');
const ajvUri = (require(FORMATS_PATH) as { fullFormats: { uri: (s: string) => boolean } }).fullFormats.uri;
const fresh = useTempDirs('fcfg-uri-');

describe('withoutBracketAlternatives', () => {
  // [regular expression source, what is left of it, or null when nothing may be removed]
  const cases: Array<[string, string | null]> = [
    ['^(?:\\[a\\]|b)$', '^(?:b)$'],
    ['^(?:b|\\[a\\])$', '^(?:b)$'],
    ['^(?:b|\\[a\\]|c)$', '^(?:b|c)$'],
    ['^(?:\\[a\\]|\\[b\\]|c)$', '^(?:c)$'],
    ['\\[a\\]|b', 'b'],
    ['^x(?:\\[(?:1|2)\\]|y(?:z|\\[w\\]))+$', '^x(?:y(?:z))+$'],
    ['^(?:\\[a\\]|b)(?:c|\\[d\\])?$', '^(?:b)(?:c)?$'],
    ['^(?:[[]a|b)$', null], // a character class, not the literal alone
    ['^(?:\\[?a|b)$', null], // the bracket is optional
    ['^(?:\\[*a|b)$', null],
    ['^(?:\\[{0,2}a|b)$', null],
    ['^(?:\\[a\\])$', null], // the only alternative: removing it would match the empty string
    ['^(?:(\\[a\\])|b)$', null], // a capturing group would be renumbered
    ['^(?:\\[(a)\\]|b)$', null],
    ['^(?:\\[a\\]|(?<n>b))$', null],
    ['^(?:\\[a\\]|b)\\1$', null], // backreferences
    ['^(?:\\[a\\]|b)\\k<n>$', null],
    ['^(?:\\[a\\]|b$', null], // unbalanced
    ['^(?:a|b)$', null], // nothing to remove
    ['^(?:\\\\[a|b)$', null], // an escaped backslash, then a class
    ['^(?=\\[a|b)c|d$', '^(?=b)c|d$'], // lookahead alternatives too
    ['^(?:x\\(\\[a|b)$', null], // an escaped parenthesis is not a group
  ];
  it.each(cases)('%s', (source, expected) => {
    const out = withoutBracketAlternatives(source);
    expect(out ?? null).toBe(expected);
    if (out !== undefined) expect(() => new RegExp(out)).not.toThrow();
  });

  it('gives the same answer as the whole expression on any string without "["', () => {
    // Small expressions and strings over a small alphabet, so that matches are frequent.
    const atom = fc.constantFrom('a', 'b', '\\[', '\\]', '[ab]', '.', 'a*', '\\[b\\]', '(?:a|\\[b)');
    const alternative = fc.array(atom, { minLength: 1, maxLength: 4 }).map((parts) => parts.join(''));
    const group = fc.array(alternative, { minLength: 2, maxLength: 4 }).map((alts) => `(?:${alts.join('|')})`);
    const source = fc.array(fc.oneof(atom, group), { minLength: 1, maxLength: 4 }).map((parts) => `^${parts.join('')}$`);
    fc.assert(
      fc.property(source, fc.array(fc.string({ unit: fc.constantFrom('a', 'b', ']', 'c') }), { maxLength: 20 }), (src, inputs) => {
        const reduced = withoutBracketAlternatives(src);
        if (reduced === undefined) return;
        const whole = new RegExp(src);
        const part = new RegExp(reduced);
        for (const s of inputs) expect(part.test(s), `${src} → ${reduced} on ${JSON.stringify(s)}`).toBe(whole.test(s));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('uri, in the modules compile-schema writes and in ajv at run time', () => {
  const URI_SCHEMA = { type: 'string', format: 'uri' };
  let standaloneUri: (s: string) => boolean;
  const runtime = compileSchema(URI_SCHEMA);
  const runtimeUri = (s: string) => runtime(s) as boolean;
  beforeAll(async () => {
    const file = join(fresh(), 'uri.mjs');
    writeFileSync(file, compileStandalone(URI_SCHEMA, 'uri schema').js);
    const validate = ((await import(pathToFileURL(file).href)) as { default: (data: unknown) => boolean }).default;
    standaloneUri = (s) => validate(s);
  });

  it('takes the fast path with the installed ajv-formats (fails if an update changes its shape)', () => {
    const text = readFileSync(FORMATS_PATH, 'utf8');
    expect(uriFastPath(text)).toContain('fcfgUriWithoutIpLiteral');
    expect(fastUriFormat(text, ajvUri)).toBeTypeOf('function');
    expect(compileStandalone(URI_SCHEMA, 's').js).toContain('fcfgUriWithoutIpLiteral');
    const format = (createAjv(URI_SCHEMA).formats as Record<string, unknown>).uri;
    expect(format).toBeTypeOf('function');
    expect(format).not.toBe(ajvUri);
  });

  it('leaves a module of another shape alone', () => {
    const other = 'const URI = /^a$/;\nconst NOT_URI_FRAGMENT = /x/;\nfunction uri(str) { return URI.test(str); }';
    expect(uriFastPath(other)).toBeUndefined();
    expect(fastUriFormat(other, ajvUri)).toBeUndefined();
  });

  // RFC 3986's own examples and the host forms the IP-literal alternative covers, valid and not.
  const examples = [
    'ftp://ftp.is.co.za/rfc/rfc1808.txt', 'http://www.ietf.org/rfc/rfc2396.txt', 'ldap://[2001:db8::7]/c=GB?objectClass?one',
    'mailto:John.Doe@example.com', 'news:comp.infosystems.www.servers.unix', 'tel:+1-816-555-1212', 'telnet://192.0.2.16:80/',
    'urn:oasis:names:specification:docbook:dtd:xml:4.1.2', 'https://[::1]:8443/api', 'https://[fe80::1%25eth0]/', 'http://[v1.fe80::a+en1]/',
    'http://[::ffff:192.0.2.1]/', 'http://[1:2:3:4:5:6:7:8]/', 'http://[1:2:3:4:5:6:7:8:9]/', 'http://[::1', 'http://[]/', 'http://[x]/',
    'https://svc-1.internal:8443/api?q=[1]', 'https://a.b/#frag[1]', 'http://user:pa%20ss@host/p', 'http://host/%zz', 'relative/path',
    '//no-scheme.example', 'https://exa mple.com', '', 'a:', 'a:b[', ':', '1http://x',
  ];
  it.each(examples)('%s', (s) => {
    expect(standaloneUri(s)).toBe(ajvUri(s));
    expect(runtimeUri(s)).toBe(ajvUri(s));
  });

  it('agrees with ajv-formats on generated URIs and near-URIs', () => {
    const hex = fc.stringMatching(/^[0-9a-fA-F]{1,4}$/);
    const host = fc.oneof(
      fc.domain(),
      fc.ipV4(),
      fc.ipV6().map((ip) => `[${ip}]`),
      fc.tuple(hex, fc.stringMatching(/^[a-z0-9.:]{1,6}$/)).map(([v, rest]) => `[v${v}.${rest}]`),
      fc.array(hex, { minLength: 1, maxLength: 9 }).map((parts) => `[${parts.join(':')}]`),
      fc.string({ unit: fc.constantFrom('[', ']', ':', 'a', '1', '.', '%', '2') }),
    );
    const uri = fc
      .tuple(
        fc.constantFrom('http', 'https', 'HTTPS', 'urn', 'a+b.c-d', '1x', ''),
        fc.constantFrom('://', ':', ':/', '//', ''),
        fc.option(fc.constantFrom('user@', 'u:p@', 'a%20b@', '[x]@'), { nil: '' }),
        host,
        fc.option(fc.integer({ min: 0, max: 99999 }).map((p) => `:${p}`), { nil: '' }),
        fc.string({ unit: fc.constantFrom('/', 'a', '%2F', '%zz', '[', ']', ' ', '@', ':', '.') }),
        fc.option(fc.string({ unit: fc.constantFrom('?', '=', '&', 'x', '[', '/') }).map((q) => `?${q}`), { nil: '' }),
        fc.option(fc.string({ unit: fc.constantFrom('#', 'x', '[', ']', '/') }).map((f) => `#${f}`), { nil: '' }),
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(uri, fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.string()), (s) => {
        expect(standaloneUri(s), JSON.stringify(s)).toBe(ajvUri(s));
        expect(runtimeUri(s), JSON.stringify(s)).toBe(ajvUri(s));
      }),
      { numRuns: 5000 },
    );
  });
});
