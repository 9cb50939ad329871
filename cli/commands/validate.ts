import { ConfigValidationError, issueDotPath } from '../../src/errors.js';
import { openConfig } from '../../src/config/file.js';
import { info, keyOptions, printJson, type KeyFlags } from '../io.js';
import { loadValidator } from '../schema.js';

interface Flags extends KeyFlags {
  schema: string;
  json?: boolean;
}

export default async function validate(config: string, flags: Flags): Promise<number> {
  const validator = await loadValidator(flags.schema);
  const opened = openConfig(config, keyOptions(flags));
  const issues = validator(opened.value);
  if (flags.json) {
    // `path` stays the JSON pointer programs already read; `dotPath` is what `fcfg get`/`set` take.
    printJson({ config, valid: issues.length === 0, errors: issues.map((i) => ({ ...i, dotPath: issueDotPath(i) })) });
    return issues.length === 0 ? 0 : 1;
  }
  if (issues.length === 0) {
    info(`${config} is valid`);
    return 0;
  }
  throw new ConfigValidationError(issues, { hint: `fix it with \`fcfg edit ${config}\` or \`fcfg set ${config} <path> <value>\`` });
}
