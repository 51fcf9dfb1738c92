/**
 * Listing lines as a byte stream for the data connection. The stream pulls the next batch only when
 * its consumer has read the last one (Readable.from drives the generator on demand), so a slow
 * client or a huge directory never piles lines up in memory; destroying the stream (ABOR, a dropped
 * data connection) returns the generator, which closes the directory.
 *
 * Lines end in LF: listings go out as TYPE A, and the transfer turns LF into CRLF (RFC 959 3.1.1.1,
 * the startDownload contract).
 */
import { Readable } from 'node:stream';
import { encodeRawBytes } from '../../../shared/text/raw-bytes.js';

export function linesToReadable(batches: AsyncIterable<readonly string[]>): Readable {
  return Readable.from(encode(batches), { objectMode: false });
}

async function* encode(batches: AsyncIterable<readonly string[]>): AsyncGenerator<Buffer> {
  for await (const batch of batches) {
    if (batch.length > 0) yield encodeRawBytes(batch.join('\n') + '\n'); // names' raw bytes as they are
  }
}
