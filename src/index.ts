export { Fernet, type EncryptOptions, type DecryptOptions } from './fernet/fernet.js';
export { MultiFernet } from './fernet/multi.js';
export { generateKey } from './fernet/key.js';
export * from './errors.js';
