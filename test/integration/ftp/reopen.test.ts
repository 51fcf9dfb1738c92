/**
 * SIGHUP (and SIGUSR1), as logrotate's postrotate and systemd's ExecReload send it: the server goes
 * on, the primary reopens the xferlog at its path, and every worker takes up the certificate read
 * again. Before, SIGHUP killed the server, and SIGUSR1 opened Node's debugger port in whichever
 * process got it.
 */
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CERT_FILE,
  KEY_FILE,
  loadOrCreateSelfSigned,
  type SelfSignedPair,
} from '../../../services/ftp/tls/self-signed.js';
import { FtpClient } from '../../helpers/ftp.js';
import { FtpsClient } from '../../helpers/ftps.js';
import { startFtpsServer, type FtpsServer } from '../../helpers/ftps-server.js';
import { eventually, expectCode, retrieve } from './data-fixture.js';

const WORKERS = 2;
let dir: string;
let first: SelfSignedPair;
let renewed: SelfSignedPair;
let ftps: FtpsServer;
const cert = (): string => join(dir, 'cert.pem');
const key = (): string => join(dir, 'key.pem');

/** Puts `pair` where tls.cert and tls.key point, as a renewal would. */
function install(pair: SelfSignedPair): void {
  copyFileSync(join(pair.dir, CERT_FILE), cert());
  copyFileSync(join(pair.dir, KEY_FILE), key());
}

async function servedFingerprint(): Promise<string> {
  const client = await FtpsClient.connect(ftps.port);
  try {
    return (await client.authTls()).getPeerCertificate().fingerprint256;
  } finally {
    client.close();
  }
}

async function download(): Promise<void> {
  const client = await FtpClient.connect(ftps.port);
  try {
    await client.login();
    expectCode((await retrieve(client, 'pub/readme.txt')).final, 226);
  } finally {
    client.close();
  }
}

const xferlogLines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter(Boolean);
const reopenedLines = (): number => ftps.server.lines.filter((line) => line.msg === 'reopened').length;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'classicd-ftp-reopen-'));
  first = await loadOrCreateSelfSigned(join(dir, 'first'));
  renewed = await loadOrCreateSelfSigned(join(dir, 'renewed'));
  install(first);
  ftps = await startFtpsServer({ passivePorts: '31300-31319', tls: { cert: cert(), key: key() }, workers: WORKERS });
});

afterAll(async () => {
  await ftps?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('SIGHUP: the server goes on, the xferlog is reopened after a rotation, the renewed certificate is served', async () => {
  expect(await servedFingerprint()).toBe(first.fingerprint256);
  await download();
  await eventually(() => xferlogLines(ftps.xferlog).length === 1);
  renameSync(ftps.xferlog, `${ftps.xferlog}.1`);
  install(renewed);

  ftps.server.child.kill('SIGHUP');
  await eventually(() => reopenedLines() === WORKERS, 10_000);

  expect(ftps.server.child.exitCode).toBeNull();
  // Every worker reloaded, so whichever takes these connections serves the new certificate.
  for (let i = 0; i < 4; i++) expect(await servedFingerprint()).toBe(renewed.fingerprint256);
  await download();
  await eventually(() => xferlogLines(ftps.xferlog).length === 1);
  expect(xferlogLines(`${ftps.xferlog}.1`)).toHaveLength(1);
});

it('SIGUSR1 reopens too, and opens no debugger port in the primary or a worker', async () => {
  const workerPid = ftps.server.lines.find((line) => line.msg === 'worker ready')?.workerPid as number;
  process.kill(workerPid, 'SIGUSR1');
  const before = reopenedLines();
  ftps.server.child.kill('SIGUSR1');
  await eventually(() => reopenedLines() === before + WORKERS, 10_000);
  expect(ftps.server.stderr()).not.toMatch(/Debugger listening|inspector/i);
  await download();
});

// The shipped example's setup: workers as nobody, a key only root may read, a log directory only
// root may write. The primary, still root, reads the key and writes the xferlog, which keeps the
// owner and mode logrotate gave it: it used to be handed to nobody at every SIGHUP.
describe.skipIf(process.getuid?.() !== 0)('SIGHUP with workers switched to nobody', () => {
  let privateDir: string;
  let server: FtpsServer;

  beforeAll(async () => {
    privateDir = mkdtempSync(join(tmpdir(), 'classicd-ftp-reopen-root-')); // 0700: root's alone
    const pair = await loadOrCreateSelfSigned(join(privateDir, 'first'));
    copyFileSync(join(pair.dir, CERT_FILE), join(privateDir, 'cert.pem'));
    copyFileSync(join(pair.dir, KEY_FILE), join(privateDir, 'key.pem'));
    server = await startFtpsServer({
      passivePorts: '31320-31339',
      tls: { cert: join(privateDir, 'cert.pem'), key: join(privateDir, 'key.pem') },
      workers: 1,
      workersUser: 'nobody',
    });
    chmodSync(server.dir, 0o755); // so that nobody reaches the anonymous root inside it
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(privateDir, { recursive: true, force: true });
  });

  it('reopens a rotated xferlog that root created, and serves the renewed certificate only root may read', async () => {
    const client = await FtpClient.connect(server.port);
    await client.login();
    expectCode((await retrieve(client, 'pub/readme.txt')).final, 226);
    client.close();
    await eventually(() => xferlogLines(server.xferlog).length === 1);
    // logrotate: move the file away and create a new one, as root, mode 0640.
    renameSync(server.xferlog, `${server.xferlog}.1`);
    writeFileSync(server.xferlog, '', { mode: 0o640 });
    chownSync(server.xferlog, 0, 4); // logrotate's `create 0640 root adm`
    copyFileSync(join(renewed.dir, CERT_FILE), join(privateDir, 'cert.pem'));
    copyFileSync(join(renewed.dir, KEY_FILE), join(privateDir, 'key.pem'));

    server.server.child.kill('SIGHUP');
    await server.server.waitForLine((line) => line.msg === 'reopened' || line.msg.startsWith('could not reopen'));
    expect(server.server.lines.filter((line) => line.msg.startsWith('could not'))).toEqual([]);

    const ftps = await FtpsClient.connect(server.port);
    expect((await ftps.authTls()).getPeerCertificate().fingerprint256).toBe(renewed.fingerprint256);
    ftps.close();
    const again = await FtpClient.connect(server.port);
    await again.login();
    expectCode((await retrieve(again, 'pub/readme.txt')).final, 226);
    again.close();
    await eventually(() => xferlogLines(server.xferlog).length === 1);
    const kept = statSync(server.xferlog);
    expect([kept.uid, kept.gid, kept.mode & 0o777]).toEqual([0, 4, 0o640]);
  });
});
