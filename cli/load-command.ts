/**
 * Loads a command's module (cli/commands/NAME.ts) when its command runs. In dist/cli/run-read.js the
 * build puts load-command-read.ts here instead (scripts/bundle.mjs).
 */
export const loadCommand = (name: string): Promise<Record<string, unknown>> => import(`./commands/${name}.js`);
