/**
 * Quote of the Day (RFC 865): on TCP, send one quote and close; on UDP, answer any datagram with
 * one quote. Quotes come from `quotesFile` (fortune format) or, when it is empty, a built-in list.
 */
import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { defineService } from '../../shared/service.js';
import { smallServiceShape } from '../small-service-config.js';
import { BUILTIN_QUOTES } from './builtin-quotes.js';
import { loadQuotesFile, parseQuotes } from './quotes.js';

const configSchema = z.strictObject({ ...smallServiceShape, quotesFile: z.string() });

export const qotdService = defineService({
  name: 'qotd',
  standardPort: 17,
  transports: ['tcp', 'udp'],
  configSchema,
  // Read and checked once per worker: a quote file that breaks the rules stops classicd at start-up
  // with a message naming the quote, rather than failing some client later.
  async start(config, log) {
    const quotes =
      config.quotesFile === ''
        ? parseQuotes(BUILTIN_QUOTES.join('\n%\n'), 'qotd built-in quotes')
        : await loadQuotesFile(config.quotesFile);
    log.debug({ quotes: quotes.length, quotesFile: config.quotesFile || null }, 'quotes loaded');
    const pick = (): Buffer => quotes[randomInt(quotes.length)] as Buffer;
    return {
      // RFC 865: "Once a connection is established a short message is sent out the connection (and
      // any data received is thrown away). The service closes the connection after sending the quote."
      async session(socket) {
        await new Promise<void>((resolve, reject) => socket.end(pick(), () => resolve()).once('error', reject));
      },
      // RFC 865: "When a datagram is received, an answering datagram is sent containing a quote (the
      // data in the received datagram is ignored)."
      datagram: () => pick(),
    };
  },
});
