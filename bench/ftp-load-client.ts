/**
 * An FTP load-generating process, forked by the FTP bench (bench/lib/ftp-clients.ts) so that the
 * clients run beside the server, not inside the bench's event loop. It holds a set of logged-in
 * sessions and runs one job at a time over them, answering with counts and wall-clock instants.
 * Every job is bounded in time; every socket goes to 127.0.0.1.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { FtpClientJob, FtpClientReply, FtpJobResult } from './lib/ftp-jobs.js';
import { FtpError, FtpSession, withDeadline } from './lib/ftp-session.js';

/** STOR data: 1 MiB of random bytes, sent round and round (no disk reads on the client side). */
const SOURCE = randomBytes(1024 * 1024);

let held: FtpSession[] = [];

process.on('message', (message: { id: number; job: FtpClientJob }) => {
  run(message.job).then(
    (result) => reply({ id: message.id, ok: true, result }),
    (error: unknown) => reply({ id: message.id, ok: false, error: (error as Error).stack ?? String(error) }),
  );
});
// The bench is gone: nothing will ever ask for results or stop us.
process.on('disconnect', () => process.exit(0));

function reply(message: FtpClientReply): void {
  if (process.connected) process.send?.(message);
}

const now = (): number => performance.timeOrigin + performance.now();

/** Runs `task` for each of `count` items, at most `parallel` at a time, and tallies the outcomes. */
async function tally(
  count: number,
  parallel: number,
  timeoutMs: number,
  what: string,
  task: (index: number) => Promise<number>,
): Promise<FtpJobResult> {
  const startedAt = now();
  let endedAt = startedAt;
  let ok = 0;
  let bytes = 0;
  let next = 0;
  const errorCodes: Record<string, number> = {};
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      try {
        bytes += await withDeadline(task(index), timeoutMs, what);
        ok += 1;
        endedAt = Math.max(endedAt, now());
      } catch (error) {
        const label = error instanceof FtpError ? error.label : 'ERROR';
        errorCodes[label] = (errorCodes[label] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return { ok, errors: count - ok, errorCodes, bytes, startedAt, endedAt };
}

async function run(job: FtpClientJob): Promise<FtpJobResult> {
  switch (job.kind) {
    case 'login':
      return tally(job.count, job.parallel, job.timeoutMs, 'connect and login', async () => {
        const deadline = now() + job.timeoutMs;
        const session = await FtpSession.open(job.port);
        try {
          await session.loginAnonymous();
          // One that finishes after its deadline has already been counted as a timeout: not kept.
          if (now() > deadline) throw new FtpError('login after the deadline', 'TIMEOUT');
        } catch (error) {
          session.destroy();
          throw error;
        }
        held.push(session); // kept for the jobs that follow
        return 0;
      });
    case 'retr':
      return tally(held.length, held.length, job.timeoutMs, 'RETR', async (index) => {
        const bytes = await (held[index] as FtpSession).retrieve(job.path);
        if (bytes !== job.expectBytes) throw new FtpError(`RETR: ${bytes} of ${job.expectBytes} bytes`, 'SHORT');
        return bytes;
      });
    case 'stor':
      return tally(held.length, held.length, job.timeoutMs, 'STOR', async (index) => {
        await (held[index] as FtpSession).store(
          `${job.dir}/${job.prefix}-${process.pid}-${index}.bin`,
          job.bytes,
          SOURCE,
        );
        return job.bytes;
      });
    case 'quit': {
      const sessions = held;
      held = [];
      const result = await tally(sessions.length, sessions.length, job.timeoutMs, 'QUIT', async (index) => {
        await (sessions[index] as FtpSession).quit();
        return 0;
      });
      for (const session of sessions) session.destroy();
      return result;
    }
    case 'release': {
      const count = held.length;
      for (const session of held) session.destroy();
      held = [];
      const at = now();
      return { ok: count, errors: 0, errorCodes: {}, bytes: 0, startedAt: at, endedAt: at };
    }
  }
}
