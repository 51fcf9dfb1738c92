/**
 * One FTP command: its handler plus what the dispatcher and HELP/FEAT need to know about it.
 * Each command (or a small family of aliases) lives in its own module and exports its specs; the
 * registry gathers them, so HELP and FEAT are generated from the same table the dispatcher uses.
 */
import type { FtpSession } from '../session.js';

export interface CommandSpec {
  readonly verb: string;
  /** Shown by `HELP <verb>`: `RETR <sp> pathname`. */
  readonly syntax: string;
  readonly help: string;
  /**
   * `none`: allowed before login (USER, PASS, FEAT, AUTH...). `login`: needs a logged-in session,
   * else 530.
   */
  readonly access: 'none' | 'login';
  /** Runs while a transfer is in progress (ABOR, STAT, QUIT, NOOP); other commands wait for it. */
  readonly duringTransfer?: boolean;
  /**
   * The handler makes files before its transfer starts (an upload's claimed name, its hidden
   * file): the session's end waits for the handler as it waits for a transfer, so that a control
   * connection closing meanwhile still leaves the cleanup time to run.
   */
  readonly preparesUpload?: boolean;
  /** The FEAT line(s) this command adds (RFC 2389), e.g. `SIZE` or `MLST type*;size*;modify*;`. */
  readonly feature?: (session: FtpSession) => string | readonly string[] | undefined;
  /** Whether the argument holds a secret that logs must not show (PASS, ACCT). */
  readonly secretArgument?: boolean;
  readonly handler: (session: FtpSession, argument: string) => Promise<void>;
}

/** Gives aliases (XPWD for PWD, RFC 775) the same handler under their own verb. */
export function alias(spec: CommandSpec, verb: string): CommandSpec {
  return { ...spec, verb, feature: undefined };
}
