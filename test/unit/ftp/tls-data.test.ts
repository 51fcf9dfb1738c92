/**
 * secureDataSocket over real sockets, with a stand-in for the FTP session: the data connection's
 * TLS must resume the session of its own control connection when tls.requireSessionReuse is on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FtpError } from '../../../services/ftp/errors.js';
import type { FtpSession } from '../../../services/ftp/session.js';
import { loadFtpTls, secureDataSocket, type FtpTls } from '../../../services/ftp/tls/ftp-tls.js';
import { bindControlContext } from '../../../services/ftp/tls/session-context.js';
import { startServerTls } from '../../../services/ftp/tls/tls-handshake.js';

const log = pino({ level: 'silent' });
let dir: string;
let strict: FtpTls;
let relaxed: FtpTls;
const servers: Server[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'classicd-tls-data-'));
  const config = {
    enabled: true,
    cert: '',
    key: '',
    selfSignedDir: dir,
    implicitPort: 0,
    requireSessionReuse: true,
    requireForLocalUsers: false,
  };
  strict = await loadFtpTls(config, log);
  relaxed = await loadFtpTls({ ...config, requireSessionReuse: false }, log);
});

afterAll(() => {
  for (const server of servers) server.close();
  rmSync(dir, { recursive: true, force: true });
});

function listen(onSocket: (socket: Socket) => void): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer(onSocket);
    servers.push(server);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

/** A control connection: TLS from a context of `tls`, bound to a stand-in session. */
async function controlConnection(
  tls: FtpTls,
  options: ConnectionOptions = {},
): Promise<{ session: FtpSession; clientSession: Buffer; ticket: Buffer | undefined }> {
  const context = { isLevelEnabled: (level: string) => log.isLevelEnabled(level) };
  const session = { shared: { tls }, isSecure: true, log, context } as unknown as FtpSession;
  const port = await listen((raw) => {
    const context = tls.newControlContext();
    bindControlContext(session, context);
    const { socket, secured } = startServerTls(raw, context, log, 'control');
    void secured.then(() => socket.end('220 ready\r\n'));
  });
  let ticket: Buffer | undefined;
  const clientSession = await new Promise<Buffer>((resolve, reject) => {
    const client = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false, ...options });
    let latest: Buffer | undefined;
    client.on('session', (data: Buffer) => {
      latest = data; // TLS 1.3 tickets come after the handshake
      ticket = client.getTLSTicket();
    });
    client.on('data', () => undefined);
    client.on('error', reject);
    client.on('close', () =>
      latest ? resolve(latest) : reject(new Error('no TLS session from the control connection')),
    );
  });
  return { session, clientSession, ticket };
}

/** A data connection to a listener that calls secureDataSocket; what the server and the client saw. */
async function dataConnection(
  session: FtpSession,
  clientOptions: ConnectionOptions,
): Promise<{ server: TLSSocket | FtpError; clientGot: string; clientReused: boolean; sessions: Buffer[] }> {
  let serverResult!: Promise<TLSSocket | FtpError>;
  const port = await listen((raw) => {
    serverResult = secureDataSocket(raw, session, true).then(
      (socket) => {
        socket.end('payload');
        return socket;
      },
      (error: unknown) => {
        if (error instanceof FtpError) return error;
        throw error;
      },
    );
  });
  const sessions: Buffer[] = [];
  const { clientGot, clientReused } = await new Promise<{ clientGot: string; clientReused: boolean }>((resolve) => {
    let got = '';
    let reused = false;
    const client = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false, ...clientOptions }, () => {
      reused = client.isSessionReused();
    });
    client.on('session', (data: Buffer) => sessions.push(data));
    client.on('data', (chunk: Buffer) => (got += chunk.toString()));
    client.on('error', () => undefined);
    client.on('close', () => resolve({ clientGot: got, clientReused: reused }));
  });
  return { server: await serverResult, clientGot, clientReused, sessions };
}

describe('secureDataSocket with tls.requireSessionReuse', () => {
  it.each(['TLSv1.3', 'TLSv1.2'] as const)(
    'accepts a %s data connection that resumes its control session, more than once',
    async (version) => {
      const { session, clientSession } = await controlConnection(strict, { maxVersion: version });
      for (let i = 0; i < 2; i++) {
        const result = await dataConnection(session, { session: clientSession, maxVersion: version });
        expect(result.server).not.toBeInstanceOf(FtpError);
        expect((result.server as TLSSocket).isSessionReused()).toBe(true);
        expect(result.clientGot).toBe('payload');
      }
    },
  );

  it('refuses a data connection with a fresh TLS session: 522, and no data', async () => {
    const { session } = await controlConnection(strict);
    const result = await dataConnection(session, {});
    expect(result.server).toBeInstanceOf(FtpError);
    expect((result.server as FtpError).replyCode).toBe(522);
    expect((result.server as FtpError).message).toMatch(/session reuse required/);
    expect(result.clientGot).toBe('');
  });

  it("refuses a data connection that resumes another control connection's session", async () => {
    const mine = await controlConnection(strict);
    const theirs = await controlConnection(strict);
    const result = await dataConnection(mine.session, { session: theirs.clientSession });
    expect((result.server as FtpError).replyCode).toBe(522);
    expect(result.clientGot).toBe('');
  });

  // A ticket's key name travels in clear, and OpenSSL checks the ticket's MAC only after the key
  // callback: a stranger that copied the name onto a forged ticket was taken for a resumption and
  // given a real ticket, with which its next data connection was accepted.
  it.each(['TLSv1.3', 'TLSv1.2'] as const)(
    'gives a %s stranger whose forged ticket bears our key name nothing to come back with',
    async (version) => {
      const { session, clientSession, ticket } = await controlConnection(strict, { maxVersion: version });
      const at = ticket ? clientSession.indexOf(ticket) : -1;
      expect(at).toBeGreaterThanOrEqual(0);
      const forged = Buffer.from(clientSession);
      for (let i = at + 16; i < at + (ticket as Buffer).length; i++) forged[i] = (forged[i] as number) ^ 0x5a;
      const first = await dataConnection(session, { session: forged, maxVersion: version });
      expect((first.server as FtpError).replyCode).toBe(522);
      for (const given of first.sessions) {
        const again = await dataConnection(session, { session: given, maxVersion: version });
        expect((again.server as FtpError).replyCode).toBe(522);
        expect(again.clientGot).toBe('');
      }
    },
  );

  it('answers 425 when the data handshake fails, and closes the connection', async () => {
    const { session } = await controlConnection(strict);
    let serverResult!: Promise<unknown>;
    const port = await listen((raw) => {
      serverResult = secureDataSocket(raw, session, true).catch((error: unknown) => error);
    });
    const closed = await new Promise<boolean>((resolve) => {
      const client = netConnect({ port, host: '127.0.0.1' });
      client.on('connect', () => client.write('GET / HTTP/1.0\r\n\r\n'));
      client.on('error', () => undefined);
      client.on('close', () => resolve(true));
    });
    expect(closed).toBe(true);
    expect(((await serverResult) as FtpError).replyCode).toBe(425);
  });
});

describe('secureDataSocket without tls.requireSessionReuse', () => {
  it('accepts a fresh TLS session, and resumes when the client offers one', async () => {
    const { session, clientSession } = await controlConnection(relaxed);
    const fresh = await dataConnection(session, {});
    expect(fresh.clientGot).toBe('payload');
    expect((fresh.server as TLSSocket).isSessionReused()).toBe(false);
    const resumed = await dataConnection(session, { session: clientSession });
    expect(resumed.clientGot).toBe('payload');
    expect(resumed.clientReused).toBe(true);
  });
});
