import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';

export interface Person {
  home: string;
  identityFile: string;
  identity: string;
  recipient: string;
}

/** A person with an age identity at the default path (~/.config/fernet-config/identities) under `root`/home-`name`. */
export async function person(root: string, name: string): Promise<Person> {
  const home = join(root, `home-${name}`);
  mkdirSync(join(home, '.config', 'fernet-config'), { recursive: true });
  const identity = await generateX25519Identity();
  const identityFile = join(home, '.config', 'fernet-config', 'identities');
  writeFileSync(identityFile, identity + '\n', { mode: 0o600 });
  return { home, identityFile, identity, recipient: await identityToRecipient(identity) };
}
