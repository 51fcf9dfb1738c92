import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { asciiRestartPoint, asciiStreamSize } from '../../../services/ftp/data/ascii-offsets.js';
import { ToNetworkAscii } from '../../../services/ftp/data/ascii-transforms.js';

const dir = mkdtempSync(join(tmpdir(), 'classicd-ascii-offsets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What ToNetworkAscii sends for `bytes`, starting in state `lastWasCr`. */
function toNetwork(bytes: Buffer, lastWasCr = false): Buffer {
  const out: Buffer[] = [];
  const transform = new ToNetworkAscii(lastWasCr);
  transform.on('data', (chunk: Buffer) => out.push(chunk));
  transform.write(bytes);
  return Buffer.concat(out);
}

/** Text made mostly of CR, LF and CRLF, so that every kind of boundary comes up. */
function awkwardText(length: number): Buffer {
  const pick = randomBytes(length);
  return Buffer.from([...pick].map((byte) => [0x0d, 0x0a, 0x61, 0x62][byte % 4] as number));
}

describe('asciiRestartPoint (REST in TYPE A counts the octets sent, RFC 3659 5)', () => {
  it.each([1, 2, 3, 7, 64])(
    'resumes so that the rest of the stream is exactly what follows the marker (chunks of %i bytes)',
    async (chunkBytes) => {
      const content = awkwardText(200);
      const path = join(dir, `text-${chunkBytes}`);
      writeFileSync(path, content);
      const network = toNetwork(content);
      const handle = await open(path);
      try {
        expect(await asciiStreamSize(handle, content.length)).toBe(network.length);
        for (let marker = 1; marker <= network.length; marker++) {
          const point = await asciiRestartPoint(handle, content.length, marker, chunkBytes);
          expect(point, `marker ${marker}`).toBeDefined();
          const rest = toNetwork(content.subarray(point?.offset), point?.lastWasCr);
          expect(rest.equals(network.subarray(marker)), `marker ${marker}`).toBe(true);
        }
        expect(await asciiRestartPoint(handle, content.length, network.length + 1, chunkBytes)).toBeUndefined();
      } finally {
        await handle.close();
      }
    },
  );

  it('a marker between an added CR and its LF resumes at the LF, sent bare', async () => {
    const path = join(dir, 'lines');
    writeFileSync(path, 'ab\ncd\n'); // sent as ab CR LF cd CR LF
    const handle = await open(path);
    try {
      expect(await asciiRestartPoint(handle, 6, 3)).toEqual({ offset: 2, lastWasCr: true });
      expect(await asciiRestartPoint(handle, 6, 4)).toEqual({ offset: 3, lastWasCr: false });
      expect(await asciiRestartPoint(handle, 6, 8)).toEqual({ offset: 6, lastWasCr: false });
    } finally {
      await handle.close();
    }
  });
});
