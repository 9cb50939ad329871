import { UsageError } from '../../src/errors.js';
import { readKeyFile, resolveKeyRing } from '../../src/keys/resolve.js';
import { listKeys } from '../../src/ops/prune.js';
import { keyOptions, out, printJson, warn, type KeyFlags } from '../io.js';

export default function keysList(keyFile: string | undefined, flags: KeyFlags & { json?: boolean }): number {
  if (keyFile !== undefined && (flags.keyFile !== undefined || flags.key !== undefined || flags.keyCommand !== undefined)) {
    throw new UsageError('give the key file as the argument or as an option, not both');
  }
  // Without a key file, the ring a config in this directory would get: flags, FERNET_CONFIG_KEY*, ./secret.key.
  const ring =
    keyFile !== undefined
      ? readKeyFile(keyFile, { strictPermissions: flags.strictPermissions, onWarning: warn })
      : resolveKeyRing('secret.key', keyOptions(flags));
  const keys = listKeys(ring);
  if (flags.json) {
    printJson({ source: ring.source, keys: keys.map((k) => ({ ...k, primary: k.index === 0 })) });
    return 0;
  }
  out(`${ring.source}: ${keys.length} key${keys.length === 1 ? '' : 's'}\n`);
  for (const k of keys) out(`  #${k.index}  ${k.fingerprint}${k.index === 0 ? '  primary (encrypts)' : ''}\n`);
  return 0;
}
