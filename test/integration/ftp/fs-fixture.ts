/**
 * The file tree the fs-* integration tests serve, and a small listing helper over the shared FTP
 * client. Not a test file itself.
 *
 * anon/                       the anonymous root
 *   pub/readme.txt            "hello\n", recent
 *   pub/old.txt               modified 2020-01-02
 *   pub/.dotfile              shown only with -a
 *   pub/notes.bak             hidden by the hide glob `*.bak`
 *   pub/server.key            denied by `*.key`
 *   pub/private/plan.txt      denied by `pub/private`
 *   pub/space name.txt, pub/ünïcödé.txt
 *   pub/bad\r\nname           a name with CR LF: never listed
 *   pub/latin1-\xe9           not UTF-8: listed and named by its raw bytes (`latin1-\uDCE9`)
 *   pub/docs -> ../docs       a symlink inside the root
 *   pub/etc -> /etc           a symlink out of the root
 *   pub/to-private -> private a symlink to a denied directory
 *   docs/guide.txt
 *   odd/-la                   a file really named `-la`
 *   odd/ lead.txt, odd/plain.txt  a name that begins with a space, and an ordinary one
 *   incoming/existing.bin     the drop box
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRawBytes } from '../../../shared/text/raw-bytes.js';
import { FtpClient, readAll, type FtpReply } from '../../helpers/ftp.js';

export const OLD_MTIME = new Date('2020-01-02T03:04:05Z');

export function makeTree(): { base: string; anon: string; cleanup: () => void } {
  const base = mkdtempSync(join(tmpdir(), 'classicd-ftp-fs-'));
  const anon = join(base, 'anon');
  const pub = join(anon, 'pub');
  mkdirSync(join(pub, 'private'), { recursive: true });
  mkdirSync(join(anon, 'docs'));
  mkdirSync(join(anon, 'odd'));
  mkdirSync(join(anon, 'incoming'));
  writeFileSync(join(pub, 'readme.txt'), 'hello\n');
  writeFileSync(join(pub, 'old.txt'), 'old\n');
  utimesSync(join(pub, 'old.txt'), OLD_MTIME, OLD_MTIME);
  writeFileSync(join(pub, '.dotfile'), '');
  writeFileSync(join(pub, 'notes.bak'), '');
  writeFileSync(join(pub, 'server.key'), 'KEY');
  writeFileSync(join(pub, 'private', 'plan.txt'), 'plan');
  writeFileSync(join(pub, 'space name.txt'), '');
  writeFileSync(join(pub, 'ünïcödé.txt'), 'ü');
  writeFileSync(join(pub, 'bad\r\nname'), '');
  writeFileSync(Buffer.from(join(pub, 'latin1-\xe9'), 'latin1'), '');
  symlinkSync('../docs', join(pub, 'docs'));
  symlinkSync('/etc', join(pub, 'etc'));
  symlinkSync('private', join(pub, 'to-private'));
  writeFileSync(join(anon, 'docs', 'guide.txt'), 'guide\n');
  writeFileSync(join(anon, 'odd', '-la'), 'not an option\n');
  writeFileSync(join(anon, 'odd', ' lead.txt'), 'leading space\n');
  writeFileSync(join(anon, 'odd', 'plain.txt'), 'plain\n');
  writeFileSync(join(anon, 'incoming', 'existing.bin'), 'someone else\n');
  return { base, anon, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

export function anonymousConfig(root: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    enabled: true,
    userNames: ['anonymous', 'ftp'],
    root,
    upload: { enabled: true, dir: 'incoming', umask: '077' },
    hide: ['*.bak'],
    deny: ['*.key', 'pub/private'],
    maxRateBytesPerSecond: 0,
    ...overrides,
  };
}

/** FTP settings that keep tests fast: no failed-login pause, no TLS certificate to make. */
export const FAST_FTP = {
  login: { failureDelayMs: 0, maxFailures: 3 },
  tls: {
    enabled: false,
    cert: '',
    key: '',
    selfSignedDir: './var/tls',
    implicitPort: 0,
    requireSessionReuse: true,
  },
};

export interface Listing {
  /** The final reply (226), or the refusal when there was no 150. */
  readonly reply: FtpReply;
  readonly opened: boolean;
  readonly raw: string;
  readonly lines: string[];
}

/** Runs a listing command over an EPSV data connection and collects its lines. */
export async function listing(ftp: FtpClient, command: string): Promise<Listing> {
  const data = await ftp.epsv();
  const received = readAll(data);
  const first = await ftp.command(command);
  if (first.code !== 150) {
    data.destroy();
    await received;
    return { reply: first, opened: false, raw: '', lines: [] };
  }
  const raw = decodeRawBytes(await received); // a name's raw bytes as the server's escapes
  const reply = await ftp.reply();
  const lines = raw === '' ? [] : raw.replace(/\r\n$/, '').split('\r\n');
  return { reply, opened: true, raw, lines };
}

/** The name at the end of an `ls -l` line (a symlink's ` -> target` removed). */
export function lsName(line: string): string {
  // Eight fields, then one space: the name is the rest, leading spaces included.
  const name = /^(?:\S+\s+){7}\S+ (.*)$/s.exec(line)?.[1] ?? '';
  return name.replace(/ -> .*$/, '');
}
