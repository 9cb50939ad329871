export { Fernet, type EncryptOptions, type DecryptOptions } from './fernet/fernet.js';
export { MultiFernet } from './fernet/multi.js';
export { generateKey } from './fernet/key.js';
export * from './errors.js';
export { rotateConfigs, type RotateOptions, type RotateResult } from './ops/rotate.js';
export { pruneKeyRing, listKeys, type PruneOptions, type PruneResult, type KeyInfo } from './ops/prune.js';
export { configStatus, isOlderThan, type ConfigStatus, type StatusOptions } from './ops/status.js';
export { flattenToEnv, envName, envSegment, checkEnvPrefix, type FlattenOptions } from './ops/env.js';
