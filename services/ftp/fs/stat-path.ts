/**
 * STAT <path> (RFC 959 4.1.3): a listing sent over the control connection instead of a data
 * connection, in the same `ls -l` lines as LIST, framed as one multi-line reply (450 when there is
 * nothing to list or it may not be listed: RFC 959 5.4 lists no 550 for STAT):
 *
 *   213-Status of /pub:
 *   -rw-r--r--    1 ftp      ftp          1234 Nov 26 05:08 readme.txt
 *   213 End of status.
 *
 * The lines are written as they are produced, each batch after the previous one has been handed to
 * the kernel, so a directory of 100,000 entries streams here too. They never start with three
 * digits (a mode string comes first), so no line can pass for the end of the reply (RFC 959 4.2).
 */
import { FtpError } from '../errors.js';
import { replyWire } from '../reply.js';
import type { FtpSession } from '../session.js';
import { lsLines, planListing } from './listing.js';
import { asFtpError } from './session-file-system.js';

export async function statPath(session: FtpSession, argument: string): Promise<void> {
  // STAT may run while a transfer is going; its final reply could land in the middle of ours.
  if (session.transferInProgress) throw new FtpError(450, 'STAT with a path must wait for the transfer to end.');
  const plan = await planListing(session, argument).catch((error: unknown) => {
    // RFC 959 5.4 gives STAT 450, never 550, for a file it cannot act on (missing, refused).
    if (error instanceof FtpError && error.replyCode === 550) throw new FtpError(450, error.message, error.systemCode);
    throw error;
  });
  const shown = plan.kind === 'directory' ? plan.directory.virtual : plan.target.virtual;
  // RFC 959 4.2.2: 212 is directory status, 213 file status.
  const code = plan.kind === 'directory' ? 212 : 213;
  const batches = lsLines(session, plan);
  // The first batch before the first line: a directory that cannot be opened is a plain 450.
  let next: IteratorResult<string[]>;
  try {
    next = await batches.next();
  } catch (error) {
    const refusal = asFtpError(error);
    throw refusal.replyCode === 550 ? new FtpError(450, refusal.message, refusal.systemCode) : refusal;
  }
  const opening = `${code}-Status of ${shown.replace(/[\r\n]/g, ' ')}:`;
  await writeControl(session, `${opening}\r\n`);
  let lines = 0;
  try {
    while (!next.done) {
      if (session.control.destroyed) return;
      await writeControl(session, next.value.join('\r\n') + '\r\n');
      lines += next.value.length;
      next = await batches.next();
    }
  } catch (error) {
    // The reply has begun; it can only be ended. The listing is cut short and the log says why.
    session.log.warn({ err: error, path: shown }, 'STAT listing failed part way');
  } finally {
    await batches.return(undefined);
  }
  const closing = `${code} End of status.`;
  await writeControl(session, `${closing}\r\n`);
  // The protocol trace, as session.reply() writes it for every other reply; the listing itself is
  // counted, not copied (it may be 100,000 lines).
  if (session.context.isLevelEnabled('debug')) {
    session.log.debug({ reply: `${opening}\r\n[${lines} listing lines]\r\n${closing}` }, 'ftp reply');
  }
}

function writeControl(session: FtpSession, text: string): Promise<void> {
  const socket = session.control;
  if (socket.destroyed || !socket.writable) return Promise.resolve();
  return new Promise((resolve) => socket.write(replyWire(text), () => resolve()));
}
