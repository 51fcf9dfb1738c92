/**
 * Real clients against the real server: rdate(8) for RFC 868 time and OpenBSD netcat for the rest.
 * Both are required (apt packages rdate and netcat-openbsd; CI installs them): a missing client
 * fails these tests rather than skipping them.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, testConfig, type RunningClassicd } from '../helpers/classicd.js';

const CLIENT_TIMEOUT_MS = 10_000;
const PACKAGES: Record<string, string> = { rdate: 'rdate', nc: 'netcat-openbsd' };

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a client to completion (killed after CLIENT_TIMEOUT_MS), feeding it `input` on stdin. */
function run(command: string, args: readonly string[], input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, TZ: 'UTC' }, timeout: CLIENT_TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('latin1')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('latin1')));
    child.once('error', (error: NodeJS.ErrnoException) => {
      const hint = error.code === 'ENOENT' ? ` (not installed? apt-get install ${PACKAGES[command] ?? command})` : '';
      reject(new Error(`${command} ${args.join(' ')}: ${error.message}${hint}`));
    });
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    // A client that exits without reading its input (rdate) closes the pipe: EPIPE is no failure.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Parses "Thu Nov 26 05:19:33 2026" or, as rdate prints it, "Thu Nov 26 05:19:33 UTC 2026" into Unix seconds. */
function parseCtime(text: string): number {
  const match = /^\w{3} (\w{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (?:UTC )?(\d{4})\r?\n$/.exec(text);
  if (!match) throw new Error(`not a ctime date: ${JSON.stringify(text)}`);
  const [, month, day, hours, minutes, seconds, year] = match;
  return (
    Date.UTC(
      Number(year),
      MONTHS.indexOf(month as string),
      Number(day),
      Number(hours),
      Number(minutes),
      Number(seconds),
    ) / 1000
  );
}

/** Runs the client and checks that the date it prints is now: between the clock's readings before and after. */
async function expectPrintsNow(command: string, args: readonly string[], input?: string): Promise<void> {
  const before = Math.floor(Date.now() / 1000);
  const result = await run(command, args, input);
  const after = Math.floor(Date.now() / 1000);
  expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
  const printed = parseCtime(result.stdout);
  expect(printed).toBeGreaterThanOrEqual(before);
  expect(printed).toBeLessThanOrEqual(after);
}

describe('small services with real clients', () => {
  let server: RunningClassicd;
  const port = (svc: string, transport: 'tcp' | 'udp' = 'tcp'): string => String(server.port(svc, transport));

  beforeAll(async () => {
    server = await startClassicd(testConfig({ time: {}, daytime: { format: 'ctime' }, echo: {} }));
  });
  afterAll(async () => {
    await server.stop();
  });

  describe('rdate (RFC 868)', () => {
    it('reads the time over TCP', async () => {
      await expectPrintsNow('rdate', ['-p', '-o', port('time'), '127.0.0.1']);
    });

    it('reads the time over UDP', async () => {
      await expectPrintsNow('rdate', ['-p', '-u', '-o', port('time', 'udp'), '127.0.0.1']);
    });
  });

  describe('netcat', () => {
    it('reads daytime over TCP', async () => {
      await expectPrintsNow('nc', ['-w', '5', '127.0.0.1', port('daytime')]);
    });

    it('reads daytime over UDP', async () => {
      // -W 1: quit after the first datagram back; -w 5 bounds the wait if none comes.
      await expectPrintsNow('nc', ['-u', '-W', '1', '-w', '5', '127.0.0.1', port('daytime', 'udp')], 'x\n');
    });

    it('gets its input back from echo over TCP, closing its side at end of input', async () => {
      const input = 'hello\r\nfrom netcat\r\n';
      // -N: shut down the sending side at end of input, which is what ends an echo session.
      const result = await run('nc', ['-N', '-w', '5', '127.0.0.1', port('echo')], input);
      expect(result).toMatchObject({ code: 0, stdout: input, stderr: '' });
    });
  });
});
