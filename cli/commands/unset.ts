import { unsetInText } from '../../src/config/json.js';
import { updateConfig } from '../../src/config/file.js';
import { info, keyOptions, type KeyFlags } from '../io.js';

export default async function unset(config: string, path: string, flags: KeyFlags): Promise<number> {
  await updateConfig(config, keyOptions(flags), (text) => unsetInText(text, path, config));
  info(`removed ${path} from ${config}`);
  return 0;
}
