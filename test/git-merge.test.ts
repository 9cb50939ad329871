import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, parseLiteral, type Literal } from '../src/git/canonical.js';
import { jsonEqual, mergedText, mergeJson, pathSegment } from '../src/git/merge.js';

const lit = (v: unknown): Literal => parseLiteral(JSON.stringify(v), 'test value');

// Table-driven: [name, base, ours, theirs, merged, conflicting paths].
const CASES: [string, unknown, unknown, unknown, unknown, string[]][] = [
  ['different keys', { a: 1, b: 2 }, { a: 9, b: 2 }, { a: 1, b: 8 }, { a: 9, b: 8 }, []],
  ['same change on both sides', { a: 1 }, { a: 2 }, { a: 2 }, { a: 2 }, []],
  ['same key, different values', { a: 1 }, { a: 2 }, { a: 3 }, { a: 2 }, ['a']],
  ['nested keys merge independently', { db: { host: 'h', port: 1 } }, { db: { host: 'x', port: 1 } }, { db: { host: 'h', port: 2 } }, { db: { host: 'x', port: 2 } }, []],
  ['deleted on one side, untouched on the other', { a: 1, b: 2 }, { b: 2 }, { a: 1, b: 3 }, { b: 3 }, []],
  ['deleted on both sides', { a: 1, b: 2 }, { b: 2 }, { b: 2 }, { b: 2 }, []],
  ['deleted on ours, changed on theirs', { a: 1 }, {}, { a: 2 }, {}, ['a']],
  ['changed on ours, deleted on theirs', { a: 1 }, { a: 2 }, {}, { a: 2 }, ['a']],
  ['added on both sides, equal', {}, { n: [1] }, { n: [1] }, { n: [1] }, []],
  ['added on both sides, different', {}, { n: 1 }, { n: 2 }, { n: 1 }, ['n']],
  ['keys only one side added', { a: 1 }, { a: 1, x: 1 }, { a: 1, y: 2 }, { a: 1, x: 1, y: 2 }, []],
  ['arrays are whole values', { l: [1, 2] }, { l: [1, 2, 3] }, { l: [0, 1, 2] }, { l: [1, 2, 3] }, ['l']],
  ['type change against a change inside', { o: { a: 1 } }, { o: 'flat' }, { o: { a: 2 } }, { o: 'flat' }, ['o']],
  ['dots in keys are escaped in paths', { 'a.b': 1 }, { 'a.b': 2 }, { 'a.b': 3 }, { 'a.b': 2 }, ['a\\.b']],
  ['root replaced on both sides', [1], [2], [3], [2], ['']],
];

describe('three-way JSON merge', () => {
  it.each(CASES)('%s', (_name, base, ours, theirs, merged, paths) => {
    const r = mergeJson(base, ours, theirs, true);
    expect(r.value).toEqual(merged);
    expect(r.conflicts.map((c) => c.path)).toEqual(paths);
  });

  it('without a common ancestor, every difference conflicts and the rest merges', () => {
    const r = mergeJson(undefined, { a: 1, same: true, o: 1 }, { a: 2, same: true, t: 1 }, false);
    expect(r.value).toEqual({ a: 1, same: true, o: 1, t: 1 });
    expect(r.conflicts).toEqual([{ path: 'a', kind: 'both-added' }]);
  });

  it('reports the kind of each conflict', () => {
    const r = mergeJson({ a: 1, b: 1, c: 1 }, { a: 2, c: 2 }, { a: 3, b: 2 }, true);
    expect(r.conflicts).toEqual([
      { path: 'a', kind: 'both-changed' },
      { path: 'c', kind: 'deleted-theirs' },
      { path: 'b', kind: 'deleted-ours' },
    ]);
  });

  it('a "__proto__" key is data, not a prototype', () => {
    const base = JSON.parse('{"__proto__":{"x":1}}');
    const ours = JSON.parse('{"__proto__":{"x":1},"a":1}');
    const theirs = JSON.parse('{"__proto__":{"x":2}}');
    const r = mergeJson(base, ours, theirs, true);
    expect(Object.getPrototypeOf(r.value)).toBe(Object.prototype);
    expect(Object.hasOwn(r.value as object, '__proto__')).toBe(true);
    expect(canonicalJson(r.value)).toBe('{\n  "__proto__": {\n    "x": 2\n  },\n  "a": 1\n}\n');
    expect(pathSegment('a.b\\c')).toBe('a\\.b\\\\c');
  });

  const json = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
  const obj = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), json, { maxKeys: 4 });

  it('properties: one-sided changes win, identical sides agree, no conflicts when one side is the base', () => {
    fc.assert(
      fc.property(obj, obj, (base, theirs) => {
        const r = mergeJson(base, base, theirs, true);
        return r.conflicts.length === 0 && jsonEqual(r.value, theirs);
      }),
    );
    fc.assert(
      fc.property(obj, obj, (base, ours) => {
        const r = mergeJson(base, ours, ours, true);
        return r.conflicts.length === 0 && jsonEqual(r.value, ours);
      }),
    );
    fc.assert(
      fc.property(obj, obj, obj, (base, ours, theirs) => {
        // Swapping the sides finds the same conflicting paths.
        const a = mergeJson(base, ours, theirs, true).conflicts.map((c) => c.path).sort();
        const b = mergeJson(base, theirs, ours, true).conflicts.map((c) => c.path).sort();
        return JSON.stringify(a) === JSON.stringify(b);
      }),
    );
  });

  it('the merged text keeps our formatting and changes only what merged in', () => {
    const ours = '{\n    "b": 1,   "a": {"x": 1},\n    "keep": "as is"\n}\n';
    const merged = { b: 2, a: { x: 1, y: true }, keep: 'as is' };
    const text = mergedText(ours, lit(merged));
    expect(JSON.parse(text)).toEqual(merged);
    expect(text).toContain('"keep": "as is"\n}');
    expect(text.startsWith('{\n    "b": 2,')).toBe(true);
    expect(mergedText(ours, lit(JSON.parse(ours)))).toBe(ours);
    fc.assert(
      fc.property(obj, obj, (a, b) => {
        const text = JSON.stringify(a, null, 3);
        return jsonEqual(JSON.parse(mergedText(text, lit(b))), b);
      }),
    );
  });

  it('canonical JSON is independent of key order', () => {
    const reorder = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(reorder);
      if (v === null || typeof v !== 'object') return v;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).reverse()) Object.defineProperty(out, k, { value: reorder((v as Record<string, unknown>)[k]), enumerable: true });
      return out;
    };
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => canonicalJson(v) === canonicalJson(reorder(v))));
    expect(canonicalJson({ b: 1, a: { d: 1, c: 2 } })).toBe('{\n  "a": {\n    "c": 2,\n    "d": 1\n  },\n  "b": 1\n}\n');
  });
});
