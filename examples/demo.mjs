// `npm run demo`: the main job on the built-in example, in a throw-away directory.
// Every step is the real CLI, printed before it runs, so the output doubles as a tutorial.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The CLI the package's `bin` names, whatever the build's layout.
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const cli = fileURLToPath(new URL(`../${pkg.bin.fcfg}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fcfg-demo-'));
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FERNET_CONFIG_')));

function fcfg(...args) {
  console.log(`\n$ fcfg ${args.join(' ')}`);
  const out = execFileSync(process.execPath, [cli, ...args], { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write(out);
  return out;
}

try {
  copyFileSync(fileURLToPath(new URL('./config.json', import.meta.url)), join(dir, 'config.json'));
  console.log(`working in ${dir}`);
  fcfg('keygen');
  fcfg('encrypt', 'config.json', '-o', 'config.enc');
  console.log(`\n$ cat config.enc\n${readFileSync(join(dir, 'config.enc'), 'utf8').slice(0, 60)}...`);
  fcfg('get', 'config.enc', 'database.port');
  fcfg('set', 'config.enc', 'database.port', '6432');
  fcfg('decrypt', 'config.enc');
  let havePython = true;
  try {
    execFileSync('python3', ['-c', 'import cryptography'], { stdio: 'ignore' });
  } catch {
    havePython = false;
    console.log('\n(Python with `cryptography` not found: skipping the interop step)');
  }
  if (havePython) {
    // The printed line is built from the very string that runs, so pasting it into a shell does the same.
    const py = "import json; from cryptography.fernet import Fernet; print(json.loads(Fernet(open('secret.key','rb').read()).decrypt(open('config.enc','rb').read()))['database']['port'])";
    console.log(`\n$ python3 -c "${py}"`);
    process.stdout.write(execFileSync('python3', ['-c', py], { cwd: dir, encoding: 'utf8' }));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
