/**
 * Protected data connections (PROT P) over the real server: the TLS session on the data connection
 * must resume the control connection's (tls.requireSessionReuse, vsftpd's require_ssl_reuse), the
 * xferlog records the download, and curl and Python's ftplib get their files.
 */
import { execFile } from 'node:child_process';
import { constants as cryptoConstants, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../services/ftp/auth/password-hash.js';
import { connectSocket, readAll } from '../../helpers/ftp.js';
import { FtpsClient } from '../../helpers/ftps.js';
import { freePort } from '../../helpers/net.js';
import { README, startFtpsServer, type FtpsServer } from '../../helpers/ftps-server.js';
import { eventually } from './data-fixture.js';

let strict: FtpsServer;

beforeAll(async () => {
  strict = await startFtpsServer({ passivePorts: '31220-31239', tls: { implicitPort: await freePort() } });
});

afterAll(async () => {
  await strict?.stop();
});

async function protectedSession(server: FtpsServer): Promise<FtpsClient> {
  const ftp = await FtpsClient.connect(server.port);
  await ftp.authTls();
  await ftp.login();
  await ftp.expect('PBSZ 0', 200);
  await ftp.expect('PROT P', 200);
  await ftp.expect('TYPE I', 200);
  return ftp;
}

/** TYPE I, then RETR of the readme over a protected data connection; checks its bytes and the 226. */
async function expectProtectedReadme(ftp: FtpsClient): Promise<void> {
  await ftp.expect('TYPE I', 200);
  const raw = await ftp.epsv();
  expect((await ftp.command('RETR /pub/readme.txt')).code).toBe(150);
  expect((await readAll(ftp.secureData(raw))).toString()).toBe(README);
  expect((await ftp.reply()).code).toBe(226);
}

describe('PROT P uploads', () => {
  let writable: FtpsServer;
  let home: string;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'classicd-ftps-home-'));
    writable = await startFtpsServer({
      passivePorts: '31240-31259',
      users: [{ name: 'writer', password: await hashPassword('secret'), root: home, permissions: ['read', 'write'] }],
    });
  });

  afterAll(async () => {
    await writable?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('a reset of the TLS data connection mid-STOR is 426, and the old file stays', async () => {
    // A reset that arrives while sent bytes wait unread reaches Node's TLS layer as a plain end;
    // only the TCP socket underneath can tell (data/clean-end.ts).
    const ftp = await FtpsClient.connect(writable.port);
    await ftp.authTls();
    await ftp.login('writer', 'secret');
    for (const line of ['PBSZ 0', 'PROT P', 'TYPE I']) await ftp.expect(line, 200);
    for (let round = 0; round < 3; round++) {
      writeFileSync(join(home, 'precious.bin'), 'GOOD'.repeat(100));
      const raw = await ftp.epsv();
      raw.on('error', () => undefined);
      expect((await ftp.command('STOR precious.bin')).code).toBe(150);
      const data = ftp.secureData(raw);
      data.on('error', () => undefined);
      await new Promise<void>((resolve) => data.write(randomBytes(8 * 1024 * 1024), () => resolve()));
      raw.resetAndDestroy();
      expect((await ftp.reply()).code).toBe(426);
      expect(readFileSync(join(home, 'precious.bin'), 'utf8')).toBe('GOOD'.repeat(100));
    }
    await ftp.expect('QUIT', 221);
  });
});

describe('PROT P transfers', () => {
  it('sends a file over TLS that resumes the control session, and logs it in the xferlog', async () => {
    const ftp = await protectedSession(strict);
    for (let i = 0; i < 2; i++) {
      const raw = await ftp.epsv();
      expect((await ftp.command('RETR /pub/readme.txt')).code).toBe(150);
      const data = ftp.secureData(raw);
      const reused = new Promise<boolean>((resolve) =>
        data.once('secureConnect', () => resolve(data.isSessionReused())),
      );
      const bytes = await readAll(data);
      expect(await reused).toBe(true);
      expect(bytes.toString()).toBe(README);
      expect((await ftp.reply()).code).toBe(226);
    }
    await ftp.expect('QUIT', 221);
    // The worker sends its lines to the primary, which writes the file: a few milliseconds later.
    const xferlogLines = (): string[] => readFileSync(strict.xferlog, 'utf8').trimEnd().split('\n');
    await eventually(() => xferlogLines().length >= 2);
    const lines = xferlogLines();
    expect(lines[0]).toMatch(
      /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} \d+ 127\.0\.0\.1 13 \/pub\/readme\.txt b _ o a <no_password> ftp 0 \* c$/,
    );
  });

  it('refuses a data connection whose TLS session is new: 522, no data, and the session goes on', async () => {
    const ftp = await protectedSession(strict);
    const raw = await ftp.epsv();
    expect((await ftp.command('RETR /pub/readme.txt')).code).toBe(150);
    const bytes = await readAll(ftp.secureData(raw, { reuse: false }));
    expect(bytes.length).toBe(0);
    const refusal = await ftp.reply();
    expect(refusal.code).toBe(522);
    expect(refusal.text).toMatch(/session reuse required/);
    await ftp.expect('NOOP', 200);
    ftp.close();
  });

  it('serves listings over TLS too', async () => {
    const ftp = await protectedSession(strict);
    const raw = await ftp.epsv();
    expect((await ftp.command('NLST /pub')).code).toBe(150);
    const listing = (await readAll(ftp.secureData(raw))).toString();
    expect(listing).toMatch(/readme\.txt/);
    expect((await ftp.reply()).code).toBe(226);
    ftp.close();
  });
});

describe('a stranger that reached the data port first', () => {
  // Refused once (its handshake resumed nothing), it must not have been given a session there that
  // the next transfer's check would take for the control connection's.
  it.each([
    { resumption: 'TLS 1.3 tickets', options: {} },
    {
      resumption: 'TLS 1.2 session ids',
      options: { maxVersion: 'TLSv1.2', secureOptions: cryptoConstants.SSL_OP_NO_TICKET } as const,
    },
  ])('gets no TLS session to take the next transfer with ($resumption)', async ({ options }) => {
    const ftp = await protectedSession(strict);
    let stolen: Buffer | undefined;
    for (const attempt of ['first', 'second']) {
      const raw = await ftp.epsv(); // the stranger's connection: the first to reach the port
      expect((await ftp.command('RETR /pub/readme.txt')).code).toBe(150);
      const stranger = tlsConnect({
        socket: raw,
        host: '127.0.0.1',
        rejectUnauthorized: false,
        ...options,
        ...(stolen ? { session: stolen } : {}),
      });
      stranger.on('error', () => undefined);
      stranger.on('session', (session: Buffer) => (stolen = session));
      expect((await readAll(stranger)).length, attempt).toBe(0);
      expect((await ftp.reply()).code, attempt).toBe(522);
    }
    await expectProtectedReadme(ftp); // the control connection's own session still works
    ftp.close();
  });
});

describe('implicit FTPS', () => {
  it('greets over TLS on the implicit port, with PROT P already in force', async () => {
    const ftp = await FtpsClient.connect(strict.implicitPort!, { implicit: true });
    expect(ftp.greeting.code).toBe(220);
    await ftp.login();
    expect((await ftp.command('AUTH TLS')).code).toBe(503);
    await expectProtectedReadme(ftp);
    ftp.close();
  });

  it('refuses REIN with 502 (it would have to drop TLS); the session and PROT P go on', async () => {
    const ftp = await FtpsClient.connect(strict.implicitPort!, { implicit: true });
    await ftp.login();
    expect((await ftp.command('REIN')).code).toBe(502);
    await expectProtectedReadme(ftp);
    ftp.close();
  });

  it('closes a plain-text client on the implicit port with a log line, and keeps serving', async () => {
    const ftp = await FtpsClient.connect(strict.port);
    const plain = await connectSocket(strict.implicitPort!);
    plain.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => plain.once('close', () => resolve()));
    plain.end('USER anonymous\r\n');
    plain.resume();
    await closed;
    await strict.server.waitForLine((line) => line.msg === 'tls handshake failed on the implicit FTPS port');
    await ftp.expect('NOOP', 200);
    ftp.close();
  });
});

function run(
  command: string,
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

const have = async (command: string): Promise<boolean> => (await run(command, ['--version'])).code === 0;

// Python's FTP_TLS does not resume the control session on data connections unless subclassed:
// with reuse required, the stock class gets 522, the subclass its file.
const python = (port: number, reuse: boolean): string[] => [
  '-c',
  `
import ftplib, ssl, sys

class Reusing(ftplib.FTP_TLS):
    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
        return conn, size
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ftp = (Reusing if sys.argv[2] == 'reuse' else ftplib.FTP_TLS)(context=ctx)
ftp.connect('127.0.0.1', int(sys.argv[1]))
ftp.login()
ftp.prot_p()
chunks = []
try:
    ftp.retrbinary('RETR /pub/readme.txt', chunks.append)
    sys.stdout.write(b''.join(chunks).decode())
except ftplib.error_perm as error:
    sys.stdout.write('refused: ' + str(error))
ftp.quit()
`,
  String(port),
  reuse ? 'reuse' : 'stock',
];

describe('real clients', () => {
  it('curl --ssl-reqd (AUTH SSL, PBSZ, PROT P, session reuse) fetches a file and a listing', async (context) => {
    if (!(await have('curl'))) return context.skip();
    const url = `ftp://127.0.0.1:${strict.port}/pub/`;
    const file = await run('curl', ['-sS', '--ssl-reqd', '-k', `${url}readme.txt`]);
    expect(file.stderr).toBe('');
    expect(file.stdout).toBe(README);
    const listing = await run('curl', ['-sS', '--ssl-reqd', '-k', '-l', url]);
    expect(listing.stdout).toMatch(/readme\.txt/);
  });

  it('curl ftps:// (implicit) fetches a file', async (context) => {
    if (!(await have('curl'))) return context.skip();
    const file = await run('curl', ['-sS', '-k', `ftps://127.0.0.1:${strict.implicitPort}/pub/readme.txt`]);
    expect(file.stderr).toBe('');
    expect(file.stdout).toBe(README);
  });

  it('Python ftplib FTP_TLS with session reuse gets the file; without, 522', async (context) => {
    if (!(await have('python3'))) return context.skip();
    const reusing = await run('python3', python(strict.port, true));
    expect(reusing.stderr).toBe('');
    expect(reusing.stdout).toBe(README);
    const stock = await run('python3', python(strict.port, false));
    expect(stock.stderr + stock.stdout).toMatch(/^refused: 522 /);
  });
});

describe('with tls.requireSessionReuse off', () => {
  it('lets a client that does not resume (stock ftplib, fresh sessions) transfer', async (context) => {
    const relaxed = await startFtpsServer({
      passivePorts: '31240-31259',
      tls: { requireSessionReuse: false },
      workers: 1,
    });
    try {
      const ftp = await protectedSession(relaxed);
      const raw = await ftp.epsv();
      expect((await ftp.command('RETR /pub/readme.txt')).code).toBe(150);
      expect((await readAll(ftp.secureData(raw, { reuse: false }))).toString()).toBe(README);
      expect((await ftp.reply()).code).toBe(226);
      ftp.close();
      if (!(await have('python3'))) return context.skip();
      const stock = await run('python3', python(relaxed.port, false));
      expect(stock.stdout).toBe(README);
    } finally {
      await relaxed.stop();
    }
  });
});
