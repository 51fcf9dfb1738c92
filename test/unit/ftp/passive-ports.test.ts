import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PassivePortPool } from '../../../services/ftp/data/passive-ports.js';
import { FtpError } from '../../../services/ftp/errors.js';
import { freePort } from '../../helpers/net.js';

const servers: Server[] = [];

function track(server: Server): Server {
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('PassivePortPool', () => {
  it('parses its range', () => {
    const pool = new PassivePortPool('30000-30099');
    expect([pool.low, pool.high, pool.size]).toEqual([30000, 30099, 100]);
  });

  it('listens on a port of the range and gives it back when the server closes', async () => {
    const port = await freePort();
    const pool = new PassivePortPool(`${port}-${port}`);
    const first = await pool.listen('127.0.0.1');
    expect(first.port).toBe(port);
    // Held: a second listener finds no port.
    await expect(pool.listen('127.0.0.1')).rejects.toMatchObject({ replyCode: 425 });
    await new Promise((resolve) => first.server.close(resolve));
    track((await pool.listen('127.0.0.1')).server);
  });

  it('skips a port another process holds (EADDRINUSE) and says 425 when none is left', async () => {
    const port = await freePort();
    const other = track(createServer());
    await new Promise<void>((resolve) => other.listen({ port, host: '127.0.0.1', exclusive: true }, resolve));
    const pool = new PassivePortPool(`${port}-${port}`);
    const error = await pool.listen('127.0.0.1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FtpError);
    expect(error).toMatchObject({ replyCode: 425 });
  });
});
