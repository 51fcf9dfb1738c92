/**
 * Echo (RFC 862): on TCP, send back everything the client sends until it closes; on UDP, send back
 * each datagram.
 */
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
      // until the calling user terminates the connection." pipe() reads only as fast as the client
      // takes our replies (a client that sends and never reads stalls at a bounded buffer, then the
      // idle timeout), and ends our side when the client ends its own. pipe() rather than
      // pipeline(): the same backpressure for about half the heap per idle session (pipeline builds
      // listeners, an AbortController and several promises per stream).
      session(socket) {
        return new Promise<void>((resolve) => {
          socket.pipe(socket);
          socket.once('end', resolve);
          socket.once('close', resolve);
        });
      },
      // RFC 862: "When a datagram is received, the data from it is sent in an answering datagram."
      // The UDP guard drops datagrams from privileged source ports, which breaks the classic
      // echo<->chargen reflection loop (CVE-1999-0103).
      datagram: ({ data }) => data,
    };
  },
});
