import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

describe('XferLog', () => {
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
