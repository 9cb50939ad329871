import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
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

/** A folder of the installed app with a key, config.enc (from `plaintext`) and schema.json compiled to `validator`, made by the installed fcfg. */
function seedLoaderApp(name: string, schema: object, plaintext: string, validator: string): string {
  const work = join(app, name);
  execFileSync('mkdir', [work]);
  writeFileSync(join(work, 'schema.json'), JSON.stringify(schema));
  const fcfg = (args: string[], input = '') => spawnSync(join(app, 'node_modules/.bin/fcfg'), args, { cwd: work, env: cleanEnv(), encoding: 'utf8', input });
  expect(fcfg(['keygen']).status).toBe(0);
  expect(fcfg(['encrypt', '-', '-o', 'config.enc'], plaintext).status).toBe(0);
  if (validator !== '-') expect(fcfg(['compile-schema', 'schema.json', '-o', validator]).status).toBe(0);
  return work;
}

describe('the packed package', () => {
  it('ships only what it should', () => {
    const out = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(out).toContain('package/dist/cli/main.js');
    expect(out).toContain('package/dist/src/index.js');
    expect(out).toContain('package/dist/src/index.d.ts');
    expect(out).toContain('package/README.md');
    expect(out).toContain('package/dist/fernet-config.mjs');
    // The chunks the root loads on first use (scripts/bundle-lib.mjs).
    for (const file of ['age.cjs', 'ssh.cjs', 'ops.cjs', 'schema.cjs'].map((c) => `fernet-config-${c}`).concat('fernet-config.mjs')) {
      expect(out).toContain(`package/dist/${file}`);
      expect(out).toContain(`package/dist/${file}.map`);
    }
    expect(out).toContain('package/dist/ajv.cjs');
    expect(out).toContain('package/dist/ajv.cjs.LICENSES.txt');
    expect(out.some((f) => f.startsWith('package/test/') || f.startsWith('package/src/') || f.endsWith('.key'))).toBe(false);
  });

  // package.json's `files` names most of dist/ file by file (the age bundles, the chunks, dist/package.json):
  // a file the build adds and the list forgets is missing from every install, and found only there.
  it('ships every file the build writes to dist/', () => {
    const packed = new Set(execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean));
    const walk = (dir: string): string[] => readdirSync(join(REPO, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(`${dir}/${e.name}`) : [`${dir}/${e.name}`]));
    const built = walk('dist');
    expect(built).toEqual(expect.arrayContaining(['dist/age-open.cjs', 'dist/age.cjs', 'dist/package.json']));
    expect(built.filter((f) => !packed.has(`package/${f}`))).toEqual([]);
    // Nor the build machine's directories: esbuild names modules by their paths, which must be relative.
    expect(built.filter((f) => readFileSync(join(REPO, f), 'utf8').includes(REPO))).toEqual([]);
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

  it("the README's quick start and compile-schema recipes start from files the package ships", () => {
    const quick = join(app, 'quick');
    execFileSync('mkdir', [quick]);
    symlinkSync(join(app, 'node_modules'), join(quick, 'node_modules'));
    const readme = readFileSync(join(app, 'node_modules/fernet-config/README.md'), 'utf8');
    const copies = readme.split('\n').filter((l) => /^(mkdir -p [\w ./-]+ && )?cp node_modules\/fernet-config\//.test(l)).map((l) => l.replace(/\s+#.*$/, ''));
    expect(copies).toHaveLength(2);
    for (const line of copies) expect(spawnSync('sh', ['-c', line], { cwd: quick, encoding: 'utf8' }).stderr).toBe('');
    const fcfg = (args: string[]) => spawnSync(join(app, 'node_modules/.bin/fcfg'), args, { cwd: quick, env: cleanEnv(), encoding: 'utf8', input: '' });
    // The quick start as written, then one compile-schema recipe.
    expect(fcfg(['keygen']).status).toBe(0);
    expect(fcfg(['encrypt', 'config.json']).status).toBe(0);
    expect(fcfg(['get', 'config.enc', 'database.password']).stdout).toBe('correct horse battery staple\n');
    expect(fcfg(['set', 'config.enc', 'database.port', '5433']).status).toBe(0);
    // Into src/, as the recipes write it: the README's mkdir line made it.
    const compiled = fcfg(['compile-schema', 'schemas/config.schema.json', '-o', 'src/validate.mjs']);
    expect(compiled.stderr).not.toContain('fernet-config:');
    expect(compiled.status).toBe(0);
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
    // The declarations type-check in a consumer project that has @types/node installed but does not list it:
    // `types: []` is what TypeScript 6+ does by default, so index.d.ts must pull Node's types in itself.
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
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, typeRoots: [join(REPO, 'node_modules/@types')], types: [] },
        files: ['use.ts'],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: app, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    // tsc over the package's declarations takes over a minute on a loaded 2-core machine.
  }, 240_000);
  it('runs every command of the later issues from the install: edit, rotation, status, run, git and CI', () => {
    const bin = join(app, 'node_modules/.bin');
    const work = join(app, 'ops');
    execFileSync('mkdir', [work]);
    const env = cleanEnv({ HOME: work, GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C' });
    const run = (args: string[], extra: Record<string, string> = {}) =>
      spawnSync(join(bin, 'fcfg'), args, { cwd: work, env: { ...env, ...extra }, encoding: 'utf8', input: '' });
    const ok = (args: string[], extra?: Record<string, string>) => {
      const r = run(args, extra);
      expect(r.stderr.includes('ERR_') ? r.stderr : '', args.join(' ')).toBe('');
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r;
    };
    const git = (...args: string[]) => execFileSync('git', args, { cwd: work, env, encoding: 'utf8' });

    git('init', '-q', '-b', 'main');
    git('config', 'user.name', 'Test');
    git('config', 'user.email', 'test@example.invalid');
    writeFileSync(join(work, '.gitignore'), '*.key\n');
    ok(['keygen']);
    ok(['set', 'config.enc', 'db.port', '5432']);

    // edit, with a script for an editor
    writeFileSync(join(work, 'editor.mjs'), "import { readFileSync, writeFileSync } from 'node:fs';\nconst f = process.argv[2];\nconst c = JSON.parse(readFileSync(f, 'utf8'));\nc.db.user = 'edited';\nwriteFileSync(f, JSON.stringify(c, null, 2));\n");
    ok(['edit', 'config.enc'], { EDITOR: `${process.execPath} ${join(work, 'editor.mjs')}` });
    expect(ok(['get', 'config.enc', 'db.user']).stdout).toBe('edited\n');

    // rotation and status
    ok(['keygen', '--add']);
    expect(JSON.parse(ok(['status', 'config.enc', '--json']).stdout)).toBeTruthy();
    ok(['rotate', 'config.enc']);
    ok(['keys', 'prune', 'secret.key', '--keep', '1', 'config.enc']);
    expect(readFileSync(join(work, 'secret.key'), 'utf8').trim().split('\n')).toHaveLength(1);

    // run: the config as environment variables of another program
    const child = run(['run', 'config.enc', '--', process.execPath, '-e', 'process.exit(process.env.APP_DB__PORT === "5432" ? 7 : 1)']);
    expect(child.status).toBe(7);

    // git: diffs through textconv, check, scan
    ok(['git-setup']);
    git('add', '-A');
    git('commit', '-qm', 'init');
    ok(['set', 'config.enc', 'db.port', '6543']);
    expect(git('diff', 'config.enc')).toContain('+    "port": 6543');
    ok(['check']);
    // the merge driver: two branches changing different keys merge cleanly, still encrypted
    git('commit', '-qam', 'port');
    git('checkout', '-qb', 'feature');
    ok(['set', 'config.enc', 'db.user', 'feature-user']);
    git('commit', '-qam', 'user');
    git('checkout', '-q', 'main');
    ok(['set', 'config.enc', 'db.name', 'shop']);
    git('commit', '-qam', 'name');
    git('merge', '-q', '--no-edit', 'feature');
    expect(readFileSync(join(work, 'config.enc'), 'utf8')).toMatch(/^gAAAAA/);
    expect(JSON.parse(ok(['get', 'config.enc', 'db']).stdout)).toMatchObject({ port: 6543, user: 'feature-user', name: 'shop' });
    writeFileSync(join(work, 'leak.txt'), `fernet_key = "${readFileSync(join(work, 'secret.key'), 'utf8').trim()}"\n`);
    const scan = run(['scan', 'leak.txt']);
    expect(scan.status).toBe(1);
    expect(scan.stdout + scan.stderr).not.toContain(readFileSync(join(work, 'secret.key'), 'utf8').trim());
  });

  it('loads config at runtime from the install, with a precompiled validator and without ajv', () => {
    const schema = { type: 'object', properties: { db: { type: 'object', properties: { port: { type: 'integer', default: 5432 }, password: { type: 'string', sensitive: true } }, required: ['password'] } }, required: ['db'] };
    const work = seedLoaderApp('loader', schema, '{"db":{"password":"pw-123"}}', 'validate.js');
    writeFileSync(
      join(work, 'app.mjs'),
      `import { createRequire } from 'node:module';
       import { loadConfigSync, redact } from 'fernet-config';
       import validate from './validate.js';
       const config = loadConfigSync({ path: 'config.enc', validate });
       const loadedAjv = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/ajv/'));
       console.log(JSON.stringify({ port: config.db.port, frozen: Object.isFrozen(config.db), redacted: redact(config, validate).db.password, loadedAjv }));`,
    );
    const out = JSON.parse(execFileSync(process.execPath, ['app.mjs'], { cwd: work, env: cleanEnv(), encoding: 'utf8' }));
    expect(out).toEqual({ port: 5432, frozen: true, redacted: '[redacted]', loadedAjv: false });
  });

  // The README's three compile-schema recipes, each in its own app (own package.json, the install above).
  describe('compile-schema recipes: ES module, CommonJS and TypeScript apps', () => {
    const schema = { type: 'object', properties: { db: { type: 'object', properties: { port: { type: 'integer', default: 5432 }, password: { type: 'string', sensitive: true } }, required: ['password'] } }, required: ['db'] };
    const recipeApp = (name: string, pkg: object): string => {
      const work = seedLoaderApp(name, schema, '{"db":{"password":"pw-123"}}', '-');
      writeFileSync(join(work, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, ...pkg }));
      execFileSync('mkdir', [join(work, 'src')]);
      return work;
    };
    const fcfg = (work: string, args: string[]) => spawnSync(join(app, 'node_modules/.bin/fcfg'), args, { cwd: work, env: cleanEnv(), encoding: 'utf8' });
    const node = (work: string, file: string) => spawnSync(process.execPath, [file], { cwd: work, env: cleanEnv(), encoding: 'utf8' });

    it('ES module app ("type": "module"): -o src/validate.js writes an ES module', () => {
      const work = recipeApp('esm-app', { type: 'module' });
      const c = fcfg(work, ['compile-schema', 'schema.json', '-o', 'src/validate.js']);
      expect(c.status, c.stderr).toBe(0);
      expect(c.stderr).toContain('(ES module:');
      writeFileSync(
        join(work, 'src/main.js'),
        "import { loadConfigSync } from 'fernet-config';\nimport { validate } from './validate.js';\nconst config = loadConfigSync({ path: 'config.enc', validate });\nconsole.log(config.db.port);\n",
      );
      const r = node(work, 'src/main.js');
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('5432\n');
    });

    it('CommonJS app (no "type"): -o src/validate.js writes CommonJS, and require() loads it', () => {
      const work = recipeApp('cjs-app', {});
      const c = fcfg(work, ['compile-schema', 'schema.json', '-o', 'src/validate.js']);
      expect(c.status, c.stderr).toBe(0);
      expect(c.stderr).toContain('(CommonJS:');
      writeFileSync(
        join(work, 'src/main.js'),
        "const { loadConfigSync } = require('fernet-config');\nconst { validate } = require('./validate.js');\nconst config = loadConfigSync({ path: 'config.enc', validate });\nconsole.log(config.db.port);\n",
      );
      const r = node(work, 'src/main.js');
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('5432\n');
      // .cjs and .mjs are what their names say, whatever package.json says.
      expect(fcfg(work, ['compile-schema', 'schema.json', '-o', 'src/v.mjs']).status).toBe(0);
      expect(fcfg(work, ['compile-schema', 'schema.json', '-o', 'src/v.cjs']).status).toBe(0);
      writeFileSync(join(work, 'src/both.mjs'), "import { validate as a } from './v.mjs';\nimport { validate as b } from './v.cjs';\nconsole.log(a({ db: {} }), b({ db: { password: 'x' } }));\n");
      expect(node(work, 'src/both.mjs').stdout).toBe('false true\n');
    });

    it('TypeScript app (strict, no allowJs): -o src/validate.ts compiles with tsc and runs', () => {
      const work = recipeApp('ts-app', { type: 'module' });
      const c = fcfg(work, ['compile-schema', 'schema.json', '-o', 'src/validate.ts']);
      expect(c.status, c.stderr).toBe(0);
      writeFileSync(
        join(work, 'src/main.ts'),
        "import { loadConfigSync } from 'fernet-config';\nimport { validate, type Config } from './validate.js';\nconst config = loadConfigSync({ path: 'config.enc', validate });\nconst port: number = config.db.port;\nconst password: Config['db']['password'] = config.db.password;\nconsole.log(port, password.length);\n",
      );
      writeFileSync(
        join(work, 'tsconfig.json'),
        JSON.stringify({
          // skipLibCheck as most apps have it (`tsc --init`); the package's own declarations are checked above.
          compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noUnusedLocals: true, skipLibCheck: true, outDir: 'dist', rootDir: 'src', typeRoots: [join(REPO, 'node_modules/@types')], types: ['node'] },
          include: ['src'],
        }),
      );
      const tsc = spawnSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: work, encoding: 'utf8' });
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.status).toBe(0);
      const r = node(work, 'dist/main.js');
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('5432 6\n');
    }, 240_000);
  });

  it('loads config from a CommonJS app with require(), with a runtime schema and with a precompiled validator', () => {
    // The package is an ES module; Node 20.19+ can require() it, so the export map's `default` serves both.
    const schema = { type: 'object', properties: { url: { type: 'string', format: 'uri' }, token: { type: 'string', sensitive: true, minLength: 8 } }, required: ['url'] };
    const work = seedLoaderApp('cjs', schema, '{"url":"https://[::1]:8443/api","token":"short"}', 'validate.mjs');
    writeFileSync(
      join(work, 'app.cjs'),
      `const { loadConfigSync, ConfigValidationError } = require('fernet-config');
       const validate = require('./validate.mjs').default;
       const results = {};
       for (const [name, options] of [['runtime', { schema: 'schema.json' }], ['precompiled', { validate }]]) {
         try {
           loadConfigSync({ path: 'config.enc', ...options });
           results[name] = 'loaded';
         } catch (e) {
           results[name] = e instanceof ConfigValidationError ? e.code + ' ' + e.issues.map((i) => i.path).join() + ' ' + e.message.includes('short') : String(e);
         }
       }
       // The runtime schema was compiled with the bundled ajv, not with the installed package's 70 files.
       const loaded = Object.keys(require.cache);
       results.bundledAjv = loaded.some((k) => k.endsWith('/fernet-config/dist/ajv.cjs')) && !loaded.some((k) => k.endsWith('/ajv/dist/core.js'));
       console.log(JSON.stringify(results));`,
    );
    const r = spawnSync(process.execPath, ['app.cjs'], { cwd: work, env: cleanEnv(), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    // The IPv6 URL passes both ways (uri's full expression); the too-short token fails, and is not shown.
    const expected = 'ERR_CONFIG_VALIDATION /token false';
    expect(JSON.parse(r.stdout)).toEqual({ runtime: expected, precompiled: expected, bundledAjv: true });
  });
});
