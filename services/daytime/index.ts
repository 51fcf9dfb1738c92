/**
 * Daytime (RFC 867): on TCP, send the date and time as one line and close; on UDP, answer any
 * datagram with the same line, ignoring what it held.
 */
import { z } from 'zod';
import { defineService } from '../../shared/service.js';
import { smallServiceShape } from '../small-service-config.js';
import { DAYTIME_FORMATS, formatDaytime } from './format.js';

const configSchema = z.strictObject({ ...smallServiceShape, format: z.enum(DAYTIME_FORMATS) });

export const daytimeService = defineService({
  name: 'daytime',
  standardPort: 13,
  transports: ['tcp', 'udp'],
  configSchema,
  start(config) {
    const now = (): Buffer => Buffer.from(formatDaytime(new Date(), config.format), 'ascii');
    return {
      // "Once a connection is established the current date and time is sent out the connection as a
      // ascii character string (and any data received is thrown away). The service closes the
      // connection after sending the quote." (RFC 867)
      async session(socket) {
        await new Promise<void>((resolve, reject) => socket.end(now(), () => resolve()).once('error', reject));
      },
      datagram: () => now(),
    };
  },
});
