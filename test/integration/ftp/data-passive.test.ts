/**
 * Passive data connections (PASV, EPSV) over real sockets against the real server: downloads byte
 * for byte, TYPE A, REST, the port-theft case, ABOR, timeouts and clients that go away.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, type RunningClassicd } from '../../helpers/classicd.js';
import { connectSocket, FtpClient, readAll } from '../../helpers/ftp.js';
import { freePort } from '../../helpers/net.js';
import { expectCode, ftpTestConfig, openPassive, retrieve, tempDir, type PassiveKind } from './data-fixture.js';

const BIG = randomBytes(8 * 1024 * 1024 + 123);
const HUGE_BYTES = 48 * 1024 * 1024; // more than loopback buffers hold, so a stalled reader stalls the server
const BINARY = Buffer.from([0, 1, 2, 10, 13, 10, 255, 13, 0x80, 10]);
const TEXT = 'line one\nline two\r\nline three\n\nend';
const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

// Downloads go by sendfile(2) by default and through Node streams without it (no addon, TLS, a
// rate limit or TYPE A): both paths get every case.
describe.each([
  { path: 'native', nativeTransfers: true },
  { path: 'streams', nativeTransfers: false },
])('ftp passive data connections ($path)', ({ nativeTransfers }) => {
  const root = tempDir('classicd-ftp-pasv-');
  let server: RunningClassicd;
  let port: number;
  const clients: FtpClient[] = [];

  /** A logged-in anonymous client in TYPE I; closed after the test. */
  async function login(): Promise<FtpClient> {
    const client = await FtpClient.connect(port);
    clients.push(client);
    await client.login();
    expectCode(await client.command('TYPE I'), 200);
    return client;
  }

  beforeAll(async () => {
    writeFileSync(join(root.path, 'binary.bin'), BINARY);
    writeFileSync(join(root.path, 'text.txt'), TEXT);
    writeFileSync(join(root.path, 'big.bin'), BIG);
    writeFileSync(join(root.path, 'huge.bin'), Buffer.alloc(HUGE_BYTES, 0x41));
    writeFileSync(join(root.path, 'empty.txt'), '');
    server = await startClassicd(ftpTestConfig({ anonymousRoot: root.path, workers: 1, nativeTransfers }));
    port = server.port('ftp');
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  afterAll(async () => {
    await server?.stop();
    root.remove();
  });

  describe.each<PassiveKind>(['PASV', 'EPSV'])('%s', (kind) => {
    it('RETRs a binary file byte for byte in TYPE I', async () => {
      const client = await login();
      const { data, opening, final } = await retrieve(client, 'binary.bin', kind);
      expect(opening.text).toContain('BINARY mode');
      expect(data.equals(BINARY)).toBe(true);
      expectCode(final, 226);
    });

    it('RETRs text in TYPE A with CRLF line ends, leaving existing CRLF alone', async () => {
      const client = await login();
      expectCode(await client.command('TYPE A'), 200);
      const { data, final } = await retrieve(client, 'text.txt', kind);
      expect(data.toString('latin1')).toBe('line one\r\nline two\r\nline three\r\n\r\nend');
      expectCode(final, 226);
    });

    it('RETRs a file of several MB intact', async () => {
      const client = await login();
      const { data, final } = await retrieve(client, 'big.bin', kind);
      expect(data.length).toBe(BIG.length);
      expect(sha(data)).toBe(sha(BIG));
      expectCode(final, 226);
    });
  });

  it('the 227 reply advertises the control connection address', async () => {
    const client = await login();
    const { host } = await client.pasvAddress();
    expect(host).toBe('127.0.0.1');
    expectCode(await client.command('ABOR'), 226); // closes the unused listener
  });

  it('RETRs an empty file', async () => {
    const client = await login();
    const { data, final } = await retrieve(client, 'empty.txt');
    expect(data.length).toBe(0);
    expectCode(final, 226);
  });

  it('REST n then RETR sends from byte n, and the offset is used once', async () => {
    const client = await login();
    const offset = 5 * 1024 * 1024 + 7;
    expectCode(await client.command(`REST ${offset}`), 350);
    const resumed = await retrieve(client, 'big.bin');
    expect(resumed.data.equals(BIG.subarray(offset))).toBe(true);
    expectCode(resumed.final, 226);
    const whole = await retrieve(client, 'binary.bin');
    expect(whole.data.equals(BINARY)).toBe(true);
  });

  // RFC 3659: SIZE in TYPE A counts the octets sent, and is "suitable for use with" REST; so the
  // marker counts the same octets. A client that stopped after SIZE/2 octets resumes seamlessly.
  it('REST in TYPE A counts octets sent, as SIZE does: a download resumed halfway joins up exactly', async () => {
    const client = await login();
    expectCode(await client.command('TYPE A'), 200);
    const whole = await retrieve(client, 'text.txt');
    const size = Number((await client.command('SIZE text.txt')).text);
    expect(size).toBe(whole.data.length);
    for (const marker of [1, 9, 10, size - 1, size]) {
      expectCode(await client.command(`REST ${marker}`), 350);
      const resumed = await retrieve(client, 'text.txt');
      expectCode(resumed.final, 226);
      expect(Buffer.concat([whole.data.subarray(0, marker), resumed.data]).equals(whole.data), `REST ${marker}`).toBe(
        true,
      );
    }
    expectCode(await client.command(`REST ${size + 1}`), 350);
    const socket = await client.epsv();
    expectCode(await client.command('RETR text.txt'), 554);
    socket.destroy();
  });

  it('REST beyond the end is refused with 554 before any data connection is used', async () => {
    const client = await login();
    expectCode(await client.command(`REST ${BINARY.length + 1}`), 350);
    const socket = await client.epsv();
    expectCode(await client.command('RETR binary.bin'), 554);
    socket.destroy();
  });

  it('REST with a malformed offset is 501', async () => {
    const client = await login();
    for (const bad of ['', 'x', '-1', '1.5', '99999999999999999999']) {
      expectCode(await client.command(`REST ${bad}`), 501);
    }
  });

  it('RETR without PASV/EPSV/PORT is 425; of a missing file 550; of a directory 550', async () => {
    const client = await login();
    expectCode(await client.command('RETR binary.bin'), 425);
    const socket = await client.epsv();
    expectCode(await client.command('RETR nope.bin'), 550);
    expectCode(await client.command('RETR /'), 550);
    // The listener is still there for the next transfer.
    const received = readAll(socket);
    expectCode(await client.command('RETR binary.bin'), 150);
    expect((await received).equals(BINARY)).toBe(true);
    expectCode(await client.reply(), 226);
  });

  it('refuses a passive connection from a foreign address and still completes the real transfer', async () => {
    const client = await login();
    const dataPort = await client.epsvPort();
    // Someone else on the host races the client to the port (RFC 2577 section 5, "port stealing").
    const stranger = await connectSocket(dataPort, '127.0.0.1', '127.0.0.2');
    const strangerGot = readAll(stranger, 10_000);
    expect((await strangerGot).length).toBe(0);
    const warning = await server.waitForLine(
      (line) => line.msg === 'passive data connection from a foreign address refused' && line.dataPort === dataPort,
    );
    expect(warning.level).toBe(40);
    expect(warning.from).toMatch(/^127\.0\.0\.2:/);
    // The client's own connection is still taken, and the transfer goes through.
    const socket = await connectSocket(dataPort, '127.0.0.1');
    const received = readAll(socket);
    expectCode(await client.command('RETR big.bin'), 150);
    expect(sha(await received)).toBe(sha(BIG));
    expectCode(await client.reply(), 226);
  });

  it('a new PASV replaces the previous listener', async () => {
    const client = await login();
    const first = await client.epsvPort();
    const second = await client.epsvPort();
    expect(second).not.toBe(first);
    await expect(connectSocket(first)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const socket = await connectSocket(second);
    const received = readAll(socket);
    expectCode(await client.command('RETR binary.bin'), 150);
    expect((await received).equals(BINARY)).toBe(true);
    expectCode(await client.reply(), 226);
  });

  it('EPSV ALL makes PASV, PORT and EPRT 503, while EPSV still works (RFC 2428 section 4)', async () => {
    const client = await login();
    expectCode(await client.command('EPSV ALL'), 200);
    expectCode(await client.command('PASV'), 503);
    expectCode(await client.command('PORT 127,0,0,1,100,100'), 503);
    expectCode(await client.command('EPRT |1|127.0.0.1|25700|'), 503);
    const { data, final } = await retrieve(client, 'binary.bin', 'EPSV');
    expect(data.equals(BINARY)).toBe(true);
    expectCode(final, 226);
  });

  it('EPSV 1 is accepted on IPv4; EPSV 2 and unknown protocols get 522; junk 501', async () => {
    const client = await login();
    expect(await client.epsvPort('1')).toBeGreaterThan(0);
    const two = await client.command('EPSV 2');
    expectCode(two, 522);
    expect(two.text).toContain('(1)');
    expectCode(await client.command('EPSV 7'), 522);
    expectCode(await client.command('EPSV x'), 501);
  });

  it('FEAT lists EPSV, EPRT and REST STREAM', async () => {
    const client = await login();
    const feat = await client.command('FEAT');
    expectCode(feat, 211);
    expect(feat.lines).toEqual(expect.arrayContaining([' EPSV', ' EPRT', ' REST STREAM']));
  });

  // ABOR as clients send it: Telnet IP and DM first (RFC 959 4.1.3). lftp sends the DM as TCP
  // urgent data, which Linux takes out of the stream, so the server sees IAC IP IAC ABOR.
  it.each([
    ['IAC IP IAC DM', [0xff, 0xf4, 0xff, 0xf2]],
    ['IAC IP IAC (the DM went urgent, as lftp sends it)', [0xff, 0xf4, 0xff]],
  ])(
    'ABOR after %s mid-transfer: 426 for the transfer, 226 for ABOR, and the session goes on',
    async (_name, telnet) => {
      const client = await login();
      const socket = await client.epsv();
      socket.pause(); // read nothing: the server is soon blocked on a full socket
      expectCode(await client.command('RETR huge.bin'), 150);
      client.socket.write(Buffer.concat([Buffer.from(telnet), Buffer.from('ABOR\r\n')]));
      expectCode(await client.reply(), 426);
      expectCode(await client.reply(), 226);
      socket.destroy();
      expectCode(await client.command('NOOP'), 200);
      const { data, final } = await retrieve(client, 'binary.bin');
      expect(data.equals(BINARY)).toBe(true);
      expectCode(final, 226);
    },
  );

  it('ABOR while the server waits for the data connection: 426, 226, and the listener is gone', async () => {
    const client = await login();
    const dataPort = await client.epsvPort();
    expectCode(await client.command('RETR binary.bin'), 150);
    expectCode(await client.command('ABOR'), 426);
    expectCode(await client.reply(), 226);
    await expect(connectSocket(dataPort)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expectCode(await client.command('NOOP'), 200);
  });

  it('ABOR with nothing to abort is 226 (RFC 959 4.1.3: the command before it completed)', async () => {
    const client = await login();
    expectCode(await client.command('ABOR'), 226);
  });

  it('a client that closes the data connection mid-RETR gets 426, and the session goes on', async () => {
    const client = await login();
    const socket = await client.epsv();
    const firstBytes = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    expectCode(await client.command('RETR huge.bin'), 150);
    await firstBytes;
    socket.resetAndDestroy();
    expectCode(await client.reply(), 426);
    expectCode(await client.command('NOOP'), 200);
  });

  it('a client that disconnects mid-RETR does not disturb the worker', async () => {
    const client = await login();
    const socket = await client.epsv();
    const firstBytes = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    expectCode(await client.command('RETR huge.bin'), 150);
    await firstBytes;
    client.close();
    socket.destroy();
    await server.waitForLine((line) => line.msg === 'transfer failed' && line.transfer === 'RETR /huge.bin');
    // The same (only) worker serves the next client.
    const next = await login();
    const { data, final } = await retrieve(next, 'big.bin');
    expect(sha(data)).toBe(sha(BIG));
    expectCode(final, 226);
    expect(server.lines.some((line) => line.msg === 'worker exited')).toBe(false);
  });
});

describe('ftp passive timeouts', () => {
  const root = tempDir('classicd-ftp-pasv-timeout-');
  let server: RunningClassicd;
  let client: FtpClient;

  beforeAll(async () => {
    writeFileSync(join(root.path, 'huge.bin'), Buffer.alloc(HUGE_BYTES, 0x42));
    writeFileSync(join(root.path, 'small.txt'), 'small\n');
    server = await startClassicd(
      ftpTestConfig({ anonymousRoot: root.path, acceptTimeoutMs: 500, dataTimeoutMs: 1000 }),
    );
    client = await FtpClient.connect(server.port('ftp'));
    await client.login();
  });

  afterAll(async () => {
    client?.close();
    await server?.stop();
    root.remove();
  });

  it('a client that never opens the data connection gets 425 after the accept timeout', async () => {
    await client.epsvPort();
    expectCode(await client.command('RETR small.txt'), 150);
    expectCode(await client.reply(5000), 425);
    expectCode(await client.command('NOOP'), 200);
  });

  // TYPE A goes through streams, TYPE I through the native sendfile job: each must still give up.
  it.each(['A', 'I'])(
    'TYPE %s: a data connection that moves nothing for dataTimeoutMs is cut with 426',
    async (type) => {
      expectCode(await client.command(`TYPE ${type}`), 200);
      const socket = await openPassive(client, 'PASV');
      socket.pause();
      expectCode(await client.command('RETR huge.bin'), 150);
      expectCode(await client.reply(10_000), 426);
      socket.destroy();
      const line = await server.waitForLine((l) => l.msg === 'data connection timed out');
      expect(line.transfer).toBe('RETR /huge.bin');
      expectCode(await client.command('NOOP'), 200);
    },
  );

  // Only progress in the transfer's direction counts: a client cannot keep a download it never
  // reads alive by sending bytes on its data connection now and then.
  it.each(['A', 'I'])('TYPE %s: bytes the client sends on a download do not keep it alive', async (type) => {
    expectCode(await client.command(`TYPE ${type}`), 200);
    const socket = await openPassive(client, 'PASV');
    socket.on('error', () => undefined); // the server cuts it while we write
    socket.pause();
    expectCode(await client.command('RETR huge.bin'), 150);
    const chatter = setInterval(() => socket.write('x'), 100);
    try {
      expectCode(await client.reply(10_000), 426);
    } finally {
      clearInterval(chatter);
      socket.destroy();
    }
    expectCode(await client.command('NOOP'), 200);
  });
});

// A site with a small passive range (a firewall opened for a few ports) must not run out of ports
// while its sessions reuse them: a port is free again once its listener stops listening, not only
// once the data connection it accepted has closed too.
describe('ftp passive range of one port', () => {
  const root = tempDir('classicd-ftp-pasv-one-');
  let server: RunningClassicd;
  let client: FtpClient;

  beforeAll(async () => {
    writeFileSync(join(root.path, 'binary.bin'), BINARY);
    const only = await freePort();
    server = await startClassicd(
      ftpTestConfig({ anonymousRoot: root.path, workers: 1, passivePorts: `${only}-${only}` }),
    );
    client = await FtpClient.connect(server.port('ftp'));
    await client.login();
    expectCode(await client.command('TYPE I'), 200);
  });

  afterAll(async () => {
    client?.close();
    await server?.stop();
    root.remove();
  });

  it('a new EPSV gets the port its previous listener gave up', async () => {
    const first = await client.epsvPort();
    expect(await client.epsvPort()).toBe(first);
  });

  it('the port is free for the next EPSV while the client still holds the last download open', async () => {
    const dataPort = await client.epsvPort();
    // Half-open: the client has read to the end but not closed yet, so the server's side of the
    // data connection lingers (transfer.ts waits for the client's FIN).
    const socket = createConnection({ host: '127.0.0.1', port: dataPort, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = once(socket, 'end');
    expectCode(await client.command('RETR binary.bin'), 150);
    await ended;
    expectCode(await client.reply(), 226);
    expect(Buffer.concat(chunks).equals(BINARY)).toBe(true);
    try {
      expect(await client.epsvPort()).toBe(dataPort);
    } finally {
      socket.destroy();
    }
    const { data, final } = await retrieve(client, 'binary.bin', 'EPSV');
    expect(data.equals(BINARY)).toBe(true);
    expectCode(final, 226);
  });
});
