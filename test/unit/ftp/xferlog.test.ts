import { mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { XferLog, type TransferRecord } from '../../../services/ftp/xferlog.js';

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

describe('XferLog', () => {
  // logrotate without sharedscripts runs postrotate, and so SIGHUP, once per log: two reopens
  // can overlap. Each used to end the stream from before both, and one new stream stayed open.
  it.skipIf(process.platform !== 'linux')(
    'two reopens at once after a rotation leave one file open, at the path',
    async () => {
      const path = join(dir, 'xferlog');
      const log = await XferLog.open(path);
      log.record(record('/before'));
      renameSync(path, `${path}.1`);
      await Promise.all([log.reopen(), log.reopen()]);
      log.record(record('/after'));
      await until(() => openFiles(dir).length === 1);
      expect(openFiles(dir)).toEqual([path]);
      await log.close();
      await until(() => openFiles(dir).length === 0);
      expect(readFileSync(path, 'utf8')).toContain('/after');
      expect(readFileSync(`${path}.1`, 'utf8')).toContain('/before');
    },
  );

  it('is off for an empty path: record() does nothing', async () => {
    const log = await XferLog.open('');
    expect(log.enabled).toBe(false);
    log.record(record('/x'));
    await log.close();
  });

  it('creates the directory and appends to an existing file', async () => {
    const path = join(dir, 'var', 'log', 'xferlog');
    const first = await XferLog.open(path);
    first.record(record('/one'));
    await first.close();
    const second = await XferLog.open(path);
    second.record(record('/two'));
    await second.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines.map((line) => line.split(' ')[8])).toEqual(['/one', '/two']);
  });

  it('keeps lines whole when two writers append at once (as workers do)', async () => {
    const path = join(dir, 'xferlog');
    // Separate opens are separate O_APPEND file descriptions, as in separate worker processes.
    const [a, b] = await Promise.all([XferLog.open(path), XferLog.open(path)]);
    const count = 2000;
    const longName = 'x'.repeat(300);
    for (let i = 0; i < count; i++) {
      a.record(record(`/a/${i}/${longName}`));
      b.record(record(`/b/${i}/${longName}`));
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

  it('fails at open when the file cannot be written', async () => {
    await expect(XferLog.open(dir)).rejects.toThrow(/EISDIR/);
  });
});
