import { READ_COMMANDS } from './route.js';

/**
 * loadCommand of dist/cli/run-read.js: only the commands of READ_COMMANDS, each named, so that the bundle
 * holds their code and no other (the template import of load-command.ts would take in every command).
 * main.ts sends no other command there; should one arrive, it fails as an internal error, not silently.
 */
export const loadCommand = (name: string): Promise<Record<string, unknown>> => {
  if (name === 'get') return import('./commands/get.js');
  if (name === 'decrypt') return import('./commands/decrypt.js');
  return Promise.reject(new Error(`command module ${name} is not in run-read.js (it serves ${READ_COMMANDS.join(', ')})`));
};
