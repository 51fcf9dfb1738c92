/**
 * Thousands of command lines built at random (a fixed seed: the same lines every run) from the
 * verbs the server knows, unknown ones and raw bytes, with arguments of `..`, symlinks, globs, bytes
 * that are not UTF-8, 0xFF (Telnet's IAC), NUL, CR, overlong names and nonsense numbers, half of
 * them in the shapes the verbs take (`SITE CHMOD 777 <path>`, `MFMT <time> <path>`, RNFR then
 * RNTO), sent by a local user who may write, delete and rename. Each line gets one final reply
 * (2yz-5yz), and Telnet option answers only if it holds an IAC; a session ends only with 421 (too
 * many errors in a row), after which a new one goes on; nothing outside the root changes (names,
 * contents, modes, times), symlink or not; the worker never logs an error and serves on.
 *
 * Left out: what ends the login (USER, PASS, QUIT, REIN), starts TLS (AUTH) or opens a data
 * connection (PASV, EPSV, PORT, EPRT), so every transfer command is answered at once (425); the
 * data layer's bad input has tests of its own.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../services/ftp/commands/registry.js';
import { startClassicd, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient, type FtpReply } from '../../helpers/ftp.js';
import { seededRandom, type SeededRandom as Random } from '../../helpers/seeded-random.js';
import { ftpTestConfig, localUser, PASSWORD, tempDir } from './data-fixture.js';

/** Verbs that would end the login, start TLS or open a data connection: not what is fuzzed here. */
const LEFT_OUT = new Set(['USER', 'PASS', 'QUIT', 'REIN', 'AUTH', 'PASV', 'EPSV', 'PORT', 'EPRT']);
const VERBS = [...COMMANDS.keys()].filter((verb) => !LEFT_OUT.has(verb));
const LINES = 3000;

const SEGMENTS: readonly Buffer[] = [
  '..',
  '.',
  '',
  'a.txt',
  'dir',
  'link', // a symlink to the directory beside the root
  'link-file',
  'new',
  '*',
  '*.txt',
  '?',
  '[a-',
  '-la',
  'x y',
  'ünï',
  '.classicd-upload-0123456789abcdef',
  'x'.repeat(300),
].map((text) => Buffer.from(text, 'utf8'));
const RAW_SEGMENTS: readonly Buffer[] = [
  [0x63, 0x61, 0x66, 0xe9], // Latin-1 café
  [0xff], // IAC, undoubled
  [0xff, 0xff], // IAC IAC
  [0xff, 0xf4], // IAC IP
  [0xed, 0xa0, 0x80], // an encoded surrogate
  [0xc0, 0xae, 0xc0, 0xae], // an overlong `..`
  [0x00], // NUL
  [0x0d], // CR inside the line
].map((bytes) => Buffer.from(bytes));

function randomPath(random: Random): Buffer {
  const parts: Buffer[] = random.next() % 2 === 0 ? [Buffer.from('/')] : [];
  const count = 1 + (random.next() % 4);
  for (let i = 0; i < count; i++) {
    if (i > 0) parts.push(Buffer.from('/'));
    parts.push(random.next() % 4 === 0 ? random.pick(RAW_SEGMENTS) : random.pick(SEGMENTS));
  }
  return Buffer.concat(parts);
}

/** Anything: nothing, random bytes (no LF), a number or a word, or a path, options first at times. */
function randomArgument(random: Random): Buffer {
  switch (random.next() % 6) {
    case 0:
      return Buffer.alloc(0);
    case 1: {
      const bytes = Buffer.alloc(random.next() % 40);
      for (let i = 0; i < bytes.length; i++) bytes[i] = random.next() % 256;
      return Buffer.from(bytes.filter((byte) => byte !== 0x0a)); // LF would end the line
    }
    case 2:
      return Buffer.from(random.pick(['0', '-1', '99999999999999999999', '20200102030405', 'I', 'A N', 'L 8', 'ON']));
    default: {
      const path = randomPath(random);
      if (random.next() % 5 !== 0) return path;
      return Buffer.concat([Buffer.from(random.pick(['-la ', '-a ', '-- '])), path]);
    }
  }
}

/** Half the time an argument in the shape `verb` takes, so that commands get past their syntax. */
function argumentFor(verb: string, random: Random): Buffer {
  if (random.next() % 2 === 0) return randomArgument(random);
  const words = (choices: readonly string[]): Buffer => Buffer.from(random.pick(choices));
  switch (verb) {
    case 'SITE':
      return Buffer.concat([words(['CHMOD 777 ', 'CHMOD 4755 ', 'CHMOD 0 ', 'HELP ', 'UMASK 0 ']), randomPath(random)]);
    case 'MFMT':
      return Buffer.concat([words(['20200102030405 ', '19700101000000 ', '99999999999999 ']), randomPath(random)]);
    case 'REST':
      return words(['0', '3', '100', '-1', '18446744073709551616']);
    case 'TYPE':
      return words(['A', 'I', 'L 8', 'A N', 'E', 'L 7']);
    case 'MODE':
    case 'STRU':
      return words(['S', 'F', 'B', 'R', 'P']);
    case 'OPTS':
      return words(['UTF8 ON', 'UTF8 OFF', 'MLST type;size;', 'MLST ', 'NOPE x']);
    case 'HOST':
      return words(['ftp.example.org', '[::1]', '127.0.0.1']);
    case 'PBSZ':
    case 'PROT':
      return words(['0', '1', 'P', 'C']);
    default:
      return randomPath(random);
  }
}

function commandLine(verb: string, argument: Buffer, random: Random): Buffer {
  const separator = argument.length > 0 || random.next() % 3 === 0 ? ' ' : '';
  return Buffer.concat([Buffer.from(verb, 'utf8'), Buffer.from(separator), argument, Buffer.from('\r\n')]);
}

/** One command line, or an RNFR and then (most of the time) an RNTO, as clients send them. */
function randomLines(random: Random): Buffer[] {
  const kind = random.next() % 10;
  let verb: string;
  if (kind < 8) verb = random.pick(VERBS);
  else if (kind === 8) verb = 'XYZ'.repeat(1 + (random.next() % 3));
  else verb = random.pick(['noop', 'Cwd', 'NO\u00e9OP', 'LIST']);
  const first = commandLine(verb, argumentFor(verb, random), random);
  if (verb !== 'RNFR' || random.next() % 4 === 0) return [first];
  return [first, commandLine('RNTO', argumentFor('RNTO', random), random)];
}

let server: RunningClassicd;
let base: ReturnType<typeof tempDir>;
let root: string;
let outside: string;

/** `dir` and everything under it, with modes, times and contents: whether anything changed. */
function snapshot(dir: string): string[] {
  const describe = (path: string): string => {
    const info = lstatSync(path);
    const facts = `${path} mode=${info.mode.toString(8)} mtime=${info.mtimeMs} uid=${info.uid}`;
    return info.isFile() ? `${facts} data=${readFileSync(path, 'hex')}` : facts;
  };
  const entries = readdirSync(dir, { withFileTypes: true, recursive: true });
  return [describe(dir), ...entries.map((entry) => describe(join(entry.parentPath, entry.name)))].sort();
}

beforeAll(async () => {
  base = tempDir('classicd-ftp-fuzz-');
  root = join(base.path, 'root');
  outside = join(base.path, 'outside');
  mkdirSync(join(root, 'dir'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'not to be touched\n');
  writeFileSync(join(root, 'a.txt'), 'a\n');
  writeFileSync(Buffer.from(join(root, 'caf\xe9'), 'latin1'), 'latin-1\n');
  symlinkSync(outside, join(root, 'link'));
  symlinkSync(join(outside, 'secret.txt'), join(root, 'link-file'));
  server = await startClassicd(ftpTestConfig({ anonymousRoot: root, users: [await localUser('alice', root)] }));
});

afterAll(async () => {
  await server?.stop();
  base?.remove();
});

describe('random command lines', () => {
  it('each get one reply RFC 959 allows, leave everything outside the root alone, and the worker serves on', async () => {
    const outsideBefore = snapshot(outside);
    const random = seededRandom(0x5eed1e55);
    const connect = async (): Promise<FtpClient> => {
      const client = await FtpClient.connect(server.port('ftp'));
      await client.login('alice', PASSWORD);
      return client;
    };
    let ftp = await connect();
    const codes = new Map<number, number>();
    let sessions = 1;
    try {
      for (let n = 0; n < LINES;) {
        for (const line of randomLines(random)) {
          n++;
          const what = `line ${n}: ${line.toString('hex')}`;
          const answersBefore = ftp.telnetAnswers;
          ftp.socket.write(line);
          let reply: FtpReply;
          try {
            reply = await ftp.reply();
          } catch (error) {
            throw new Error(`no reply to ${what}`, { cause: error });
          }
          codes.set(reply.code, (codes.get(reply.code) ?? 0) + 1);
          // No data connection is ever set up, so nothing is preliminary (1yz) here.
          expect(reply.code, `${what} -> ${reply.lines.join(' | ')}`).toBeGreaterThanOrEqual(200);
          expect(reply.code, what).toBeLessThan(600);
          // Telnet option answers (IAC WONT/DONT) only to a line that asked, with an IAC.
          if (!line.includes(0xff)) expect(ftp.telnetAnswers, what).toBe(answersBefore);
          if (reply.code === 421) {
            // Too many errors in a row (or the 421 after the last one's reply): this session is over.
            await ftp.closed;
            ftp = await connect();
            sessions++;
            break;
          }
        }
      }
      await ftp.expect('NOOP', 200);
    } finally {
      ftp.close();
    }
    // Every kind of outcome was reached, not only syntax errors.
    for (const code of [200, 213, 250, 257, 350, 425, 500, 501, 503, 550]) {
      expect(codes.get(code), `code ${code}`).toBeGreaterThan(0);
    }
    expect(snapshot(outside)).toEqual(outsideBefore);
    expect(readdirSync(base.path).sort()).toEqual(['outside', 'root']);
    expect(server.lines.filter((line) => line.level >= 50)).toEqual([]);
    expect(sessions).toBeLessThan(LINES / 5); // most lines were commands in a going session

    // The worker is the same one and serves a new session.
    const after = await FtpClient.connect(server.port('ftp'));
    await after.login('alice', PASSWORD);
    await after.expect('PWD', 257);
    await after.quit();
  });
});
