import { openToken, readToken, stampOf, type KeySource } from '../config/file.js';
import { FileNotFound } from '../errors.js';
import type { KeyRing } from '../keys/ring.js';
import { ringResolver } from './rings.js';

export interface ConfigStatus {
  path: string;
  /** Index in the ring of the key that opens the config (0 = primary). */
  keyIndex: number;
  /** Short fingerprint of that key — never the key. */
  fingerprint: string;
  /** Whether the primary key opens it; if not, `fcfg rotate` would re-encrypt it. */
  primary: boolean;
  ringSize: number;
  /** Where the ring came from ("key file ./secret.key", "FERNET_CONFIG_KEY", ...). */
  keySource: string;
  /** When it was last encrypted: the token's timestamp, Unix seconds. */
  timestamp: number;
  /** The same as an ISO 8601 date. */
  encryptedAt: string;
  /** Seconds since then (negative for a token dated in the future). */
  ageSeconds: number;
  /** File size in bytes. */
  size: number;
}

export interface StatusOptions {
  /** The clock, Unix seconds (default: now). */
  now?: number;
}

export const SECONDS_PER_DAY = 86_400;

/** Which key opens a config, when it was encrypted and how big it is. Nothing secret is returned. */
export function configStatus(path: string, keys: KeySource | ((path: string) => KeyRing) = {}, options: StatusOptions = {}): ConfigStatus {
  const token = readToken(path);
  const size = stampOf(path)?.size;
  if (size === undefined) throw new FileNotFound(`${path} does not exist`);
  const ring = typeof keys === 'function' ? keys(path) : ringResolver(keys)(path);
  const { bytes, keyIndex, timestamp } = openToken(token, ring, path);
  bytes.fill(0);
  const now = Math.floor(options.now ?? Date.now() / 1000);
  return {
    path,
    keyIndex,
    fingerprint: ring.fingerprint(keyIndex),
    primary: keyIndex === 0,
    ringSize: ring.size,
    keySource: ring.source,
    timestamp,
    encryptedAt: isoDate(timestamp),
    ageSeconds: now - timestamp,
    size,
  };
}

/** Seconds a token may be dated ahead of the clock before it counts as future-dated: Python's Fernet allows 60. */
export const MAX_CLOCK_SKEW_SECONDS = 60;

/** Whether a config was encrypted more than `maxAgeDays` days ago (fractions allowed). */
export function isOlderThan(status: Pick<ConfigStatus, 'ageSeconds'>, maxAgeDays: number): boolean {
  return status.ageSeconds > maxAgeDays * SECONDS_PER_DAY;
}

/**
 * Whether a config is dated ahead of the clock by more than the 60 s skew Python's Fernet allows. Its
 * writer's clock was wrong, and its real age is unknown: an age check must not pass it.
 */
export function isFutureDated(status: Pick<ConfigStatus, 'ageSeconds'>): boolean {
  return -status.ageSeconds > MAX_CLOCK_SKEW_SECONDS;
}

/** A token may carry any 64-bit time (Python's encrypt_at_time); beyond what Date holds, show the number. */
function isoDate(timestamp: number): string {
  const date = new Date(timestamp * 1000);
  return Number.isNaN(date.getTime()) ? `@${timestamp}` : date.toISOString();
}
