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

/** The verbs whose argument is a secret (PASS, ACCT). */
const SECRET_VERBS = ALL.filter((spec) => spec.secretArgument).map((spec) => spec.verb);

/**
 * An unknown verb as it may be logged and echoed in the 500 reply: at most 16 characters, and a
 * verb holding a secret command with its argument run on (`PASSsecret`, a client's typo, or the
 * same behind stray bytes) cut back to the command's name, so that no password reaches a log line
 * or a reply.
 */
export function unknownVerbText(verb: string): string {
  const secret = SECRET_VERBS.find((name) => verb.includes(name));
  return secret === undefined ? verb.slice(0, 16) : `${secret}...`;
}
