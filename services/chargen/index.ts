/**
 * Character generator (RFC 864): on TCP, stream the rotating 72-character pattern until the client
 * goes away; on UDP, answer each datagram with 0 to 512 characters of it.
 */
import { randomInt } from 'node:crypto';
import { defineService } from '../../shared/service.js';
import { smallServiceSchema } from '../small-service-config.js';
import { chargenBlock, datagramLength } from './pattern.js';
import { writeUntilClosed } from './write-until-closed.js';

/** Full 95-line turns per TCP write: 9 x 7030 bytes, just under a 64 KiB socket buffer. */
const CYCLES_PER_WRITE = 9;

export const chargenService = defineService({
  name: 'chargen',
  standardPort: 19,
  transports: ['tcp', 'udp'],
  configSchema: smallServiceSchema,
  start() {
    // Made once per worker and shared by every session: the stream is this block, again and again.
    const block = chargenBlock(CYCLES_PER_WRITE);
    return {
      session: (socket) => writeUntilClosed(socket, block),
      // RFC 864 over UDP: "an answering datagram is sent containing a random number (between 0 and
      // 512) of characters". xinetd sends 1024; we keep to the RFC, which also halves the
      // amplification a forged source could get out of us. "There is no history or state
      // information", so each answer starts at line 0.
      datagram: () => block.subarray(0, datagramLength(randomInt)),
    };
  },
});
