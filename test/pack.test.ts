import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, REPO, removeDir, tempDir } from './helpers/cli.js';

// The package as users get it: `npm pack`, installed into an empty project. Checks the `files`
// whitelist, the bins, the exports map and the types — things no in-repo test can see.
let dir: string;
let app: string;
let tarball: string;

const npm = (args: string[], cwd: string) =>
  execFileSync('npm', args, { cwd, env: cleanEnv({ npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' }), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

beforeAll(() => {
  dir = tempDir('fcfg-pack-');
  // dist/ was built by `npm test`; --ignore-scripts skips building it twice.
  const out = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], REPO);
  const info = JSON.parse(out) as [{ filename: string; files: { path: string }[] }];
  tarball = join(dir, info[0].filename);
  app = join(dir, 'app');
  execFileSync('mkdir', [app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
  npm(['install', '--prefer-offline', '--no-package-lock', tarball], app);
}, 240_000);
afterAll(() => removeDir(dir));

describe('the packed package', () => {
  it('ships only what it should', () => {
    const out = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(out).toContain('package/dist/cli/main.js');
    expect(out).toContain('package/dist/src/index.js');
    expect(out).toContain('package/dist/src/index.d.ts');
    expect(out).toContain('package/README.md');
    expect(out.some((f) => f.startsWith('package/test/') || f.startsWith('package/src/') || f.endsWith('.key'))).toBe(false);
  });

  it('installs both bins, and they work end to end', () => {
    const bin = join(app, 'node_modules/.bin');
    expect(readdirSync(bin)).toEqual(expect.arrayContaining(['fernet-config', 'fcfg']));
    const run = (cmd: string, args: string[], input?: string) =>
      spawnSync(join(bin, cmd), args, { cwd: app, env: cleanEnv(), encoding: 'utf8', input: input ?? '' });
    expect(run('fernet-config', ['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(run('fcfg', ['keygen']).status).toBe(0);
    expect(statSync(join(app, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(run('fcfg', ['encrypt', '-', '-o', 'config.enc'], '{"db":{"password":"pw"}}').status).toBe(0);
    expect(run('fcfg', ['set', 'config.enc', 'db.port', '5432']).status).toBe(0);
    expect(run('fcfg', ['get', 'config.enc', 'db.port']).stdout).toBe('5432\n');
    const bad = run('fcfg', ['get', 'config.enc']);
    expect(bad.status).toBe(2);
    expect(JSON.parse(run('fcfg', ['decrypt', 'config.enc']).stdout)).toEqual({ db: { password: 'pw', port: 5432 } });
  });

  it('imports from the package root with types', () => {
    writeFileSync(
      join(app, 'check.mjs'),
      `import { Fernet, MultiFernet, generateKey, InvalidToken } from 'fernet-config';
       const f = new Fernet(generateKey());
       const t = f.encrypt('hi');
       let code; try { new MultiFernet([new Fernet(generateKey())]).decrypt(t); } catch (e) { code = e instanceof InvalidToken && e.code; }
       console.log(f.decryptText(t), code);`,
    );
    expect(execFileSync(process.execPath, ['check.mjs'], { cwd: app, encoding: 'utf8' }).trim()).toBe('hi ERR_INVALID_TOKEN');
    const pkg = JSON.parse(readFileSync(join(app, 'node_modules/fernet-config/package.json'), 'utf8')) as { exports: Record<string, { types: string }> };
    const types = pkg.exports['.']!.types;
    expect(readFileSync(join(app, 'node_modules/fernet-config', types), 'utf8')).toContain('Fernet');
    // The declarations type-check in a consumer project (a Node project: it has Node's types).
    writeFileSync(
      join(app, 'use.ts'),
      `import { Fernet, MultiFernet, generateKey, type DecryptOptions } from 'fernet-config';\n` +
        `const o: DecryptOptions = { ttl: 60 };\n` +
        `const ring = new MultiFernet([new Fernet(generateKey())]);\n` +
        `export const n: number = ring.extractTimestamp(ring.encrypt('x'));\n` +
        `export const text: string = ring.decryptText(ring.encrypt('x'), o);\n`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, typeRoots: [join(REPO, 'node_modules/@types')], types: ['node'] },
        files: ['use.ts'],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: app, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});
