/**
 * File names that are not UTF-8 (a Latin-1 archive, a name a Latin-1 client made), over real
 * sockets: listed as their own bytes, named back by them in every command, never mixed up with
 * one another or with a UTF-8 spelling, kept inside the root, and written so to the xferlog, as
 * vsftpd, ProFTPD and pure-ftpd pass them (pyftpdlib turns them into U+FFFD, which it then cannot
 * name). In these tests `\uDCE9` is how a string says the raw byte 0xE9 (shared/text/raw-bytes.ts);
 * the test client sends and reads such escapes as those bytes.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
  type PathLike,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeRawBytes, encodeRawBytes } from '../../../shared/text/raw-bytes.js';
import { startClassicd, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient, readAll } from '../../helpers/ftp.js';
import {
  binaryLogin,
  eventually,
  expectCode,
  ftpTestConfig,
  localUser,
  retrieve,
  store,
  tempDir,
} from './data-fixture.js';
import { listing, lsName } from './fs-fixture.js';

/** A path with `\uDCxx` escapes as the bytes it stands for, for Node's fs. */
function raw(path: string): PathLike {
  return encodeRawBytes(path);
}

/** The names in `dir`, bytes that are not UTF-8 escaped. */
function namesOn(dir: string): string[] {
  return readdirSync(dir, { encoding: 'buffer' }).map(decodeRawBytes).sort();
}

let server: RunningClassicd;
let base: ReturnType<typeof tempDir>;
let rootPath: string;
let logs: ReturnType<typeof tempDir>;
let xferlog: string;
const opened: FtpClient[] = [];

beforeAll(async () => {
  base = tempDir('classicd-ftp-raw-names-');
  rootPath = join(base.path, 'root');
  mkdirSync(rootPath);
  logs = tempDir('classicd-ftp-raw-names-log-');
  xferlog = join(logs.path, 'xferlog');
  const at = (name: string): string => join(rootPath, name);
  writeFileSync(raw(at('caf\uDCE9.txt')), 'Latin-1 e acute\n');
  writeFileSync(raw(at('caf\uDCE8.txt')), 'Latin-1 e grave\n');
  writeFileSync(at('café.txt'), 'UTF-8\n'); // the same word, spelt in UTF-8: another file
  writeFileSync(raw(at('sur\uDCED\uDCA0\uDC80.txt')), 'an encoded surrogate\n'); // ED A0 80: not UTF-8
  mkdirSync(raw(at('d\uDCE9j\uDCE0')));
  writeFileSync(raw(at('d\uDCE9j\uDCE0/inside.txt')), 'inside\n');
  symlinkSync('/etc', raw(at('out\uDCE9'))); // a way out of the root, named in Latin-1
  // Beside the root, a directory whose name is the root's with a BOM before it, and a way there of
  // the same name as its target. Had a BOM been dropped in decoding, the target's real path would
  // read as `<root>/\xe9`, inside the root, which leads there again.
  mkdirSync(raw(join(base.path, '\uFEFFroot', '\uDCE9')), { recursive: true });
  writeFileSync(raw(join(base.path, '\uFEFFroot', '\uDCE9', 'secret.txt')), 'outside\n');
  symlinkSync(raw(join(base.path, '\uFEFFroot', '\uDCE9')), raw(at('\uDCE9')));
  // Two names one BOM apart.
  writeFileSync(raw(at('two\uDCE9\uFEFF.txt')), 'with a BOM\n');
  writeFileSync(raw(at('two\uDCE9.txt')), 'without\n');
  server = await startClassicd(
    ftpTestConfig({ anonymousRoot: rootPath, users: [await localUser('alice', rootPath)], xferlog }),
  );
});

afterEach(() => {
  for (const client of opened.splice(0)) client.close();
});

afterAll(async () => {
  await server?.stop();
  base?.remove();
  logs?.remove();
});

describe('names that are not UTF-8', () => {
  it('are listed as their own bytes by LIST, NLST and MLSD', async () => {
    const ftp = await binaryLogin(server.port('ftp'), opened);
    const expected = [
      '\uDCE9',
      'caf\uDCE8.txt',
      'caf\uDCE9.txt',
      'café.txt',
      'd\uDCE9j\uDCE0',
      'out\uDCE9',
      'sur\uDCED\uDCA0\uDC80.txt',
      'two\uDCE9.txt',
      'two\uDCE9\uFEFF.txt',
    ].sort();
    expect((await listing(ftp, 'LIST')).lines.map(lsName).sort()).toEqual(expected);
    expect((await listing(ftp, 'NLST')).lines.sort()).toEqual(expected);
    const facts = (await listing(ftp, 'MLSD')).lines.filter((line) => !/type=[cp]dir/.test(line));
    expect(facts.map((line) => line.slice(line.indexOf(' ') + 1)).sort()).toEqual(expected);

    // On the wire: 0xE9 itself, and UTF-8's é as C3 A9.
    const data = await ftp.epsv();
    const received = readAll(data);
    expectCode(await ftp.command('NLST'), 150);
    const wire = await received;
    expectCode(await ftp.reply(), 226);
    expect(wire.includes(Buffer.from('caf\xe9.txt\r\n', 'latin1'))).toBe(true);
    expect(wire.includes(Buffer.from('café.txt\r\n', 'utf8'))).toBe(true);
  });

  it('name their own file in RETR, SIZE, MDTM and MLST, never another spelt alike', async () => {
    const ftp = await binaryLogin(server.port('ftp'), opened);
    for (const [name, content] of [
      ['caf\uDCE9.txt', 'Latin-1 e acute\n'],
      ['caf\uDCE8.txt', 'Latin-1 e grave\n'],
      ['café.txt', 'UTF-8\n'],
      ['sur\uDCED\uDCA0\uDC80.txt', 'an encoded surrogate\n'],
    ] as const) {
      const { data, final } = await retrieve(ftp, name);
      expectCode(final, 226);
      expect(data.toString('utf8'), name).toBe(content);
      expect((await ftp.command(`SIZE ${name}`)).text).toBe(String(Buffer.byteLength(content)));
      expectCode(await ftp.command(`MDTM ${name}`), 213);
      const mlst = await ftp.command(`MLST ${name}`);
      expectCode(mlst, 250);
      expect(mlst.lines[1]).toMatch(new RegExp(`;size=${Buffer.byteLength(content)};.* /${name.replace('.', '\\.')}$`));
    }
    // A name of the same bytes but one: nothing there, and said so.
    expectCode(await ftp.command('SIZE caf\uDCEA.txt'), 550);
  });

  it('are the working directory by CWD, and so in PWD and STAT', async () => {
    const ftp = await binaryLogin(server.port('ftp'), opened);
    expectCode(await ftp.command('CWD d\uDCE9j\uDCE0'), 250);
    expect((await ftp.command('PWD')).text).toBe('"/d\uDCE9j\uDCE0" is the current directory.');
    expect((await listing(ftp, 'NLST')).lines).toEqual(['inside.txt']);
    const stat = await ftp.command('STAT /d\uDCE9j\uDCE0');
    expect(stat.code).toBe(212);
    expect(stat.lines[0]).toBe('212-Status of /d\uDCE9j\uDCE0:');
    expect(stat.lines.some((line) => line.endsWith(' inside.txt'))).toBe(true);
    expectCode(await ftp.command('CDUP'), 200); // RFC 959 4.2 gives CDUP 200
  });

  it('are made by MKD, STOR and RNTO with exactly those bytes, and removed by DELE and RMD', async () => {
    const ftp = await binaryLogin(server.port('ftp'), opened);
    const made = await ftp.command('MKD new\uDCE9');
    expectCode(made, 257);
    expect(made.text).toMatch(/^"\/new\uDCE9" /);
    expectCode((await store(ftp, 'STOR up\uDCE9.bin', 'uploaded\n')).final, 226);
    expectCode((await store(ftp, 'APPE up\uDCE9.bin', 'appended\n')).final, 226);
    expect(readFileSync(raw(join(rootPath, 'up\uDCE9.bin')), 'utf8')).toBe('uploaded\nappended\n');
    expectCode(await ftp.command('RNFR up\uDCE9.bin'), 350);
    expectCode(await ftp.command('RNTO new\uDCE9/moved\uDCFF.bin'), 250);
    expect(namesOn(rootPath)).toContain('new\uDCE9');
    expect(existsSync(raw(join(rootPath, 'new\uDCE9', 'moved\uDCFF.bin')))).toBe(true);
    expect(namesOn(rootPath)).not.toContain('up\uDCE9.bin');

    expectCode(await ftp.command('MFMT 20200102030405 new\uDCE9/moved\uDCFF.bin'), 213);
    expect(statSync(raw(join(rootPath, 'new\uDCE9', 'moved\uDCFF.bin'))).mtime.toISOString()).toBe(
      '2020-01-02T03:04:05.000Z',
    );
    expectCode(await ftp.command('SITE CHMOD 600 new\uDCE9/moved\uDCFF.bin'), 200);
    expect(statSync(raw(join(rootPath, 'new\uDCE9', 'moved\uDCFF.bin'))).mode & 0o777).toBe(0o600);

    expectCode(await ftp.command('DELE new\uDCE9/moved\uDCFF.bin'), 250);
    expectCode(await ftp.command('RMD new\uDCE9'), 250);
    expect(namesOn(rootPath)).not.toContain('new\uDCE9');
    // Nothing was made under a name with U+FFFD in it, as a lossy decoding would have.
    expect(namesOn(rootPath).some((name) => name.includes('\uFFFD') || name.includes('\uDCEF'))).toBe(false);
  });

  // 0xFF is Telnet's IAC on the control connection (RFC 854): a data byte 255 goes as IAC IAC.
  it('hold a 0xFF byte: taken doubled (lftp) or not (curl, ftplib), and sent doubled, as vsftpd does', async () => {
    const ftp = await binaryLogin(server.port('ftp'), opened);
    const made = await ftp.command('MKD y\uDCFF'); // sent undoubled
    expectCode(made, 257);
    expect(made.text).toMatch(/^"\/y\uDCFF\uDCFF" /); // the reply doubles it
    expect(namesOn(rootPath)).toContain('y\uDCFF'); // one 0xFF on disk
    ftp.socket.write(Buffer.from('CWD /y\xff\xff\r\n', 'latin1')); // doubled
    expectCode(await ftp.reply(), 250);
    ftp.socket.write(Buffer.from('CWD /y\xff\r\n', 'latin1'));
    expectCode(await ftp.reply(), 250);
    expectCode(await ftp.command('RMD /y\uDCFF'), 250);
  });

  it('do not lead out of the root through a symlink so named', async () => {
    const ftp = await binaryLogin(server.port('ftp'), opened);
    expectCode(await ftp.command('CWD out\uDCE9'), 550);
    expectCode(await ftp.command('SIZE out\uDCE9/passwd'), 550);
    expectCode(await ftp.command('MLST out\uDCE9/'), 550);
    // Nor to the root's look-alike with a BOM, whatever the command.
    expectCode(await ftp.command('SIZE \uDCE9/secret.txt'), 550);
    expectCode(await ftp.command('CWD \uDCE9'), 550);
    const data = await ftp.epsv();
    expectCode(await ftp.command('RETR \uDCE9/secret.txt'), 550);
    data.destroy();
    expectCode((await store(ftp, 'STOR \uDCE9/planted.txt', 'x')).final, 550);
    expect(readdirSync(raw(join(base.path, '\uFEFFroot', '\uDCE9')) as Buffer)).toHaveLength(1);
  });

  it('stay apart when they differ by a BOM (U+FEFF is a character like any other)', async () => {
    const ftp = await binaryLogin(server.port('ftp'), opened);
    const names = (await listing(ftp, 'NLST two*')).lines.sort();
    expect(names).toEqual(['two\uDCE9.txt', 'two\uDCE9\uFEFF.txt'].sort());
    expect((await retrieve(ftp, 'two\uDCE9\uFEFF.txt')).data.toString()).toBe('with a BOM\n');
    expect((await retrieve(ftp, 'two\uDCE9.txt')).data.toString()).toBe('without\n');
  });

  it('are written to the xferlog as their bytes, as ProFTPD writes them', async () => {
    const ftp = await binaryLogin(server.port('ftp'), opened);
    expectCode((await retrieve(ftp, 'caf\uDCE9.txt')).final, 226);
    const lineFor = Buffer.from(' /caf\xe9.txt b _ o r alice ftp 0 * c\n', 'latin1');
    await eventually(() => existsSync(xferlog) && readFileSync(xferlog).includes(lineFor));
  });
});
