/** TLS for FTP (RFC 4217). (Stub: the FTPS work fills this in.) */
import type { Logger } from 'pino';
import type { FtpConfig } from '../config.js';

export interface FtpTls {
  readonly config: FtpConfig['tls'];
}

export async function loadFtpTls(config: FtpConfig['tls'], _log: Logger): Promise<FtpTls> {
  return { config };
}
