import { UsageError } from '../../src/errors.js';
import { readKeyFile, resolveKeyRing } from '../../src/keys/resolve.js';
import { listKeys } from '../../src/ops/prune.js';
import type { KeyRing } from '../../src/keys/ring.js';
import { askPassphrase } from '../age.js';
import { keyOptions, out, printJson, warn, type KeyFlags } from '../io.js';

export default async function keysList(keyFile: string | undefined, flags: KeyFlags & { json?: boolean }): Promise<number> {
  if (keyFile !== undefined && (flags.keyFile !== undefined || flags.key !== undefined || flags.keyCommand !== undefined)) {
    throw new UsageError('give the key file as the argument or as an option, not both');
  }
  // Without a key file, the ring a config in this directory would get: flags, FERNET_CONFIG_KEY*, ./secret.key.
  const ring =
    keyFile === undefined
      ? resolveKeyRing('secret.key', keyOptions(flags))
      : keyFile.endsWith('.age')
        ? await ageRing(keyFile, flags)
        : readKeyFile(keyFile, { strictPermissions: flags.strictPermissions, onWarning: warn });
  const keys = listKeys(ring);
  if (flags.json) {
    printJson({ source: ring.source, keys: keys.map((k) => ({ ...k, primary: k.index === 0 })) });
    return 0;
  }
  out(`${ring.source}: ${keys.length} key${keys.length === 1 ? '' : 's'}\n`);
  for (const k of keys) out(`  #${k.index}  ${k.fingerprint}${k.index === 0 ? '  primary (encrypts)' : ''}\n`);
  return 0;
}

/** A .age ring named as the argument, opened with the user's identity (once per process: no second prompt). */
async function ageRing(ring: string, flags: KeyFlags): Promise<KeyRing> {
  const options = { ...keyOptions(flags), passphrase: askPassphrase };
  if (ring.endsWith('.key.age')) {
    // As the ring of `<name>.enc` beside it, so the ring the preAction hook may have opened is reused.
    const { openAgeRingFor } = await import('../../src/age/select.js');
    const opened = await openAgeRingFor(ring.slice(0, -'.key.age'.length) + '.enc', options, []);
    if (opened) return opened;
  }
  const { openAgeRing } = await import('../../src/age/open.js');
  return openAgeRing(ring, options);
}
