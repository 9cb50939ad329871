import { statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { FileAccessError, FileNotFound } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/fs/atomic.js';
import { chooseFormat, declarationsPath, renderModule } from '../../src/schema/module-format.js';
import { info, out } from '../io.js';

interface Flags {
  output?: string;
  types: boolean;
  format?: string;
}

/**
 * Writes the schema as a self-contained validator module (and, beside it, its declarations), so that
 * an app's boot validates without importing or compiling ajv. The module format follows the output's
 * name (`.mjs`, `.cjs`, `.ts`, or `.js` by the nearest package.json), or `--format`.
 */
export default async function compileSchemaCommand(schemaPath: string, flags: Flags): Promise<number> {
  const output = flags.output === '-' ? undefined : flags.output;
  // Before compiling: a name that cannot be loaded is a usage error whatever the schema.
  const { format, reason } = chooseFormat(output, flags.format);
  const { readSchemaFile } = await import('../../src/schema/compile.js');
  const { compileStandalone } = await import('../../src/schema/standalone.js');
  const module = compileStandalone(readSchemaFile(schemaPath), basename(schemaPath));
  const code = renderModule(module, format);
  if (output === undefined) {
    out(code);
    return 0;
  }
  const dtsPath = flags.types ? declarationsPath(output) : undefined;
  // Both files share a directory, so only a directory in the way could fail the second write: check first,
  // and name the file asked for (not the .d.ts written first) when the directory is missing.
  if (!statSync(dirname(output), { throwIfNoEntry: false })?.isDirectory()) {
    throw new FileNotFound(`the directory of ${output} does not exist`, { hint: `create it first: mkdir -p ${dirname(output)}` });
  }
  for (const target of dtsPath ? [dtsPath, output] : [output]) {
    if (statSync(target, { throwIfNoEntry: false })?.isDirectory()) throw new FileAccessError(`${target} is a directory`);
  }
  if (dtsPath) writeFileAtomic(dtsPath, module.dts, { mode: 0o644 });
  writeFileAtomic(output, code, { mode: 0o644 });
  const kind = format === 'esm' ? 'ES module' : format === 'cjs' ? 'CommonJS' : 'TypeScript';
  info(`compiled ${schemaPath} -> ${output} (${kind}${reason === '--format' || reason === 'default' ? '' : `: ${reason}`})${dtsPath ? ` (types: ${dtsPath})` : ''}`);
  return 0;
}
