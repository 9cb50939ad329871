/** Url-safe base64 as Fernet and Python's `base64.urlsafe_b64encode` write it: padded with `=`. */

const PAD = ['', '===', '==', '='] as const;

export function encodeBase64Url(bytes: Uint8Array): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const s = buf.toString('base64url');
  return s + PAD[s.length % 4];
}

/**
 * Strict url-safe base64 decoding: surrounding whitespace is trimmed, then only `A-Z a-z 0-9 - _` with
 * optional correct `=` padding is accepted. Returns `undefined` for anything else, never throws.
 *
 * Node's decoder silently skips characters outside its alphabet and accepts `+` and `/` as well, so
 * instead of a per-character regex (slow on megabyte tokens) we rely on this: every skipped character
 * shortens the output, so the decoded length must be exactly what the input length promises; and `+`/`/`
 * are ruled out with two memchr-speed scans.
 */
export function decodeBase64Url(input: string): Buffer | undefined {
  let s = input.trim();
  let end = s.length;
  if (end > 0 && s.charCodeAt(end - 1) === 61 /* = */) {
    end--;
    if (end > 0 && s.charCodeAt(end - 1) === 61) end--;
    // Padding, when present, must make the whole a multiple of four characters.
    if (s.length % 4 !== 0) return undefined;
    s = s.slice(0, end);
  }
  const n = s.length;
  if (n % 4 === 1) return undefined;
  if (s.indexOf('+') !== -1 || s.indexOf('/') !== -1 || s.indexOf('=') !== -1) return undefined;
  const out = Buffer.from(s, 'base64url');
  if (out.length !== Math.floor((n * 3) / 4)) return undefined;
  return out;
}
