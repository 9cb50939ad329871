import { textconv } from '../../src/git/textconv.js';
import type { KeyOptions } from '../../src/keys/resolve.js';
import { warn } from '../io.js';

interface Flags {
  schema?: string;
  keyFile?: string;
  keyCommand?: string;
}

/**
 * Run by git for every version of an encrypted file it diffs. It must not break `git diff`: anything that
 * prevents decryption prints the file unchanged, and nothing about that goes to stderr (one warning per
 * file and commit would drown `git log -p`). The one warning is a repeated key, which the diff cannot
 * show: the reader of the diff must learn that another copy exists.
 */
export default async function textconvCommand(file: string, flags: Flags): Promise<number> {
  const keys: KeyOptions = {};
  if (flags.keyFile !== undefined) keys.keyFile = flags.keyFile;
  if (flags.keyCommand !== undefined) keys.keyCommand = flags.keyCommand;
  const schema = flags.schema;
  const redact =
    schema === undefined
      ? undefined
      : async (value: unknown) => {
          const { redactWithSchemaFile } = await import('../../src/loader/redact.js');
          return redactWithSchemaFile(value, schema);
        };
  const out = await textconv(file, { keys, cwd: process.cwd(), onWarning: warn, ...(redact ? { redact } : {}) });
  await new Promise<void>((res, rej) => process.stdout.write(out, (e) => (e ? rej(e) : res())));
  return 0;
}
