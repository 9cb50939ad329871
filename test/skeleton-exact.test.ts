import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { skeletonText, skeletonTextOf, skeletonTextOfFile } from '../src/edit/skeleton.js';
import { useTempDirs } from './helpers/cli.js';

const fresh = useTempDirs('fcfg-skeleton-');

// [name, schema text, skeleton text]
const CASES: [string, string, string][] = [
  [
    'defaults, consts and enums keep their literals',
    '{"type": "object", "required": ["id", "limit", "ratio", "unit", "n"], "properties": {' +
      '"id": {"type": "integer", "default": 12345678901234567891}, "limit": {"const": 1e400}, "ratio": {"enum": [1.50, 2]},' +
      '"unit": {"default": {"scale": 1E+2, "zero": -0, "big": [100000000000000000000000]}}, "n": {"type": "integer"}}}',
    '{\n  "id": 12345678901234567891,\n  "limit": 1e400,\n  "ratio": 1.50,\n  "unit": {\n    "scale": 1E+2,\n    "zero": -0,\n    "big": [\n      100000000000000000000000\n    ]\n  },\n  "n": 0\n}',
  ],
  [
    'a "__proto__" property is an ordinary key',
    '{"type": "object", "required": ["__proto__"], "properties": {"__proto__": {"default": 1}}}',
    '{\n  "__proto__": 1\n}',
  ],
  ['refs and allOf are followed', '{"$defs": {"p": {"default": 9007199254740993}}, "allOf": [{"properties": {"a": {"$ref": "#/$defs/p"}}}]}', '{\n  "a": 9007199254740993\n}'],
];

describe('the edit skeleton keeps numbers as the schema writes them', () => {
  it.each(CASES)('%s', (_name, schema, expected) => {
    expect(skeletonTextOf(schema, 'schema')).toBe(expected + '\n');
    // Without the text (a parsed schema), the same layout as before.
    expect(skeletonText(JSON.parse(schema))).toBe(JSON.stringify(JSON.parse(expected), null, 2) + '\n');
  });

  it('reads a schema file; bad JSON is ERR_INVALID_SCHEMA, a missing file a file error', () => {
    const d = fresh();
    writeFileSync(join(d, 's.json'), '\ufeff{"properties": {"a": {"default": 1e400}}}');
    expect(skeletonTextOfFile(join(d, 's.json'))).toBe('{\n  "a": 1e400\n}\n');
    writeFileSync(join(d, 'bad.json'), '{"a": }');
    expect(() => skeletonTextOfFile(join(d, 'bad.json'))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_SCHEMA' }));
    expect(() => skeletonTextOfFile(join(d, 'none.json'))).toThrow(expect.objectContaining({ code: 'ERR_FILE_NOT_FOUND' }));
  });
});
