import { openAgeRingFor, openAgeRingUnlessTried } from '../age/select.js';
import { checkKeySource, type KeySource } from '../config/file.js';
import { KeyNotFound } from '../errors.js';
import { resolveKeyRing, type KeyOptions } from '../keys/resolve.js';
import { KeyRing } from '../keys/ring.js';

/**
 * The ring for each of several configs. A source that does not depend on the config (a ring, a flag, a
 * FERNET_CONFIG_KEY* variable) is resolved once, so a vault's key command runs once per invocation rather
 * than once per file; otherwise each config gets the key file beside it, as a single-file command would.
 */
export function ringResolver(keys: KeySource = {}): (configPath: string) => KeyRing {
  checkKeySource(keys);
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

/**
 * Opens, ahead of a synchronous pass over several configs (check), the `.age` ring each one's key
 * resolution would land on: key resolution cannot open a ring itself. Outcomes, failures included, are
 * remembered by openAgeRingFor and met again where each config resolves its key, so one config whose
 * ring does not open is reported for that config and does not stop the others. Rings shared by several
 * configs (or reached through links) are opened once.
 */
export async function openAgeRingsFor(configs: readonly string[], keys: KeyOptions, options: { retry?: boolean } = {}): Promise<void> {
  for (const config of configs) {
    try {
      if (options.retry === false) await openAgeRingUnlessTried(config, keys);
      else await openAgeRingFor(config, keys);
    } catch {
      // remembered; raised again for this config by its key resolution
    }
  }
}
