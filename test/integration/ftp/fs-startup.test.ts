/** The anonymous-root sanity warnings classicd logs at start (services/ftp/fs/root-checks.ts). */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startClassicd, testConfig, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient } from '../../helpers/ftp.js';
import { anonymousConfig, FAST_FTP } from './fs-fixture.js';

const WARN = 40;
let server: RunningClassicd | undefined;
let base: string | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
  if (base) rmSync(base, { recursive: true, force: true });
});

describe('anonymous root sanity at start', () => {
  it('warns about a world-writable root and a missing upload directory, and still serves', async () => {
    base = mkdtempSync(join(tmpdir(), 'classicd-ftp-start-'));
    const root = join(base, 'anon');
    mkdirSync(root);
    chmodSync(root, 0o777);
    server = await startClassicd(testConfig({ ftp: { ...FAST_FTP, anonymous: anonymousConfig(root) } }));
    const writable = await server.waitForLine((line) => /world-writable/.test(line.msg));
    expect(writable).toMatchObject({ level: WARN, path: root });
    const upload = await server.waitForLine((line) => /upload directory does not exist/.test(line.msg));
    expect(upload).toMatchObject({ level: WARN, path: join(root, 'incoming') });
    const ftp = await FtpClient.connect(server.port('ftp'));
    try {
      await ftp.login();
      await ftp.expect('PWD', 257);
    } finally {
      ftp.close();
    }
  });

  it('warns about a missing root', async () => {
    base = mkdtempSync(join(tmpdir(), 'classicd-ftp-start-'));
    const root = join(base, 'does-not-exist');
    server = await startClassicd(
      testConfig({
        ftp: {
          ...FAST_FTP,
          anonymous: anonymousConfig(root, { upload: { enabled: false, dir: 'incoming', umask: '077' } }),
        },
      }),
    );
    const missing = await server.waitForLine((line) => /anonymous root does not exist/.test(line.msg));
    expect(missing).toMatchObject({ level: WARN, path: root });
    expect(server.lines.some((line) => /upload/.test(line.msg))).toBe(false);
  });
});
