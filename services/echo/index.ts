/**
 * Echo (RFC 862): on TCP, send back everything the client sends until it closes; on UDP, send back
 * each datagram.
 */
import { pipeline } from 'node:stream/promises';
import { defineService } from '../../shared/service.js';
import { smallServiceSchema } from '../small-service-config.js';

export const echoService = defineService({
  name: 'echo',
  standardPort: 7,
  transports: ['tcp', 'udp'],
  configSchema: smallServiceSchema,
  start() {
    return {
      // RFC 862: "Once a connection is established any data received is sent back. This continues
      // until the calling user terminates the connection." pipeline() reads only as fast as the
      // client takes our replies (a client that sends and never reads stalls at a bounded buffer,
      // then the idle timeout), and ends our side when the client ends its own.
      async session(socket) {
        await pipeline(socket, socket);
      },
      // RFC 862: "When a datagram is received, the data from it is sent in an answering datagram."
      // The UDP guard drops datagrams from privileged source ports, which breaks the classic
      // echo<->chargen reflection loop (CVE-1999-0103).
      datagram: ({ data }) => data,
    };
  },
});
