/**
 * A faster start for ajv-formats' `uri` format, in the modules `fcfg compile-schema` writes and in ajv at
 * run time.
 *
 * ajv-formats checks `uri` with one large regular expression (RFC 3986). V8 compiles a regular expression
 * on its first use, and most of this one is the IPv6 part of the `IP-literal` host (`[…]`), whose counted
 * repetitions V8 unrolls: about 2 ms of a process's start-up, spent on the first config value with a
 * `uri` format. An alternative that begins with a literal `[` cannot match a string without one, so for
 * such strings the same expression with that alternative removed gives the same answer — and compiles in
 * a quarter of the time. Strings with a `[` still go to the whole expression. The expressions are
 * ajv-formats' own, read from its module's text, so nothing here restates the grammar.
 */

/**
 * `source` (a regular expression's source) without the alternatives that begin with a mandatory literal
 * `[` (`\[`), in every group that keeps at least one other alternative. Undefined when there is nothing to
 * remove, or when removing could change a match: backreferences or capturing groups would be renumbered.
 */
export function withoutBracketAlternatives(source: string): string | undefined {
  const groups = scanGroups(source);
  if (groups === undefined) return undefined;
  // Characters to drop: each removed alternative, with the `|` before it when a kept alternative comes
  // earlier in its group, else the one after it — so that the kept ones stay joined by single `|`s.
  // Alternatives nested in a removed one are dropped twice over, which a mask makes harmless.
  const drop = new Uint8Array(source.length);
  let removed = false;
  for (const alternatives of groups) {
    const bracketed = alternatives.map(([start, end]) => startsWithMandatoryBracket(source, start, end));
    if (!bracketed.includes(true) || !bracketed.includes(false)) continue;
    removed = true;
    alternatives.forEach(([start, end], i) => {
      if (!bracketed[i]) return;
      const keptBefore = bracketed.slice(0, i).includes(false);
      drop.fill(1, keptBefore ? start - 1 : start, keptBefore ? end : end + 1);
    });
  }
  if (!removed) return undefined;
  let out = '';
  for (let i = 0; i < source.length; i++) if (!drop[i]) out += source[i];
  return out;
}

interface UriParts {
  /** URI's flags, and its source less the IP-literal alternative. */
  flags: string;
  withoutIpLiteral: string;
  /** NOT_URI_FRAGMENT, the check ajv-formats makes first. */
  notFragment: { source: string; flags: string };
}

/**
 * Reads the expressions out of the text of ajv-formats' formats module; undefined when the module does
 * not have the shape this was written for (`uri(str)` being `NOT_URI_FRAGMENT.test(str) && URI.test(str)`),
 * and then nothing changes.
 */
function uriParts(formatsModule: string): UriParts | undefined {
  const literal = (name: string) => new RegExp(`^const ${name} = \\/(.+)\\/([a-z]*);$`, 'm').exec(formatsModule);
  const uri = literal('URI');
  const notFragment = literal('NOT_URI_FRAGMENT');
  const check = /^\s*return NOT_URI_FRAGMENT\.test\(str\) && URI\.test\(str\);$/m.test(formatsModule);
  if (!uri || !notFragment || !check) return undefined;
  const withoutIpLiteral = withoutBracketAlternatives(uri[1]!);
  if (withoutIpLiteral === undefined) return undefined;
  try {
    new RegExp(withoutIpLiteral, uri[2]);
    new RegExp(notFragment[1]!, notFragment[2]);
  } catch {
    return undefined;
  }
  return { flags: uri[2]!, withoutIpLiteral, notFragment: { source: notFragment[1]!, flags: notFragment[2]! } };
}

/**
 * The code that replaces `exports.fullFormats.uri` inside the bundled text of ajv-formats' formats module
 * (where URI and NOT_URI_FRAGMENT are in scope), or undefined when the module has another shape.
 */
export function uriFastPath(formatsModule: string): string | undefined {
  const parts = uriParts(formatsModule);
  if (!parts || !/^exports\.fullFormats = \{$/m.test(formatsModule)) return undefined;
  return [
    '// fernet-config: the same `uri` check, starting faster. A string without "[" cannot use the IP-literal',
    '// host, so it is matched against URI less that alternative, which V8 compiles in a quarter of the time.',
    `const fcfgUriWithoutIpLiteral = /${parts.withoutIpLiteral}/${parts.flags};`,
    'exports.fullFormats.uri = function uri(str) {',
    '    return NOT_URI_FRAGMENT.test(str) && (str.includes("[") ? URI : fcfgUriWithoutIpLiteral).test(str);',
    '};',
  ].join('\n');
}

/**
 * The same for ajv at run time: a `uri` format with the answers of `original` (ajv-formats' `uri`, from the
 * module whose text is `formatsModule`), or undefined when the module has another shape.
 */
export function fastUriFormat(formatsModule: string, original: (str: string) => boolean): ((str: string) => boolean) | undefined {
  const parts = uriParts(formatsModule);
  if (!parts) return undefined;
  const notFragment = new RegExp(parts.notFragment.source, parts.notFragment.flags);
  const withoutIpLiteral = new RegExp(parts.withoutIpLiteral, parts.flags);
  return (str) => (str.includes('[') ? original(str) : notFragment.test(str) && withoutIpLiteral.test(str));
}

/** The index of the `]` that closes the character class opening at `start`, or -1. */
function classEnd(source: string, start: number): number {
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === ']') return i;
  }
  return -1;
}

/**
 * Every group's alternatives, as [start, end) spans of `source`; the whole expression counts as a group.
 * Undefined when the parentheses do not balance, or when there is a capturing group or a backreference
 * (removing an alternative could renumber what they refer to).
 */
function scanGroups(source: string): [number, number][][] | undefined {
  const done: [number, number][][] = [];
  // Per open group: where its current alternative starts, and its alternatives so far.
  const stack: { start: number; alternatives: [number, number][] }[] = [{ start: 0, alternatives: [] }];
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      if (/[1-9k]/.test(source[++i] ?? '')) return undefined;
    } else if (c === '[') {
      i = classEnd(source, i);
      if (i < 0) return undefined;
    } else if (c === '(') {
      // Past `(?:`, `(?=`, `(?!`, `(?<=` or `(?<!`: where the group's first alternative starts.
      const prefix = /^\((?:\?(?:[:=!]|<[=!]))?/.exec(source.slice(i))![0];
      if (prefix === '(') return undefined;
      stack.push({ start: i + prefix.length, alternatives: [] });
      i += prefix.length - 1;
    } else if (c === '|') {
      const top = stack[stack.length - 1]!;
      top.alternatives.push([top.start, i]);
      top.start = i + 1;
    } else if (c === ')') {
      const top = stack.pop();
      if (!top || stack.length === 0) return undefined;
      top.alternatives.push([top.start, i]);
      done.push(top.alternatives);
    }
  }
  if (stack.length !== 1) return undefined;
  const top = stack[0]!;
  top.alternatives.push([top.start, source.length]);
  done.push(top.alternatives);
  return done;
}

/** Whether the alternative begins with `\[` that no quantifier makes optional. */
function startsWithMandatoryBracket(source: string, start: number, end: number): boolean {
  if (!source.startsWith('\\[', start) || start + 2 > end) return false;
  const next = source[start + 2];
  return !(next === '?' || next === '*' || (next === '{' && /^\{0[,}]/.test(source.slice(start + 2))));
}
