/**
 * Discard (RFC 863): on TCP, read and throw away everything until the client closes; on UDP, throw
 * away each datagram and answer nothing.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { defineService } from '../../shared/service.js';
import { smallServiceSchema } from '../small-service-config.js';

export const discardService = defineService({
  name: 'discard',
  standardPort: 9,
  transports: ['tcp', 'udp'],
  configSchema: smallServiceSchema,
  start() {
    return {
      // RFC 863: "Once a connection is established any data received is thrown away. No response is
      // sent. This continues until the calling user terminates the connection." Reading into a sink
      // through pipeline() keeps nothing in memory and settles when the client ends or aborts.
      async session(socket) {
        await pipeline(socket, new Writable({ write: (_chunk, _encoding, done) => done() }));
      },
      // RFC 863: "When a datagram is received, it is thrown away. No response is sent."
      datagram: () => undefined,
    };
  },
});
