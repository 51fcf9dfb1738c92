/**
 * Time (RFC 868): on TCP, send the time as four bytes and close; on UDP, answer any datagram with
 * the same four bytes.
 */
import { defineService } from '../../shared/service.js';
import { smallServiceSchema } from '../small-service-config.js';
import { encodeRfc868 } from './rfc868.js';

export const timeService = defineService({
  name: 'time',
  standardPort: 37,
  transports: ['tcp', 'udp'],
  configSchema: smallServiceSchema,
  start() {
    const now = (): Buffer => encodeRfc868(new Date());
    return {
      // RFC 868, "The Protocol" over TCP: "S: Send the time as a 32 bit binary number. ... S: Close
      // the connection." Nothing the client sends matters.
      async session(socket) {
        await new Promise<void>((resolve, reject) => socket.end(now(), () => resolve()).once('error', reject));
      },
      // RFC 868 over UDP expects an empty datagram; we answer any, as daytime does, since the
      // content was never meant to carry anything.
      datagram: () => now(),
    };
  },
});
