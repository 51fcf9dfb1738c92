/** STAT <path>: a listing sent over the control connection. (Stub: the listing work fills this in.) */
import { FtpError } from '../errors.js';
import type { FtpSession } from '../session.js';

export async function statPath(_session: FtpSession, _argument: string): Promise<void> {
  throw new FtpError(502, 'STAT with a path is not implemented yet.');
}
