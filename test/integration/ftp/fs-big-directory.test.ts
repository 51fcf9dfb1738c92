/**
 * A directory of 100,000 entries (issue 3: listings stream; such a directory must not be read into
 * memory at once). The server reads it a batch at a time as the client reads; here the client reads
 * it all and every name must arrive exactly once, in NLST and MLSD alike (LIST shares their path
 * through directory-stream.ts). Slow on a busy machine: creating the files dominates.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, testConfig, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient } from '../../helpers/ftp.js';
import { anonymousConfig, FAST_FTP, listing } from './fs-fixture.js';

const COUNT = 100_000;
let server: RunningClassicd;
let base: string;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'classicd-ftp-big-'));
  const big = join(base, 'anon', 'big');
  mkdirSync(big, { recursive: true });
  for (let i = 0; i < COUNT; i++) closeSync(openSync(join(big, `file-${String(i).padStart(6, '0')}.dat`), 'w'));
  server = await startClassicd(
    testConfig({
      ftp: {
        ...FAST_FTP,
        anonymous: anonymousConfig(join(base, 'anon'), { upload: { enabled: false, dir: 'incoming', umask: '077' } }),
      },
    }),
  );
}, 240_000);

afterAll(async () => {
  await server?.stop();
  rmSync(base, { recursive: true, force: true });
});

describe('a directory of 100,000 entries', () => {
  it.each([['NLST /big'], ['MLSD /big']])(
    '%s sends every entry once',
    async (command) => {
      const ftp = await FtpClient.connect(server.port('ftp'));
      try {
        await ftp.login();
        const result = await listing(ftp, command);
        expect(result.reply.code).toBe(226);
        const names = result.lines
          .map((line) => /file-\d{6}\.dat$/.exec(line)?.[0])
          .filter((name): name is string => name !== undefined);
        expect(names).toHaveLength(COUNT);
        expect(new Set(names).size).toBe(COUNT);
      } finally {
        ftp.close();
      }
    },
    240_000,
  );
});
