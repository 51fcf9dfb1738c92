/** Every FTP command, by verb. */
import type { CommandSpec } from './command-spec.js';
import { sessionCommands } from './session-commands.js';
import { directoryCommands } from './directory-commands.js';
import { fileCommands } from './file-commands.js';
import { listingCommands } from './listing-commands.js';
import { dataCommands } from './data-commands.js';
import { transferCommands } from './transfer-commands.js';
import { securityCommands } from './security-commands.js';
import { siteCommands } from './site-commands.js';

const ALL: readonly CommandSpec[] = [
  ...sessionCommands,
  ...directoryCommands,
  ...fileCommands,
  ...listingCommands,
  ...dataCommands,
  ...transferCommands,
  ...securityCommands,
  ...siteCommands,
];

export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map(ALL.map((spec) => [spec.verb, spec]));

if (COMMANDS.size !== ALL.length) {
  throw new Error('two FTP command modules register the same verb');
}
