// The entry of dist/age-ed25519.cjs: noble's Ed25519 and X25519, which only the ssh-ed25519 recipient type
// uses (scripts/age-entry.mjs, sshPrimitives).
export { x25519, ed25519 } from '@noble/curves/ed25519.js';
