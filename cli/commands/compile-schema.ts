import { statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { FileAccessError, UsageError } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/fs/atomic.js';
import { info, out } from '../io.js';

interface Flags {
  output?: string;
  types: boolean;
}

/**
 * Writes the schema as a self-contained validator module (and, beside it, its declarations), so that
 * an app's boot validates without importing or compiling ajv.
 */
export default async function compileSchemaCommand(schemaPath: string, flags: Flags): Promise<number> {
  const output = flags.output === '-' ? undefined : flags.output;
  const ext = output === undefined ? undefined : extname(output);
  if (ext !== undefined && ext !== '.js' && ext !== '.mjs') {
    throw new UsageError(`the validator is an ES module: name it .js or .mjs, not ${basename(output!)}`, {
      hint: 'use .mjs when the package.json beside it does not say "type": "module"',
    });
  }
  const { readSchemaFile } = await import('../../src/schema/compile.js');
  const { compileStandalone } = await import('../../src/schema/standalone.js');
  const module = compileStandalone(readSchemaFile(schemaPath), basename(schemaPath));
  if (output === undefined) {
    out(module.js);
    return 0;
  }
  const dtsPath = output.slice(0, -ext!.length) + (ext === '.mjs' ? '.d.mts' : '.d.ts');
  // Both files share a directory, so only a directory in the way could fail the second write: check first.
  for (const target of flags.types ? [dtsPath, output] : [output]) {
    if (statSync(target, { throwIfNoEntry: false })?.isDirectory()) throw new FileAccessError(`${target} is a directory`);
  }
  if (flags.types) writeFileAtomic(dtsPath, module.dts, { mode: 0o644 });
  writeFileAtomic(output, module.js, { mode: 0o644 });
  info(`compiled ${schemaPath} -> ${output}${flags.types ? ` (types: ${dtsPath})` : ''}`);
  return 0;
}
