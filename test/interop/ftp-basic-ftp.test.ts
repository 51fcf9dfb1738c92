/**
 * The npm client basic-ftp (a devDependency) against the real server: OPTS UTF8 ON before login,
 * FEAT, EPSV, MLSD; whole-tree downloads and uploads, resume (REST), append, the file commands,
 * and explicit and implicit FTPS, where it resumes the control TLS session on data connections.
 */
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Client, FileType } from 'basic-ftp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  digest,
  HOST,
  PASSWORD,
  readTree,
  sha,
  startInteropServer,
  USER,
  writeTree,
  type InteropServer,
} from '../helpers/ftp-interop.js';

let ftp: InteropServer;

beforeAll(async () => {
  ftp = await startInteropServer({ tls: { implicit: true } });
});

afterAll(async () => {
  await ftp?.stop();
});

interface Options {
  readonly user?: boolean;
  readonly secure?: boolean | 'implicit';
}

/** Runs `body` with a connected, logged-in client, closing it afterwards; the client's own log goes into failures. */
async function withClient(options: Options, body: (client: Client) => Promise<void>): Promise<void> {
  const client = new Client(20_000);
  const log: string[] = [];
  client.ftp.verbose = true;
  client.ftp.log = (message: string) => void log.push(message);
  try {
    await client.access({
      host: HOST,
      port: options.secure === 'implicit' ? ftp.implicitPort : ftp.port,
      user: options.user ? USER : 'anonymous',
      password: options.user ? PASSWORD : 'tester@example.org',
      secure: options.secure ?? false,
      secureOptions: { rejectUnauthorized: false }, // the server's certificate is self-signed
    });
    await body(client);
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\n--- basic-ftp log ---\n${log.join('\n')}\n--- server trace ---\n${ftp.trace()}`,
    );
  } finally {
    client.close();
  }
}

describe('basic-ftp', () => {
  it('logs in after OPTS UTF8 ON and lists with MLSD: types, sizes and dates', async () => {
    const before = ftp.commands().length;
    await withClient({}, async (client) => {
      const list = await client.list('/');
      const byName = new Map(list.map((entry) => [entry.name, entry]));
      expect([...byName.keys()].sort()).toEqual([
        'big.bin',
        'dir with spaces',
        'nested',
        'readme.txt',
        'ünïcødé-名前.txt',
      ]);
      expect(byName.get('big.bin')).toMatchObject({ type: FileType.File, size: 3150049 });
      expect(byName.get('big.bin')?.modifiedAt).toBeInstanceOf(Date);
      expect(byName.get('nested')?.type).toBe(FileType.Directory);
      expect(await client.size('/big.bin')).toBe(3150049);
      expect(await client.lastMod('/readme.txt')).toBeInstanceOf(Date);
      expect(await client.pwd()).toBe('/');
    });
    const seen = ftp.commands().slice(before);
    expect(seen.indexOf('OPTS UTF8 ON')).toBeGreaterThanOrEqual(0);
    expect(seen.indexOf('OPTS UTF8 ON')).toBeLessThan(seen.indexOf('USER anonymous'));
    expect(seen).toEqual(expect.arrayContaining(['FEAT', 'EPSV', 'MLSD /']));
  });

  it('downloads the whole anonymous tree byte for byte (downloadToDir)', async () => {
    const local = ftp.scratch('basic-ftp-tree');
    await withClient({}, async (client) => {
      await client.downloadToDir(local, '/');
    });
    expect(digest(readTree(local))).toEqual(digest(ftp.tree));
  });

  it('resumes a download (downloadTo with startAt: REST)', async () => {
    const out = join(ftp.scratch('basic-ftp-resume'), 'big.bin');
    const big = ftp.tree.get('big.bin') as Buffer;
    writeFileSync(out, big.subarray(0, 2_000_000));
    await withClient({}, async (client) => {
      await client.downloadTo(createWriteStream(out, { flags: 'a' }), '/big.bin', 2_000_000);
    });
    expect(sha(readFileSync(out))).toBe(sha(big));
  });

  it('uploads a tree as a local user, then renames, appends and removes', async () => {
    const local = ftp.scratch('basic-ftp-upload');
    writeTree(local, ftp.tree);
    await withClient({ user: true }, async (client) => {
      await client.ensureDir('/uploaded/ünï dir');
      await client.cd('/');
      await client.uploadFromDir(local, '/uploaded/ünï dir');
      await client.rename('/uploaded/ünï dir/readme.txt', '/uploaded/ünï dir/README');
      await client.appendFrom(bufferStream(Buffer.from('appended\n')), '/uploaded/ünï dir/README');
      await client.remove('/uploaded/ünï dir/big.bin');
    });
    const expected = new Map(ftp.tree);
    expected.delete('big.bin');
    expected.delete('readme.txt');
    expected.set('README', Buffer.concat([ftp.tree.get('readme.txt') as Buffer, Buffer.from('appended\n')]));
    expect(digest(readTree(join(ftp.userRoot, 'uploaded', 'ünï dir')))).toEqual(digest(expected));
  });

  it('downloads and uploads over explicit FTPS (AUTH TLS, PROT P, session resumed on the data channel)', async () => {
    const out = join(ftp.scratch('basic-ftp-tls'), 'big.bin');
    const before = ftp.commands().length;
    await withClient({ user: true, secure: true }, async (client) => {
      await client.uploadFrom(bufferStream(ftp.tree.get('big.bin') as Buffer), '/tls-upload.bin');
      await client.downloadTo(out, '/tls-upload.bin');
      const names = (await client.list('/')).map((entry) => entry.name);
      expect(names).toContain('tls-upload.bin');
    });
    expect(sha(readFileSync(out))).toBe(sha(ftp.tree.get('big.bin') as Buffer));
    expect(sha(readFileSync(join(ftp.userRoot, 'tls-upload.bin')))).toBe(sha(ftp.tree.get('big.bin') as Buffer));
    expect(ftp.commands().slice(before)).toEqual(expect.arrayContaining(['AUTH TLS', 'PBSZ 0', 'PROT P']));
  });

  it('downloads anonymously over implicit FTPS', async () => {
    const local = ftp.scratch('basic-ftp-implicit');
    await withClient({ secure: 'implicit' }, async (client) => {
      await client.downloadToDir(local, '/nested');
    });
    expect(digest(readTree(local))).toEqual(
      digest(
        new Map([
          ['level1/level2/deep.txt', ftp.tree.get('nested/level1/level2/deep.txt') as Buffer],
          ['level1/sibling.txt', ftp.tree.get('nested/level1/sibling.txt') as Buffer],
        ]),
      ),
    );
  });

  it('is refused an upload anonymously, and the session goes on', async () => {
    await withClient({}, async (client) => {
      await expect(client.uploadFrom(bufferStream(Buffer.from('no')), '/nope.txt')).rejects.toThrow(/^55\d /);
      expect(await client.size('/readme.txt')).toBe(51);
    });
  });
});

/** A stream of `data` in 64 KiB chunks, as a file would give it. */
function bufferStream(data: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < data.length; offset += 64 * 1024) yield data.subarray(offset, offset + 64 * 1024);
    })(),
  );
}
