import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fernet } from '../src/fernet/fernet.js';
import { canonicalLiteral, parseLiteral } from '../src/git/canonical.js';
import { jsonEqual, mergedText, mergeJson } from '../src/git/merge.js';
import { makeKeyFile } from './helpers/cli.js';
import { useGitSandbox } from './helpers/git.js';
import { runPython } from './helpers/python.js';

const sb = useGitSandbox('fcfg-git-exact-');
const { git, cli, repo } = sb;

// [key, literal before, literal after, a different literal after]: every change is one a double
// cannot see (or that JSON.parse + JSON.stringify would print the same on both sides).
const CHANGES: [string, string, string, string][] = [
  ['a', '12345678901234567891', '12345678901234567892', '12345678901234567893'],
  ['b', '-0', '0', '-0.0'],
  ['c', '1e400', '1e401', '-1e400'],
  ['d', '1.50', '1.5', '1.500'],
  ['e', '1E+2', '100', '1e2'],
  ['f', '100000000000000000000000', '100000000000000000000001', '99999999999999999999999'],
];

/** A Python-style one-line document (json.dumps's separators) of the table's column `col`, plus extras. */
function doc(col: 1 | 2 | 3, extra = ''): string {
  return '{' + CHANGES.map((c) => `"${c[0]}": ${c[col]}`).join(', ') + extra + '}';
}

/** A repository with the drivers set up and `config.enc` committed from `text`. */
function setup(text: string) {
  const d = repo();
  const { keys } = makeKeyFile(d, 'secret.key');
  const f = new Fernet(keys[0]!);
  writeFileSync(join(d, '.gitignore'), '*.key\n');
  const write = (t: string) => writeFileSync(join(d, 'config.enc'), f.encrypt(t) + '\n');
  write(text);
  expect(cli(d, ['git-setup']).status).toBe(0);
  git(d, ['add', '-A']);
  git(d, ['commit', '-qm', 'base']);
  const read = () => f.decryptText(readFileSync(join(d, 'config.enc'), 'utf8').trim());
  return { d, key: keys[0]!, write, read };
}

/** Python's cryptography encrypts `text` (the bytes Python writes, for the duplicate-key cases). */
function pythonEncrypt(text: string, key: string): string {
  return runPython('import sys; from cryptography.fernet import Fernet; k, t = sys.stdin.read().split("\\n", 1); print(Fernet(k.encode()).encrypt(t.encode()).decode())', `${key}\n${text}`).trim();
}

describe('textconv shows every value exactly', () => {
  it('canonical text keeps each literal as written', () => {
    expect(canonicalLiteral(parseLiteral(doc(1, ', "s": "\\u0041"'), 't'))).toBe('{\n' + CHANGES.map((c) => `  "${c[0]}": ${c[1]},\n`).join('') + '  "s": "A"\n}\n');
  });

  it('with a redactor, masked places print the mask and the rest keeps its literals', () => {
    const literal = parseLiteral('{"a": 12345678901234567891, "pw": {"x": 1e400}, "s": "[redacted]", "l": [1.50, "k"]}', 't');
    const shown = { a: 12345678901234567891, pw: '[redacted]', s: '[redacted]', l: [1.5, '[redacted]'] };
    expect(canonicalLiteral(literal, { value: shown, mask: '[redacted]' })).toBe(
      '{\n  "a": 12345678901234567891,\n  "l": [\n    1.50,\n    "[redacted]"\n  ],\n  "pw": "[redacted]",\n  "s": "[redacted]"\n}\n',
    );
  });

  it('git diff shows a change of each literal, and nothing else', () => {
    const s = setup(doc(1, ', "same": 1'));
    s.write(doc(2, ', "same": 1'));
    const diff = git(s.d, ['diff']).stdout;
    for (const [k, before, after] of CHANGES) {
      expect(diff).toContain(`\n-  "${k}": ${before},\n`);
      expect(diff).toContain(`\n+  "${k}": ${after},\n`);
    }
    expect(diff.match(/^[-+] /gm)).toHaveLength(2 * CHANGES.length);
  });

  it('a repeated key (written by Python): the diff shows the copy readers use, with a warning', () => {
    const d = repo();
    const { keys } = makeKeyFile(d, 'secret.key');
    writeFileSync(join(d, 'c.enc'), pythonEncrypt('{"p": "first", "n": {"q": 1, "q": 2}, "p": "second"}', keys[0]!) + '\n');
    const r = cli(d, ['textconv', 'c.enc']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('{\n  "n": {\n    "q": 2\n  },\n  "p": "second"\n}\n');
    expect(r.stderr).toBe(
      'fernet-config: warning: c.enc: the key n.q appears more than once (again at line 1, column 30); the diff shows the last one, which readers use\n' +
        'fernet-config: warning: c.enc: the key p appears more than once (again at line 1, column 39); the diff shows the last one, which readers use\n',
    );
  });
});

describe('merges compare values exactly', () => {
  // [file, base, ours, theirs, expected: the merged text, or 'refused' (ours kept, no merge)].
  // One repository, one `git merge`: git runs the driver once per file.
  const CASES: [string, string, string, string, string | 'refused', string[]][] = [
    // The issue: ours changes x, theirs changes big; both are kept.
    ['issue.enc', '{"big": 12345678901234567891, "x": 1}', '{"big": 12345678901234567891, "x": 2}', '{"big": 12345678901234567892, "x": 1}', '{"big": 12345678901234567892, "x": 2}', []],
    // A change of each literal on one side is kept, in our one-line style.
    ['one-side.enc', doc(1, ', "x": 1'), doc(1, ', "x": 2'), doc(2, ', "x": 1'), doc(2, ', "x": 2'), []],
    // Different changes of each literal on both sides conflict (our values stay).
    ['both.enc', doc(1), doc(2), doc(3), doc(2), CHANGES.map((c) => c[0])],
    // The same change on both sides is no conflict.
    ['same.enc', doc(1, ', "x": 1'), doc(2, ', "x": 1'), doc(2, ', "x": 1'), doc(2, ', "x": 1'), []],
    // A side with a repeated key (theirs, written by Python) is refused.
    ['dup.enc', '{"p": "a", "x": 1}', '{"p": "a", "x": 2}', '{"p": "first", "p": "second", "x": 1}', 'refused', []],
  ];
  let run: { d: string; key: string; stderr: string; status: number | null; oursTokens: Map<string, string> } | undefined;
  const merged = () => {
    if (run) return run;
    const d = repo();
    const { keys } = makeKeyFile(d, 'secret.key');
    const f = new Fernet(keys[0]!);
    const write = (file: string, t: string, python = false) => writeFileSync(join(d, file), (python ? pythonEncrypt(t, keys[0]!) : f.encrypt(t)) + '\n');
    writeFileSync(join(d, '.gitignore'), '*.key\n');
    for (const [file, base] of CASES) write(file, base);
    expect(cli(d, ['git-setup']).status).toBe(0);
    git(d, ['add', '-A']);
    git(d, ['commit', '-qm', 'base']);
    git(d, ['checkout', '-qb', 'feature']);
    for (const [file, , , theirs] of CASES) write(file, theirs, file === 'dup.enc');
    git(d, ['commit', '-qam', 'theirs']);
    git(d, ['checkout', '-q', 'main']);
    for (const [file, , ours] of CASES) write(file, ours);
    git(d, ['commit', '-qam', 'ours']);
    const oursTokens = new Map(CASES.map(([file]) => [file, readFileSync(join(d, file), 'utf8')]));
    const r = git(d, ['merge', '--no-edit', 'feature'], true);
    run = { d, key: keys[0]!, stderr: r.stderr, status: r.status, oursTokens };
    return run;
  };

  it('the merge as a whole fails (there are conflicts), and says nothing of any value', () => {
    const r = merged();
    expect(r.status).not.toBe(0);
    expect(r.stderr).not.toMatch(/first|second|1234567890123456789/);
  });

  it('Python reads the merged file and writes back the same text (its ints are exact too)', () => {
    const r = merged();
    const out = runPython(
      'import sys, json; from cryptography.fernet import Fernet; k, p = sys.stdin.read().split("\\n")[:2]; print(json.dumps(json.loads(Fernet(k.encode()).decrypt(open(p, "rb").read().strip()))))',
      `${r.key}\n${join(r.d, 'issue.enc')}\n`,
    );
    expect(out).toBe('{"big": 12345678901234567892, "x": 2}\n');
  });

  it.each(CASES)('%s', (file, _base, _ours, _theirs, expected, conflicts) => {
    const r = merged();
    const text = readFileSync(join(r.d, file), 'utf8');
    if (expected === 'refused') {
      expect(text).toBe(r.oursTokens.get(file));
      expect(r.stderr).toContain(`their version of ${file} has the key p twice`);
      expect(r.stderr).toContain('[ERR_DUPLICATE_KEY]');
      return;
    }
    expect(new Fernet(r.key).decryptText(text.trim())).toBe(expected);
    const status = git(r.d, ['status', '--porcelain', '--', file]).stdout;
    if (conflicts.length === 0) {
      // Merged and staged (or, when the result is ours, not even changed).
      expect(status === '' || status === `M  ${file}\n`).toBe(true);
    } else {
      expect(status).toBe(`UU ${file}\n`);
      expect(r.stderr).toContain(`${file}: ${conflicts.length} conflicting values`);
      for (const path of conflicts) expect(r.stderr).toContain(`  ${path}: changed differently on both sides`);
    }
  });
});

describe('merged text is spliced into ours', () => {
  // [name, ours, merged (JSON text), expected text]
  const CASES: [string, string, string, string][] = [
    ['one line: a value changes in place', '{"a": 1, "b": [1, 2], "c": "x"}', '{"a": 1, "b": [1, 2, 3], "c": "x"}', '{"a": 1, "b": [1, 2, 3], "c": "x"}'],
    ['one line: compact separators are kept', '{"a":1,"b":{"c":2}}', '{"a":1,"b":{"c":2,"d":[1,{"e":null}]},"z":1e400}', '{"a":1,"b":{"c":2,"d":[1,{"e":null}]},"z":1e400}'],
    ['one line: a member removed with one separator', '{"a": 1, "b": 2, "c": 3}', '{"a": 1, "c": 3}', '{"a": 1, "c": 3}'],
    ['one line: the last member removed', '{"a": 1, "b": 2, "c": 3}', '{"a": 1, "b": 2}', '{"a": 1, "b": 2}'],
    ['one line: the last two removed, one added', '{"a": 1, "b": 2, "c": 3}', '{"a": 1, "n": -0}', '{"a": 1, "n": -0}'],
    ['one line: everything replaced', '{"a": 1}', '{"b": 2}', '{"b": 2}'],
    [
      'indented: untouched members keep their bytes, new ones indent like their siblings',
      '{\n    "b": 1,   "a": {"x": 1},\n    "keep":   "as is",\n    "o": {\n        "p": 1\n    }\n}\n',
      '{"b": 2, "a": {"x": 1, "y": true}, "keep": "as is", "o": {"p": 1, "q": {"r": [1]}}, "n": 12345678901234567891}',
      '{\n    "b": 2,   "a": {"x": 1, "y": true},\n    "keep":   "as is",\n    "o": {\n        "p": 1,\n        "q": {\n            "r": [\n                1\n            ]\n        }\n    },\n    "n": 12345678901234567891\n}\n',
    ],
    ['indented: a member removed from the middle', '{\n  "a": 1,\n  "b": 2,\n  "c": 3\n}', '{"a": 1, "c": 3}', '{\n  "a": 1,\n  "c": 3\n}'],
    ['CRLF and tabs', '{\r\n\t"a": 1\r\n}\r\n', '{"a": 1, "b": {"c": 2}}', '{\r\n\t"a": 1,\r\n\t"b": {\r\n\t\t"c": 2\r\n\t}\r\n}\r\n'],
    ['a replaced root', '[1, 2]', '{"a": 1}', '{"a": 1}'],
  ];
  it.each(CASES)('%s', (_name, ours, merged, expected) => {
    expect(mergedText(ours, parseLiteral(merged, 'merged'))).toBe(expected);
  });

  it('property: the result reads back as the merged value; a one-line document stays on one line', () => {
    const key = fc.constantFrom('a', 'b', 'c', '__proto__', 'd.e');
    const scalar = fc.oneof(fc.constantFrom('12345678901234567891', '-0', '1e400', '1.50', '1E+2', 'true', 'null', '"s"', '"\\u0041"'), fc.integer().map(String));
    const literal: fc.Arbitrary<string> = fc.letrec<{ v: string }>((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('v'), { maxLength: 3 }).map((xs) => `[${xs.join(', ')}]`), fc.uniqueArray(fc.tuple(key, tie('v')), { maxLength: 4, selector: (t) => t[0] }).map((ms) => `{${ms.map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(', ')}}`)),
    })).v;
    const object = fc.uniqueArray(fc.tuple(key, literal), { maxLength: 4, selector: (t) => t[0] }).map((ms) => `{${ms.map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(', ')}}`);
    const indented = (t: string, unit: string) => JSON.stringify(JSON.parse(t), null, unit);
    fc.assert(
      fc.property(object, object, fc.constantFrom('one-line', '  ', '\t'), (oursOneLine, mergedSource, style) => {
        // Indented variants are made by JSON.stringify, so only from documents whose numbers survive it.
        const ours = style === 'one-line' ? oursOneLine : indented(oursOneLine.replace(/12345678901234567891|1e400/g, '7'), style);
        const merged = parseLiteral(mergedSource, 'merged');
        const text = mergedText(ours, merged);
        if (!jsonEqual(parseLiteral(text, 'result'), merged)) return false;
        return style !== 'one-line' || !text.includes('\n');
      }),
      { numRuns: 300 },
    );
  });

  it('three-way merge of literals: 1.50 and 1.5 are different values, "\\u0041" and "A" the same', () => {
    const lit = (t: string) => parseLiteral(t, 't');
    expect(mergeJson(lit('{"a": 1.50, "b": "A"}'), lit('{"a": 1.5, "b": "\\u0041"}'), lit('{"a": 1.50, "b": "B"}')).value).toEqual(lit('{"a": 1.5, "b": "B"}'));
    expect(mergeJson(lit('{"a": 1.50}'), lit('{"a": 1.5}'), lit('{"a": 1.500}')).conflicts).toEqual([{ path: 'a', kind: 'both-changed' }]);
  });
});

describe('check reports repeated keys', () => {
  it('path, line and column of each repeat in a config Python wrote; no value', () => {
    const d = repo();
    const { keys } = makeKeyFile(d, 'secret.key');
    writeFileSync(join(d, '.gitignore'), '*.key\n');
    writeFileSync(join(d, 'dup.enc'), pythonEncrypt('{\n  "p": "first-s3cr3t",\n  "a.b": {"c": 1, "c": 2},\n  "p": "second-s3cr3t"\n}', keys[0]!) + '\n');
    writeFileSync(join(d, 'ok.enc'), new Fernet(keys[0]!).encrypt('{"p": 1}') + '\n');
    const r = cli(d, ['check', '--json']);
    expect(r.status).toBe(1);
    const problems = (JSON.parse(r.stdout) as { problems: { check: string; path: string; message: string }[] }).problems;
    expect(problems.map((p) => [p.check, p.path, p.message])).toEqual([
      ['duplicate-key', 'dup.enc', 'has the key a\\.b.c more than once (again at line 3, column 19)'],
      ['duplicate-key', 'dup.enc', 'has the key p more than once (again at line 4, column 3)'],
    ]);
    expect(r.stdout).not.toContain('s3cr3t');
  });
});
