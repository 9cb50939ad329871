import type { KeySource } from '../config/file.js';
import { KeyNotFound } from '../errors.js';
import { resolveKeyRing } from '../keys/resolve.js';
import { KeyRing } from '../keys/ring.js';

/**
 * The ring for each of several configs. A source that does not depend on the config (a ring, a flag, a
 * FERNET_CONFIG_KEY* variable) is resolved once, so a vault's key command runs once per invocation rather
 * than once per file; otherwise each config gets the key file beside it, as a single-file command would.
 */
export function ringResolver(keys: KeySource = {}): (configPath: string) => KeyRing {
  if (keys instanceof KeyRing) return () => keys;
  let shared: KeyRing | undefined;
  try {
    shared = resolveKeyRing(undefined, keys);
  } catch (e) {
    if (!(e instanceof KeyNotFound)) throw e;
  }
  if (shared) {
    const ring = shared;
    return () => ring;
  }
  return (configPath) => resolveKeyRing(configPath, keys);
}
