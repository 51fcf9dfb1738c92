import {
  chownSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { XferLog, type TransferRecord } from '../../../services/ftp/xferlog.js';
import { formatXferlogLine } from '../../../services/ftp/xferlog-format.js';
import { AppendFile } from '../../../shared/log/append-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'classicd-xferlog-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const record = (virtualPath: string): TransferRecord => ({
  durationMs: 1000,
  remoteHost: '127.0.0.1',
  bytes: 1,
  virtualPath,
  type: 'b',
  direction: 'o',
  anonymous: false,
  user: 'alice',
  completed: true,
});

const line = (virtualPath: string): string => formatXferlogLine(record(virtualPath));
const open = (path: string): Promise<AppendFile> => AppendFile.open(path, { name: 'xferlog' });
const NOBODY = { uid: 65534, gid: 65534 };

/** Descriptors this process holds on files whose path starts with `prefix`. */
function openFiles(prefix: string): string[] {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((target) => target.startsWith(prefix));
}

async function until(probe: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !probe(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('AppendFile', () => {
  // logrotate without sharedscripts runs postrotate, and so SIGHUP, once per log: two reopens
  // can overlap. Each used to end the stream from before both, and one new stream stayed open.
  it.skipIf(process.platform !== 'linux')(
    'two reopens at once after a rotation leave one file open, at the path',
    async () => {
      const path = join(dir, 'xferlog');
      const log = await open(path);
      log.append(line('/before'));
      renameSync(path, `${path}.1`);
      await Promise.all([log.reopen(), log.reopen()]);
      log.append(line('/after'));
      await until(() => openFiles(dir).length === 1);
      expect(openFiles(dir)).toEqual([path]);
      await log.close();
      await until(() => openFiles(dir).length === 0);
      expect(readFileSync(path, 'utf8')).toContain('/after');
      expect(readFileSync(`${path}.1`, 'utf8')).toContain('/before');
    },
  );

  it('creates the directory and appends to an existing file', async () => {
    const path = join(dir, 'var', 'log', 'xferlog');
    const first = await open(path);
    first.append(line('/one'));
    await first.close();
    const second = await open(path);
    second.append(line('/two'));
    await second.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines.map((line) => line.split(' ')[8])).toEqual(['/one', '/two']);
  });

  // One writer in classicd (the primary), but another program may append to the file too.
  it('keeps lines whole when two writers append at once', async () => {
    const path = join(dir, 'xferlog');
    // Separate opens are separate O_APPEND file descriptions, as in separate processes.
    const [a, b] = await Promise.all([open(path), open(path)]);
    const count = 2000;
    const longName = 'x'.repeat(300);
    for (let i = 0; i < count; i++) {
      a.append(line(`/a/${i}/${longName}`));
      b.append(line(`/b/${i}/${longName}`));
    }
    await Promise.all([a.close(), b.close()]);
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(2 * count);
    const pattern =
      /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} 1 127\.0\.0\.1 1 \/([ab])\/(\d+)\/x{300} b _ o r alice ftp 0 \* c$/;
    const seen = { a: [] as number[], b: [] as number[] };
    for (const line of lines) {
      const match = pattern.exec(line);
      expect(match, line.slice(0, 80)).not.toBeNull();
      seen[match![1] as 'a' | 'b'].push(Number(match![2]));
    }
    // Each writer's lines are all there, in its own order.
    const inOrder = Array.from({ length: count }, (_, i) => i);
    expect(seen.a).toEqual(inOrder);
    expect(seen.b).toEqual(inOrder);
  });

  // Lines come from the workers, which may be compromised: only whole single lines are written.
  it('drops what is not one line ending in its newline, and says so once', async () => {
    const path = join(dir, 'xferlog');
    const warnings: string[] = [];
    const log = await AppendFile.open(path, {
      name: 'xferlog',
      log: pino({ level: 'warn' }, { write: (text: string) => warnings.push(text) }),
    });
    log.append('kept\n');
    log.append('two\nlines\n');
    log.append('no newline');
    log.append(`${'x'.repeat(70_000)}\n`);
    log.append(5); // what a compromised worker may send: JSON, not always a string
    log.append(['\n']);
    log.append('kept too\n');
    await log.close();
    log.append('after close\n');
    expect(readFileSync(path, 'utf8')).toBe('kept\nkept too\n');
    const messages = warnings.map((line) => JSON.parse(line) as { msg: string; dropped?: object });
    // The first of each kind at once; at close, how many in all.
    expect(messages.map((line) => line.msg)).toEqual([
      'xferlog: a line that is not one line of the log; dropped',
      'xferlog: lines dropped since the last report',
      'xferlog: a line came after the file was closed; dropped',
    ]);
    expect(messages[1]?.dropped).toEqual({ 'a line that is not one line of the log': 5 });
  });

  it('fails at open when the file cannot be written', async () => {
    await expect(open(dir)).rejects.toThrow(/EISDIR/);
  });

  it('keeps the owner and mode the file has (logrotate create)', async () => {
    const path = join(dir, 'xferlog');
    writeFileSync(path, '', { mode: 0o604 });
    const before = statSync(path);
    const log = await AppendFile.open(path, { name: 'xferlog', workers: NOBODY });
    log.append(line('/kept'));
    await log.close();
    const after = statSync(path);
    expect([after.uid, after.gid, after.mode & 0o777]).toEqual([before.uid, before.gid, 0o604]);
    expect(readFileSync(path, 'utf8')).toContain('/kept');
  });
});

// The primary appends with its own rights (root): were the log directory writable by the workers'
// user, a link put in the log's place must not lead it to another file.
describe('AppendFile with workers that switch users', () => {
  it.each(['symlink', 'hard link'])(
    'refuses a %s in its place, and leaves the file it leads to alone',
    async (kind) => {
      const target = join(dir, 'precious');
      writeFileSync(target, 'root only\n', { mode: 0o600 });
      const path = join(dir, 'xferlog');
      if (kind === 'symlink') symlinkSync(target, path);
      else linkSync(target, path);
      await expect(AppendFile.open(path, { name: 'xferlog', workers: NOBODY })).rejects.toThrow(
        kind === 'symlink' ? /ELOOP/ : /2 links/,
      );
      expect(readFileSync(target, 'utf8')).toBe('root only\n');
    },
  );

  // Root would make `log/` in a directory the workers may write, where they could put a link first.
  it.skipIf(process.getuid?.() !== 0)(
    'makes no directory inside one the workers may write, and warns about a file they may write',
    async () => {
      const theirs = join(dir, 'theirs');
      mkdirSync(theirs);
      chownSync(theirs, NOBODY.uid, NOBODY.gid);
      await expect(
        AppendFile.open(join(theirs, 'log', 'xferlog'), { name: 'xferlog', workers: NOBODY }),
      ).rejects.toThrow(/supervisor\.user may write .*theirs/);
      expect(existsSync(join(theirs, 'log'))).toBe(false);

      const path = join(dir, 'xferlog');
      writeFileSync(path, '', { mode: 0o640 });
      chownSync(path, NOBODY.uid, NOBODY.gid); // as an older classicd left it after a SIGHUP
      const warnings: string[] = [];
      const log = pino({ level: 'warn' }, { write: (text: string) => warnings.push(text) });
      await (await AppendFile.open(path, { name: 'xferlog', workers: NOBODY, log })).close();
      expect(warnings.join('')).toContain('supervisor.user may write this file');
    },
  );

  it.skipIf(process.getuid?.() !== 0)(
    'creates nothing under a log directory whose parent the workers own',
    async () => {
      const parent = join(dir, 'workers-own-this');
      mkdirSync(join(parent, 'log'), { recursive: true });
      chownSync(parent, NOBODY.uid, NOBODY.gid);
      await expect(
        AppendFile.open(join(parent, 'log', 'xferlog'), { name: 'xferlog', workers: NOBODY }),
      ).rejects.toThrow(/can be replaced by supervisor\.user/);
      expect(existsSync(join(parent, 'log', 'xferlog'))).toBe(false);
    },
  );
});

describe('XferLog', () => {
  it('is off without a destination: record() does nothing', () => {
    const log = new XferLog(undefined);
    expect(log.enabled).toBe(false);
    log.record(record('/x'));
  });

  it('hands each record, formatted, to its destination', () => {
    const lines: string[] = [];
    const log = new XferLog((text) => lines.push(text));
    log.record(record('/pub/a.txt'));
    expect(lines).toEqual([formatXferlogLine(record('/pub/a.txt'))]);
  });
});
