/// <reference types="node" preserve="true" />
// Our declarations use Node's types (Buffer, NodeJS.ProcessEnv); TypeScript 6+ no longer loads @types/node by
// itself, so the emitted index.d.ts asks for them (preserve keeps the directive in the output).
export { Fernet, type EncryptOptions, type DecryptOptions } from './fernet/fernet.js';
export { MultiFernet } from './fernet/multi.js';
export { generateKey } from './fernet/key.js';
export * from './errors.js';
export { rotateConfigs, type RotateOptions, type RotateResult } from './ops/rotate.js';
export { pruneKeyRing, listKeys, type PruneOptions, type PruneResult, type KeyInfo } from './ops/prune.js';
export { configStatus, isOlderThan, type ConfigStatus, type StatusOptions } from './ops/status.js';
export { flattenToEnv, envName, envSegment, checkEnvPrefix, type FlattenOptions } from './ops/env.js';
export { loadConfig, loadConfigSync, createConfigStore, createConfigStoreSync } from './loader/load.js';
export { redact, REDACTED, type RedactSchema } from './loader/redact.js';
export type { LoadOptions, LoadOptionsBase, BigNumbers, EnvOverrideOptions, PrecompiledValidator, ConfigSchema, ConfigFromSchema, DeepReadonly, ConfigStore, SensitiveKeyword } from './loader/types.js';
export { openAgeRingFor, type AgeKeyOptions } from './age/select.js';
