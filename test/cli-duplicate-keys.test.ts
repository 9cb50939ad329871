import { describe, expect, it } from 'vitest';
import { mayRepeatKeys } from '../cli/values.js';
import { findDuplicateKeys } from '../src/config/tree.js';

// get and decrypt skip findDuplicateKeys when mayRepeatKeys says a text cannot repeat a key. The one thing
// that must hold: whenever findDuplicateKeys finds a repeat, mayRepeatKeys says so. And on texts without
// repeats it says no, or the skip would save nothing.
const texts: [string, string][] = [
  ['no keys', '[1, "a", null, true]'],
  ['flat', '{"a": 1, "b": "x"}'],
  ['repeat', '{"a": 1, "a": 2}'],
  ['nested repeat', '{"a": {"b": 1, "c": [{"d": 1, "d": 2}]}}'],
  ['same key in two objects', '{"a": {"x": 1}, "b": {"x": 1}}'],
  ['escaped spelling of one key', '{"a": 1, "\\u0061": 2}'],
  ['a colon inside a string value', '{"a": "b\\" : c", "d": "\\\\"}'],
  ['a key ending in a backslash', '{"a\\\\": 1, "b": "\\\\\\"\\":"}'],
  ['whitespace before the colon', '{"a"\n\t :1, "b" \r\n: {"a" : 2}}'],
  ['__proto__ once', '{"__proto__": {"x": 1}, "y": 2}'],
  ['__proto__ twice', '{"__proto__": 1, "__proto__": 2}'],
  ['an empty key twice', '{"": 1, "": 2}'],
  ['a repeat whose values are equal', '{"a": {"b": 1}, "a": {"b": 1}}'],
  ['strings that look like keys in an array', '["a", ":", "b:1"]'],
  ['unicode', '{"é": "ü", "😀": {"é": 1}, "\\u00e9x": 2}'],
];

describe('mayRepeatKeys: the cheap test before the duplicate-key scan', () => {
  it.each(texts)('%s', (_name, text) => {
    const repeats = findDuplicateKeys(text).length > 0;
    expect(mayRepeatKeys(text, JSON.parse(text))).toBe(repeats);
  });

  it('a long string value (no backtracking per character)', () => {
    const text = JSON.stringify({ blob: 'x'.repeat(5_000_000) + '\\"', a: 1 });
    expect(mayRepeatKeys(text, JSON.parse(text))).toBe(false);
  });
});
