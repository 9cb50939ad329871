/**
 * `keys prune` refuses to drop keys it cannot check, and treats the edit drafts beside the configs it is
 * given like the configs; `rotate` re-encrypts those drafts, so `edit --resume` survives rotate + prune.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDraft, keepDraft, tokenId } from '../src/edit/draft.js';
import { KeyInUse, UsageError } from '../src/errors.js';
import { Fernet } from '../src/fernet/fernet.js';
import { generateKey } from '../src/fernet/key.js';
import { KeyRing } from '../src/keys/ring.js';
import { pruneKeyRing } from '../src/ops/prune.js';
import { rotateConfigs } from '../src/ops/rotate.js';
import { runCli, useTempDirs } from './helpers/cli.js';

const fresh = useTempDirs('fcfg-prune-');
const T0 = 1_700_000_000;

function setup(count = 3) {
  const d = fresh();
  const keys = Array.from({ length: count }, () => generateKey());
  const keyFile = join(d, 'secret.key');
  writeFileSync(keyFile, keys.join('\n') + '\n', { mode: 0o600 });
  const seal = (name: string, text: string, key: string) => {
    writeFileSync(join(d, name), new Fernet(key).encrypt(text, { now: T0 }) + '\n', { mode: 0o600 });
    return join(d, name);
  };
  return { d, keys, keyFile, seal };
}

describe('prune without configs to check', () => {
  it('is refused, writing nothing, unless told', async () => {
    const { keyFile } = setup();
    const before = readFileSync(keyFile, 'utf8');
    const attempt = pruneKeyRing(keyFile, { keep: 1 });
    await expect(attempt).rejects.toBeInstanceOf(UsageError);
    await attempt.catch((e: UsageError) => {
      expect(e.message).toBe(`refusing to drop 2 keys from ${keyFile} without configs to check`);
      expect(e.hint).toContain('--no-check');
    });
    expect(readFileSync(keyFile, 'utf8')).toBe(before);
    const told = await pruneKeyRing(keyFile, { keep: 1, unchecked: true });
    expect([told.written, told.dropped.length]).toEqual([true, 2]);
  });

  it('from the CLI: exit 2 and the key file unchanged; --no-check drops with a warning', () => {
    const { d, keyFile } = setup();
    const before = readFileSync(keyFile, 'utf8');
    const r = runCli(['keys', 'prune', 'secret.key', '--keep', '1'], { cwd: d });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('refusing to drop 2 keys from secret.key without configs to check [ERR_USAGE]');
    expect(readFileSync(keyFile, 'utf8')).toBe(before);
    const dry = runCli(['keys', 'prune', 'secret.key', '--keep', '1', '--dry-run'], { cwd: d });
    expect(dry.status).toBe(0);
    expect(readFileSync(keyFile, 'utf8')).toBe(before);
    const told = runCli(['keys', 'prune', 'secret.key', '--keep', '1', '--no-check'], { cwd: d });
    expect(told.status).toBe(0);
    expect(told.stderr).toContain('warning: no CONFIG was given');
    expect(readFileSync(keyFile, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});

describe('drafts beside the configs', () => {
  it.each(['config.enc.draft', 'config.enc.draft.2'])('prune refuses to drop the key %s needs', async (draftName) => {
    const { d, keys, keyFile, seal } = setup();
    const config = seal('config.enc', '{"a":1}', keys[0]!);
    seal(draftName, 'draft text', keys[2]!);
    const attempt = pruneKeyRing(keyFile, { keep: 2, configs: [config] });
    await expect(attempt).rejects.toBeInstanceOf(KeyInUse);
    await attempt.catch((e: KeyInUse) => {
      expect(e.message).toContain(`draft ${join(d, draftName)} (key #2,`);
      expect(e.hint).toBe(`re-encrypt first: fcfg rotate --key-file ${keyFile} ${config}`);
    });
    expect(readFileSync(keyFile, 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('rotate re-encrypts the drafts (text and timestamp kept), then prune keeps them readable', async () => {
    const { d, keys, keyFile, seal } = setup(2);
    const oldRing = new KeyRing([keys[1]!], 'old');
    const config = seal('config.enc', '{"a":1}', keys[1]!);
    const draftPath = keepDraft(config, '{"a": 2, not json yet', oldRing, { base: null });
    const before = readDraft(draftPath, oldRing);
    const ring = new KeyRing(keys, 'ring');
    const [result] = await rotateConfigs([config], ring);
    expect(result!.drafts).toEqual([{ path: draftPath, rotated: true, fromKey: 1 }]);
    const pruned = await pruneKeyRing(keyFile, { keep: 1, configs: [config] });
    expect(pruned.drafts).toEqual([expect.objectContaining({ path: draftPath, keyIndex: 0 })]);
    const after = readDraft(draftPath, new KeyRing([keys[0]!], 'new'));
    expect([after.text, after.base, after.timestamp]).toEqual([before.text, before.base, before.timestamp]);
    expect(readdirSync(d).sort()).toEqual(['config.enc', 'config.enc.draft', 'secret.key']);
  });

  it('a draft no key of the ring opens is left alone and does not block', async () => {
    const { keys, keyFile, seal } = setup(2);
    const config = seal('config.enc', '{"a":1}', keys[1]!);
    const stray = seal('config.enc.draft', 'x', generateKey());
    const strayBefore = readFileSync(stray, 'utf8');
    const [result] = await rotateConfigs([config], new KeyRing(keys, 'ring'));
    expect(result!.drafts).toEqual([{ path: stray, rotated: false, fromKey: -1 }]);
    expect(readFileSync(stray, 'utf8')).toBe(strayBefore);
    const warnings: string[] = [];
    await pruneKeyRing(keyFile, { keep: 1, configs: [config], onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([`draft ${stray} cannot be opened with this key ring; not checked`]);
  });

  it('end to end: keygen --add, prune refuses, rotate, prune, then edit --resume still works', () => {
    const { d, keys, seal } = setup(1);
    const config = seal('config.enc', '{"a": 1}\n', keys[0]!);
    // Made from the config as it is: the rotation below re-encrypts it (a new token, the same text),
    // which must not make the resume refuse as if someone had changed it.
    keepDraft(config, '{"a": 2}\n', new KeyRing(keys, 'ring'), { base: tokenId(readFileSync(config, 'utf8').trim()), baseText: '{"a": 1}\n' });
    const ok = (args: string[], env?: Record<string, string | undefined>) => {
      const r = runCli(args, { cwd: d, env });
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r;
    };
    ok(['keygen', '--add', 'secret.key']);
    const refused = runCli(['keys', 'prune', 'secret.key', '--keep', '1', 'config.enc'], { cwd: d });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('[ERR_KEY_IN_USE]');
    expect(refused.stderr).toContain('draft config.enc.draft (key #1,');
    const rotated = ok(['rotate', 'config.enc']);
    expect(rotated.stderr).toContain('rotated draft config.enc.draft (key #1 -> primary');
    ok(['keys', 'prune', 'secret.key', '--keep', '1', 'config.enc']);
    const tmp = join(d, 'tmp');
    mkdirSync(tmp);
    chmodSync(tmp, 0o700);
    const resumed = ok(['edit', 'config.enc', '--resume'], { EDITOR: 'true', VISUAL: undefined, FERNET_CONFIG_TMPDIR: tmp });
    expect(resumed.stderr).toContain('saved config.enc');
    expect(ok(['decrypt', 'config.enc']).stdout).toBe('{"a": 2}\n');
  });
});
