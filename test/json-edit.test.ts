import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeUtf8, firstInvalidUtf8, locateValue, parseJson, setInText, unsetInText, valueLiteral } from '../src/config/json.js';
import { MAX_DEPTH, findDuplicateKeys, parseTree, printTree, valueOf } from '../src/config/tree.js';

// Edits are compared with the exact expected text: every byte outside the edited member must survive.

const python = '{"a": 1, "b": {"c": 2.50, "d": [1, 2]}, "e": "x"}'; // json.dumps' default separators
const compact = '{"a":1,"b":{"c":2.50,"d":[1,2]},"e":"x"}'; // JSON.stringify's
const indented = '{\n    "a": 1,\n    "b": {\n        "c": 2.50,\n        "d": [1, 2]\n    },\n    "e": "x"\n}\n';
const tabs = '{\n\t"a": 1,\n\t"b": {\n\t\t"c": 2.50\n\t}\n}';
const crlf = '{\r\n  "a": 1,\r\n  "b": {}\r\n}\r\n';

const sets: [name: string, text: string, path: string, literal: string, expected: string][] = [
  ['replace a number in a one-line document', python, 'a', '12345678901234567891', '{"a": 12345678901234567891, "b": {"c": 2.50, "d": [1, 2]}, "e": "x"}'],
  ['replace a nested value', python, 'b.c', '-0', '{"a": 1, "b": {"c": -0, "d": [1, 2]}, "e": "x"}'],
  ['replace an array item', python, 'b.d.1', '1e400', '{"a": 1, "b": {"c": 2.50, "d": [1, 1e400]}, "e": "x"}'],
  ['append to an array at index = length', python, 'b.d.2', '1E+2', '{"a": 1, "b": {"c": 2.50, "d": [1, 2, 1E+2]}, "e": "x"}'],
  ['add a member, Python separators', python, 'f', '"y"', '{"a": 1, "b": {"c": 2.50, "d": [1, 2]}, "e": "x", "f": "y"}'],
  ['add nested missing objects, one line', python, 'g.h.i', '[1.50]', '{"a": 1, "b": {"c": 2.50, "d": [1, 2]}, "e": "x", "g": {"h": {"i": [1.50]}}}'],
  ['add a member, compact separators', compact, 'b.z', '100000000000000000000000', '{"a":1,"b":{"c":2.50,"d":[1,2],"z":100000000000000000000000},"e":"x"}'],
  ['replace with an object as typed', compact, 'e', '{"k": [1,  2]}', '{"a":1,"b":{"c":2.50,"d":[1,2]},"e":{"k": [1,  2]}}'],
  ['add to an indented document', indented, 'f', 'true', '{\n    "a": 1,\n    "b": {\n        "c": 2.50,\n        "d": [1, 2]\n    },\n    "e": "x",\n    "f": true\n}\n'],
  ['add nested missing objects, indented', indented, 'b.x.y', 'null', '{\n    "a": 1,\n    "b": {\n        "c": 2.50,\n        "d": [1, 2],\n        "x": {\n            "y": null\n        }\n    },\n    "e": "x"\n}\n'],
  ['replace in an indented document', indented, 'b.c', '3', '{\n    "a": 1,\n    "b": {\n        "c": 3,\n        "d": [1, 2]\n    },\n    "e": "x"\n}\n'],
  ['tabs', tabs, 'b.d', '1', '{\n\t"a": 1,\n\t"b": {\n\t\t"c": 2.50,\n\t\t"d": 1\n\t}\n}'],
  ['CRLF into an empty object', crlf, 'b.k', '"v"', '{\r\n  "a": 1,\r\n  "b": {\r\n    "k": "v"\r\n  }\r\n}\r\n'],
  ['CRLF new member', crlf, 'c', '0', '{\r\n  "a": 1,\r\n  "b": {},\r\n  "c": 0\r\n}\r\n'],
  ['empty one-line document', '{}', 'a.b', '1', '{"a": {"b": 1}}'],
  ['new file (the text set starts from)', '{\n}\n', 'a', '1', '{\n  "a": 1\n}\n'],
  ['one member, one line', '{"a":1}', 'b', '2', '{"a":1,"b":2}'],
  ['one member, indented', '{\n  "a": 1\n}', 'b', '2', '{\n  "a": 1,\n  "b": 2\n}'],
  ['empty array in a one-line document', '{"l": []}', 'l.0', '5', '{"l": [5]}'],
  ['root array', '[1, 2]', '2', '3', '[1, 2, 3]'],
  ['key with a dot', '{"a.b": 1}', 'a\\.b', '2', '{"a.b": 2}'],
  ['escaped key in the text', '{"a\\u0041": 1}', 'aA', '2', '{"a\\u0041": 2}'],
  ['numeric key on an object', '{"1": "x"}', '1', '"y"', '{"1": "y"}'],
  ['hand-made spacing is not copied', '{\n    "keep":   "as is",\n    "n" : 1\n}', 'db.port', '5', '{\n    "keep":   "as is",\n    "n" : 1,\n    "db": {\n        "port": 5\n    }\n}'],
  ['odd one-line spacing: ", " after a comma with a space, ":" after a colon without', '{"a" :1 ,  "b":2}', 'c', '3', '{"a" :1 ,  "b":2, "c":3}'],
];

const unsets: [name: string, text: string, path: string, expected: string][] = [
  ['first member, one line', python, 'a', '{"b": {"c": 2.50, "d": [1, 2]}, "e": "x"}'],
  ['middle member, one line', python, 'b', '{"a": 1, "e": "x"}'],
  ['last member, one line', python, 'e', '{"a": 1, "b": {"c": 2.50, "d": [1, 2]}}'],
  ['array item', python, 'b.d.0', '{"a": 1, "b": {"c": 2.50, "d": [2]}, "e": "x"}'],
  ['compact', compact, 'b.c', '{"a":1,"b":{"d":[1,2]},"e":"x"}'],
  ['only member', '{"a": {"b": 1}}', 'a.b', '{"a": {}}'],
  ['only member, indented', '{\n  "a": {\n    "b": 1\n  }\n}\n', 'a.b', '{\n  "a": {}\n}\n'],
  ['first member, indented', indented, 'a', '{\n    "b": {\n        "c": 2.50,\n        "d": [1, 2]\n    },\n    "e": "x"\n}\n'],
  ['last member, indented', indented, 'e', '{\n    "a": 1,\n    "b": {\n        "c": 2.50,\n        "d": [1, 2]\n    }\n}\n'],
  ['CRLF', crlf, 'a', '{\r\n  "b": {}\r\n}\r\n'],
  ['tabs', tabs, 'b.c', '{\n\t"a": 1,\n\t"b": {}\n}'],
  ['odd spacing is kept', '{ "a" : 1 ,  "b" : 2 }', 'a', '{ "b" : 2 }'],
];

describe('setInText', () => {
  it.each(sets)('%s', (_name, text, path, literal, expected) => {
    const out = setInText(text, path, literal);
    expect(out).toBe(expected);
    const span = locateValue(out, path);
    expect(out.slice(span.offset, span.end)).toBe(literal);
  });

  it('returns the same text when the literal is already there', () => {
    expect(setInText(python, 'b.c', '2.50')).toBe(python);
    // A different literal of the same number is a change: the text is what is kept.
    expect(setInText(python, 'b.c', '2.5')).toBe('{"a": 1, "b": {"c": 2.5, "d": [1, 2]}, "e": "x"}');
  });

  const refusals: [name: string, text: string, path: string, code: string, message: RegExp, hint?: RegExp][] = [
    ['past the end of an array', '{"features": [1, 2, 3]}', 'features.10', 'ERR_INVALID_PATH', /^features is an array of 3 items: index 10 is past its end$/, /^use features\.3 to append$/],
    ['not an index', '{"l": [1]}', 'l.x', 'ERR_INVALID_PATH', /^l is an array; "x" is not an index$/],
    ['through a string', '{"a": "s"}', 'a.b', 'ERR_INVALID_PATH', /^a is a string, not an object$/],
    ['through null', '{"a": null}', 'a.b', 'ERR_INVALID_PATH', /^a is null, not an object$/],
    ['a scalar document', '5', 'a', 'ERR_INVALID_PATH', /^the config is not an object or array$/],
    ['a duplicate key', '{"p": "first", "p": "second"}', 'p', 'ERR_DUPLICATE_KEY', /^config has the key p twice: repeated at line 1, column 16$/],
    ['a duplicate key elsewhere', '{"q": {"x": 1,\n "x": 2}, "p": 1}', 'p', 'ERR_DUPLICATE_KEY', /^config has the key q\.x twice: repeated at line 2, column 2$/],
    ['invalid JSON', '{"a": 1,}', 'a', 'ERR_INVALID_JSON', /trailing comma at line 1, column 9$/],
  ];
  it.each(refusals)('refuses %s', (_name, text, path, code, message, hint) => {
    let error: unknown;
    try {
      setInText(text, path, '1');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code });
    expect((error as Error).message).toMatch(message);
    if (hint) expect((error as { hint: string }).hint).toMatch(hint);
  });
});

describe('unsetInText', () => {
  it.each(unsets)('%s', (_name, text, path, expected) => {
    expect(unsetInText(text, path)).toBe(expected);
  });

  it.each([
    ['{"p": "first", "p": "second"}', 'p', 'ERR_DUPLICATE_KEY'],
    ['{"a": 1}', 'b', 'ERR_PATH_NOT_FOUND'],
    ['{"a": [1]}', 'a.1', 'ERR_PATH_NOT_FOUND'],
    ['{"a": "s"}', 'a.b', 'ERR_PATH_NOT_FOUND'],
  ])('refuses %s without %s', (text, path, code) => {
    expect(() => unsetInText(text, path)).toThrow(expect.objectContaining({ code }) as Error);
  });
});

describe('locateValue', () => {
  it('suggests a near key', () => {
    const text = '{"app": {"name": "x", "port": 1}}';
    expect(() => locateValue(text, 'app.nmae')).toThrow(expect.objectContaining({ code: 'ERR_PATH_NOT_FOUND', hint: 'did you mean app.name?' }) as Error);
    expect(() => locateValue(text, 'app.nmae.x')).toThrow(expect.objectContaining({ hint: 'did you mean app.name.x?' }) as Error);
    expect(() => locateValue(text, 'app.zzzzzz')).toThrow(expect.objectContaining({ hint: undefined }) as Error);
  });

  it('reads the last copy of a repeated key, as JSON.parse does', () => {
    const text = '{"p": {"q": 1}, "p": {"q": 2}}';
    const span = locateValue(text, 'p.q');
    expect(text.slice(span.offset, span.end)).toBe('2');
  });
});

describe('valueLiteral', () => {
  it.each([
    ['12345678901234567891', false, '12345678901234567891'],
    ['1e400', false, '1e400'],
    ['-0', false, '-0'],
    [' 1.50\n', false, '1.50'],
    ['{"a":  [1E+2]}', false, '{"a":  [1E+2]}'],
    ['hello', false, '"hello"'],
    ['NaN', false, '"NaN"'],
    ['x{', false, '"x{"'],
    ['{"a": 1,}', true, '"{\\"a\\": 1,}"'],

    ['12', true, '"12"'],
  ])('%j (string: %s) is %s', (raw, asString, expected) => {
    expect(valueLiteral(raw, asString)).toBe(expected);
  });

  // Starts like an object, an array or a string: meant as JSON, so a typo is an error, not a string.
  it.each([
    ['{"a":[1}', 1, 8],
    ['{"z": HUNTER2VAL}', 1, 7],
    ['{"a": 1,}', 1, 9],
    ['[1,', 1, 4],
    ['\n  {"a":\n  }', 3, 3],
    ['"unterminated', 1, 1],
    ['"a" b', 1, 5],
  ])('refuses %j: ERR_INVALID_JSON at line %i, column %i, with a --string hint and not the text', (raw, line, column) => {
    let error: unknown;
    try {
      valueLiteral(raw, false);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'ERR_INVALID_JSON', line, column });
    expect((error as { hint?: string }).hint).toContain('--string');
    expect((error as Error).message).not.toContain('HUNTER2VAL');
    expect(valueLiteral(raw, true)).toBe(JSON.stringify(raw));
  });

  it('refuses a VALUE that repeats a key', () => {
    expect(() => valueLiteral('{"a": 1, "a": 2}', false)).toThrow(expect.objectContaining({ code: 'ERR_DUPLICATE_KEY' }) as Error);
  });

  it('refuses a VALUE nested too deep rather than storing it as a string', () => {
    expect(() => valueLiteral('['.repeat(MAX_DEPTH + 1) + ']'.repeat(MAX_DEPTH + 1), false)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_JSON' }) as Error);
  });
});

describe('parseTree and friends', () => {
  it('keeps every literal as written', () => {
    const text = '{"n": [12345678901234567891, -0, 1e400, 1.50, 1E+2, 100000000000000000000000], "s": "a\\u0041"}';
    const tree = parseTree(text, 'x');
    expect(tree.type).toBe('object');
    if (tree.type !== 'object') return;
    const [n, s] = tree.members;
    expect(n!.value.type === 'array' && n!.value.items.map((i) => (i.type === 'number' ? i.literal : ''))).toEqual(['12345678901234567891', '-0', '1e400', '1.50', '1E+2', '100000000000000000000000']);
    expect(s).toMatchObject({ key: 's', keyOffset: text.indexOf('"s"'), keyLength: 3, offset: text.indexOf('"s"'), length: text.length - 1 - text.indexOf('"s"'), value: { type: 'string', literal: '"a\\u0041"' } });
    expect(printTree(tree)).toBe('{\n  "n": [\n    12345678901234567891,\n    -0,\n    1e400,\n    1.50,\n    1E+2,\n    100000000000000000000000\n  ],\n  "s": "a\\u0041"\n}');
  });

  it('prints a repeated key once, first place, last value (as JSON.parse reads it)', () => {
    expect(printTree(parseTree('{"a": 1, "b": 2, "a": 3}', 'x'))).toBe('{\n  "a": 3,\n  "b": 2\n}');
    expect(valueOf(parseTree('{"a": 1, "b": 2, "a": 3}', 'x'))).toEqual(JSON.parse('{"a": 1, "b": 2, "a": 3}'));
  });

  it('finds every repeated key with its position and path', () => {
    const text = '{"a": {"b.c": [{"x": 1, "x": 2}]},\n "a": 1}';
    expect(findDuplicateKeys(text)).toEqual([
      { path: 'a.b\\.c.0.x', line: 1, column: 25 },
      { path: 'a', line: 2, column: 2 },
    ]);
  });

  const invalid: [name: string, text: string, reason: RegExp][] = [
    ['NaN from Python', '{"a": NaN}', /NaN is not JSON \(Python's json\.dumps writes it .*allow_nan=False\) at line 1, column 7$/],
    ['Infinity from Python', '{\n "a": Infinity}', /Infinity is not JSON .* at line 2, column 7$/],
    ['-Infinity from Python', '[1, -Infinity]', /-Infinity is not JSON .* at line 1, column 5$/],
    ['a comment', '{} // no', /comments are not JSON at line 1, column 4$/],
    ['a trailing comma', '[1,]', /trailing comma at line 1, column 4$/],
    ['a byte-order mark', '\ufeff{}', /byte-order mark is not JSON at line 1, column 1$/],
    ['a leading zero', '[01]', /comma or close bracket expected at line 1, column 3$/],
    ['empty input', ' ', /empty input at line 1, column 2$/],
    ['deep nesting', '['.repeat(100_000) + ']'.repeat(100_000), new RegExp(`nested deeper than ${MAX_DEPTH} levels at line 1, column ${MAX_DEPTH + 1}$`)],
  ];
  it.each(invalid)('refuses %s with ERR_INVALID_JSON and a position', (_name, text, reason) => {
    for (const parse of [() => parseTree(text, 'x'), () => parseJson(text, 'x'), () => findDuplicateKeys(text, 'x'), () => setInText(text, 'a', '1'), () => locateValue(text, 'a')]) {
      expect(parse).toThrow(expect.objectContaining({ code: 'ERR_INVALID_JSON', message: expect.stringMatching(reason) as string }) as Error);
    }
  });

  it('accepts nesting up to the limit', () => {
    const text = '['.repeat(MAX_DEPTH) + ']'.repeat(MAX_DEPTH);
    expect(parseJson(text, 'x')).toBeDefined();
    expect(parseTree(text, 'x').type).toBe('array');
  });
});

describe('UTF-8', () => {
  it.each([
    [[0x70, 0xe4, 0x73, 0x73], 1], // Latin-1 "päss"
    [[0x61, 0xc3], 1], // truncated sequence
    [[0xc0, 0xaf], 0], // overlong "/"
    [[0x61, 0xed, 0xa0, 0x80], 1], // UTF-16 surrogate
    [[0xf4, 0x90, 0x80, 0x80], 0], // above U+10FFFF
    [[0x61, 0x62, 0xff], 2],
  ])('%j fails at byte %i', (bytes, offset) => {
    const data = Uint8Array.from(bytes);
    expect(firstInvalidUtf8(data)).toBe(offset);
    expect(() => decodeUtf8(data, 'in')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_UTF8', offset, message: `in is not UTF-8 text: invalid byte sequence at byte offset ${offset}` }) as Error);
  });

  it('decodes valid UTF-8', () => {
    expect(decodeUtf8(new TextEncoder().encode('pässwörd 🔑'), 'in')).toBe('pässwörd 🔑');
  });
});

// A random JSON value as literal text: numbers in the spellings a double cannot keep.
const numberLiteral = fc.oneof(
  fc.constantFrom('12345678901234567891', '-0', '1e400', '1.50', '1E+2', '100000000000000000000000', '0', '-1.0e-7'),
  fc.tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.nat(99)).map(([i, f]) => `${i}.${String(f).padStart(2, '0')}`),
);
const literal: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberLiteral,
    fc.string().map((s) => JSON.stringify(s)),
    fc.constantFrom('true', 'false', 'null'),
    fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`),
    fc.dictionary(fc.string({ maxLength: 4 }), tie('value'), { maxKeys: 3 }).map((o) => `{${Object.entries(o).map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(', ')}}`),
  ),
})).value;
const key = fc.string({ minLength: 1, maxLength: 4 }).filter((k) => !k.includes('.') && !k.includes('\\'));

describe('set then get round-trips the literal text (property)', () => {
  it('in one-line and indented documents, existing and new paths', () => {
    fc.assert(
      fc.property(fc.dictionary(key, literal, { maxKeys: 5 }), fc.array(key, { minLength: 1, maxLength: 3 }), literal, fc.boolean(), (members, path, value, indent) => {
        const entries = Object.entries(members).map(([k, v]) => `${JSON.stringify(k)}: ${v}`);
        const text = indent ? `{\n  ${entries.join(',\n  ')}\n}\n` : `{${entries.join(', ')}}`;
        const dotted = path.join('.');
        let out: string;
        try {
          out = setInText(text, dotted, value);
        } catch (e) {
          // Only a path through a scalar or an array (keys are not indexes) may be refused.
          expect(e).toMatchObject({ code: 'ERR_INVALID_PATH' });
          return;
        }
        const span = locateValue(out, dotted);
        expect(out.slice(span.offset, span.end)).toBe(value);
        expect(findDuplicateKeys(out)).toEqual([]);
        // Everything else reads as before.
        const before = JSON.parse(text) as Record<string, unknown>;
        const after = JSON.parse(out) as Record<string, unknown>;
        let node: Record<string, unknown> = before;
        for (const seg of path.slice(0, -1)) {
          if (!Object.hasOwn(node, seg)) node[seg] = {};
          node = node[seg] as Record<string, unknown>;
        }
        node[path[path.length - 1]!] = JSON.parse(value);
        expect(after).toEqual(before);
        // Unset takes the document back when the member was new.
        if (!text.includes(JSON.stringify(path[0]))) expect(unsetInText(out, path[0]!)).toBe(indent && entries.length === 0 ? '{}\n' : text);
      }),
      { numRuns: 150 },
    );
  });
});
