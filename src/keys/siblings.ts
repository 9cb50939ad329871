import { basename, dirname, join } from 'node:path';

/**
 * Where key material is looked for beside a config: `<name><suffix>` for `<name>.enc`, then
 * `secret<suffix>` in the same directory. `.key` gives the plain key files, `.key.age` the age rings.
 * Its own module so that key resolution and the age ring selection share it without importing each other.
 */
export function siblingsOf(configPath: string | undefined, suffix: '.key' | '.key.age'): string[] {
  if (configPath === undefined || configPath === '-') return [];
  const dir = dirname(configPath);
  const name = basename(configPath);
  const out: string[] = [];
  if (name.endsWith('.enc') && name.length > 4) out.push(join(dir, name.slice(0, -4) + suffix));
  const secret = join(dir, `secret${suffix}`);
  if (!out.includes(secret)) out.push(secret);
  return out;
}
