/** Url-safe base64 as Fernet and Python's `base64.urlsafe_b64encode` write it: padded with `=`. */

const PAD = ['', '===', '==', '='] as const;

export function encodeBase64Url(bytes: Uint8Array): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const s = buf.toString('base64url');
  return s + PAD[s.length % 4];
}

/** Input bytes per slice of the chunked coders: a multiple of 3, so the slices' base64 joins seamlessly. */
const SLICE_BYTES = 3 << 18;

/**
 * encodeBase64Url straight into ASCII bytes, with `suffix` (ASCII) appended: a large token is never held
 * as a string as well (a 50 MB config's token is 67 MB; as a string, then as the bytes written, twice that).
 */
export function encodeBase64UrlBytes(bytes: Buffer, suffix = ''): Buffer {
  const chars = Math.ceil(bytes.length / 3) * 4;
  const out = Buffer.allocUnsafe(chars + suffix.length);
  let pos = 0;
  for (let i = 0; i < bytes.length; i += SLICE_BYTES) {
    pos += out.write(bytes.subarray(i, i + SLICE_BYTES).toString('base64url'), pos, 'latin1');
  }
  out.fill(61 /* = */, pos, chars);
  out.write(suffix, chars, 'latin1');
  return out;
}

/**
 * Whether decodeBase64Url would accept the input, and the length of what it would return (-1 if not),
 * without building the decoded bytes: slice by slice, each slice checked as decodeBase64Url checks the
 * whole. `first` receives the first decoded slice (for a caller that looks at a header).
 */
export function base64UrlDecodedLength(input: string, first?: (head: Buffer) => void): number {
  let s = input.trim();
  let end = s.length;
  if (end > 0 && s.charCodeAt(end - 1) === 61 /* = */) {
    end--;
    if (end > 0 && s.charCodeAt(end - 1) === 61) end--;
    if (s.length % 4 !== 0) return -1;
  }
  if (end % 4 === 1) return -1;
  const eq = s.indexOf('=');
  if (s.indexOf('+') !== -1 || s.indexOf('/') !== -1 || (eq !== -1 && eq < end)) return -1;
  const step = (SLICE_BYTES / 3) * 4;
  let total = 0;
  for (let i = 0; i < end; i += step) {
    const n = Math.min(step, end - i);
    const part = Buffer.from(s.slice(i, i + n), 'base64url');
    // Node's decoder skips characters outside the alphabet: any of them shortens this slice.
    if (part.length !== Math.floor((n * 3) / 4)) return -1;
    if (i === 0) first?.(part);
    total += part.length;
  }
  if (end === 0) first?.(Buffer.alloc(0));
  return total;
}

/**
 * Strict url-safe base64 decoding: surrounding whitespace is trimmed, then only `A-Z a-z 0-9 - _` with
 * optional correct `=` padding is accepted. Returns `undefined` for anything else, never throws.
 *
 * Node's decoder silently skips characters outside its alphabet and accepts `+` and `/` as well, so
 * instead of a per-character regex (slow on megabyte tokens) we rely on this: every skipped character
 * shortens the output, so the decoded length must be exactly what the input length promises; and `+`/`/`
 * are ruled out with two memchr-speed scans.
 *
 * `alloc` supplies the buffer of the decoded length (default: a new one); Fernet passes a reused scratch.
 */
export function decodeBase64Url(input: string, alloc: (length: number) => Buffer = Buffer.allocUnsafe): Buffer | undefined {
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
  const length = Math.floor((n * 3) / 4);
  const out = alloc(length);
  // Every skipped character shortens what is written, so the count must come out exact.
  return out.write(s, 0, length, 'base64url') === length ? out : undefined;
}
