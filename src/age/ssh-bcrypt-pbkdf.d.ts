// Types for the bcrypt-pbkdf package (pure JS, no types of its own): the one function src/age/ssh-keyfile.ts calls.
declare module 'bcrypt-pbkdf' {
  /** OpenBSD bcrypt_pbkdf: fills `key` (keylen bytes); returns 0, or -1 on bad arguments. */
  export function pbkdf(pass: Uint8Array, passlen: number, salt: Uint8Array, saltlen: number, key: Uint8Array, keylen: number, rounds: number): number;
  const bcryptPbkdf: { pbkdf: typeof pbkdf };
  export default bcryptPbkdf;
}
