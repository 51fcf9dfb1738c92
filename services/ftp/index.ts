/**
 * FTP (RFC 959 and its extensions: 2389, 2428, 3659, 4217, 2640, 7151). See README.md for what is
 * implemented and what is deliberately not.
 */
import { defineService } from '../../shared/service.js';
import { ftpConfigSchema } from './config.js';
import { createFtpShared } from './runtime.js';
import { FtpSession } from './session.js';

export const ftpService = defineService({
  name: 'ftp',
  standardPort: 21,
  transports: ['tcp'],
  configSchema: ftpConfigSchema,
  // RFC 959 4.2: 421 "Service not available, closing control connection".
  refusal: (reason) => {
    switch (reason) {
      case 'max-sessions':
        return '421 Too many users, please try again later.\r\n';
      case 'max-per-ip':
        return '421 Too many connections from your address.\r\n';
      case 'rate':
        return '421 Too many connections per second, please slow down.\r\n';
      case 'shutdown':
        return '421 Server shutting down.\r\n';
      default:
        return '421 Service not available.\r\n';
    }
  },
  async start(config, log) {
    const shared = await createFtpShared(config, log);
    return {
      session: (socket, context) => new FtpSession(socket, shared, context).run(),
    };
  },
});
