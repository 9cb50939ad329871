import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, runCli, tempDir } from './helpers/cli.js';
import { runPython } from './helpers/python.js';

// The file formats are a promise to Python users: files either side writes, the other reads unchanged.
let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => removeDir(dir));

const config = { database: { password: 'pässwörd', port: 5432 }, list: [1, 2.5, null, true], emoji: '🔑' };

describe('CLI <-> Python cryptography', () => {
  it('reads a config and a key file that Python wrote', () => {
    const d = join(dir, 'from-python');
    runPython(
      `import json, os
from cryptography.fernet import Fernet
os.makedirs(${JSON.stringify(d)})
os.chdir(${JSON.stringify(d)})
key = Fernet.generate_key()
open('secret.key', 'wb').write(key)  # no trailing newline: Python users often write it so
open('config.enc', 'wb').write(Fernet(key).encrypt(json.dumps(json.loads(input())).encode()))`,
      JSON.stringify(config),
    );
    const get = runCli(['get', 'config.enc', 'database.password'], { cwd: d });
    // Python wrote it with the default umask, so it is world-readable: warned about, still used.
    expect(get.stderr).toMatch(/^fernet-config: warning: key file .*secret\.key is readable by group or others \(mode 0644\); run: chmod 600 .*\n$/);
    expect(get.status).toBe(0);
    expect(get.stdout).toBe('pässwörd\n');
    expect(JSON.parse(runCli(['decrypt', 'config.enc'], { cwd: d }).stdout)).toEqual(config);
    // ...and writes it back in a form Python still reads.
    expect(runCli(['set', 'config.enc', 'database.port', '6543'], { cwd: d }).status).toBe(0);
    const port = runPython(
      `import json, os
from cryptography.fernet import Fernet
os.chdir(${JSON.stringify(d)})
print(json.loads(Fernet(open('secret.key','rb').read()).decrypt(open('config.enc','rb').read()))['database']['port'])`,
    );
    expect(port.trim()).toBe('6543');
  });

  it('writes key files and configs that Python reads, including key rings via MultiFernet', () => {
    const d = join(dir, 'to-python');
    runPython(`import os; os.makedirs(${JSON.stringify(d)})`);
    expect(runCli(['keygen'], { cwd: d }).status).toBe(0);
    writeFileSync(join(d, 'config.json'), JSON.stringify(config, null, 2));
    expect(runCli(['encrypt', 'config.json'], { cwd: d }).status).toBe(0);
    expect(runCli(['keygen', '--add'], { cwd: d }).status).toBe(0);
    expect(runCli(['set', 'config.enc', 'rotated', 'true'], { cwd: d }).status).toBe(0);
    const out = runPython(
      `import json, os
from cryptography.fernet import Fernet, MultiFernet
os.chdir(${JSON.stringify(d)})
lines = [l.strip() for l in open('secret.key') if l.strip() and not l.startswith('#')]
ring = MultiFernet([Fernet(k) for k in lines])
token = open('config.enc','rb').read()
value = json.loads(ring.decrypt(token))
# encrypted with the new primary, so the first key alone opens it
Fernet(lines[0]).decrypt(token)
print(json.dumps(value))`,
    );
    expect(JSON.parse(out)).toEqual({ ...config, rotated: true });
    expect(readFileSync(join(d, 'secret.key'), 'utf8').trim().split('\n')).toHaveLength(2);
  });
});
