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
 * An unknown verb as it may be logged and echoed in the 500 reply, or undefined when it may not
 * be. A verb holding a secret command with its argument run on (`PASSsecret`, a client's typo) is
 * cut back to the command's name. Any other verb longer than four letters, which no FTP command
 * is (RFC 959 4.1), is not shown at all: it is more likely a password typed at the wrong prompt
 * than a command, and it must reach neither a log line nor a reply.
 */
export function unknownVerbText(verb: string): string | undefined {
  const secret = SECRET_VERBS.find((name) => verb.includes(name));
  if (secret !== undefined) return `${secret}...`;
  return verb.length <= 4 ? verb : undefined;
}
