/**
 * A load-generating process, forked by the bench (bench/lib/clients.ts) so that the clients run
 * beside the server, not inside the bench's own event loop. It takes one job at a time over IPC
 * and answers with what it measured. Every job is bounded in time; every socket it opens goes to
 * 127.0.0.1.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ClientJob, ClientReply, DaytimeResult, EchoResult, HoldResult, ReleaseResult } from './lib/jobs.js';

const HOST = '127.0.0.1';
const held: Socket[] = [];

process.on('message', (message: { id: number; job: ClientJob }) => {
  run(message.job).then(
    (result) => reply({ id: message.id, ok: true, result }),
    (error: unknown) => reply({ id: message.id, ok: false, error: (error as Error).stack ?? String(error) }),
  );
});
// The bench is gone: nothing will ever ask for results or stop us.
process.on('disconnect', () => process.exit(0));

function reply(message: ClientReply): void {
  if (process.connected) process.send?.(message);
}

function run(job: ClientJob): Promise<unknown> {
  switch (job.kind) {
    case 'daytime':
      return daytime(job.port, job.concurrency, job.warmupMs, job.durationMs, job.drainMs);
    case 'echo':
      return echo(job.port, job.totalBytes, job.chunkBytes, job.timeoutMs);
    case 'hold':
      return hold(job.port, job.count, job.parallel, job.timeoutMs);
    case 'release':
      return release(job.timeoutMs);
  }
}

/**
 * `concurrency` loops, each: connect, read until the server closes, again. Sessions that end inside
 * the measured window count; one that ends with an error or without a single byte is an error.
 */
function daytime(
  port: number,
  concurrency: number,
  warmupMs: number,
  durationMs: number,
  drainMs: number,
): Promise<DaytimeResult> {
  return new Promise((resolve) => {
    const startedAt = performance.now();
    const windowStart = startedAt + warmupMs;
    const windowEnd = windowStart + durationMs;
    const errorCodes: Record<string, number> = {};
    let completed = 0;
    let errors = 0;
    let warmupSessions = 0;
    let sessions = 0;
    let inFlight = 0;
    let stopping = false;
    const open = new Set<Socket>();

    const finish = (stuck: number): void => {
      resolve({ completed, errors, errorCodes, windowMs: durationMs, warmupSessions, sessions, stuck });
    };

    const once = (): void => {
      inFlight += 1;
      let received = 0;
      let failure: string | undefined;
      const socket = connect({ host: HOST, port });
      open.add(socket);
      socket.on('data', (chunk: Buffer) => (received += chunk.length));
      socket.on('error', (error: NodeJS.ErrnoException) => (failure ??= error.code ?? error.message));
      socket.on('close', () => {
        open.delete(socket);
        inFlight -= 1;
        const now = performance.now();
        if (received === 0) failure ??= 'EMPTY';
        sessions += 1;
        if (now < windowStart) warmupSessions += 1;
        else if (now <= windowEnd) {
          if (failure === undefined) completed += 1;
          else {
            errors += 1;
            errorCodes[failure] = (errorCodes[failure] ?? 0) + 1;
          }
        }
        if (now > windowEnd) stopping = true;
        if (!stopping) once();
        else if (inFlight === 0) finish(0);
      });
    };

    for (let i = 0; i < concurrency; i++) once();
    // Ends the run even if the server stops answering: whatever is still open after the drain
    // period is destroyed and reported as stuck.
    setTimeout(
      () => {
        stopping = true;
        if (inFlight === 0) return;
        const stuck = open.size;
        for (const socket of open) socket.destroy();
        finish(stuck);
      },
      warmupMs + durationMs + drainMs,
    ).unref();
  });
}

/**
 * One connection; writes `totalBytes` in chunks, honouring backpressure, while reading the echo
 * concurrently. The clock runs from connect to the last echoed byte. Byte `o` of the stream is
 * `o & 0xff`, and each received chunk's first and last bytes are checked against that.
 */
function echo(port: number, totalBytes: number, chunkBytes: number, timeoutMs: number): Promise<EchoResult> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(chunkBytes);
    for (let i = 0; i < chunkBytes; i++) chunk[i] = i & 0xff;
    let sent = 0;
    let received = 0;
    let startedAt = 0;
    let settled = false;
    const socket = connect({ host: HOST, port });
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const ms = performance.now() - startedAt;
      socket.destroy();
      if (error) reject(error);
      else resolve({ bytes: received, ms });
    };
    const timer = setTimeout(
      () => settle(new Error(`echo: timed out after ${timeoutMs} ms, ${sent} bytes sent, ${received} received`)),
      timeoutMs,
    );
    const pump = (): void => {
      while (sent < totalBytes) {
        const size = Math.min(chunkBytes, totalBytes - sent);
        sent += size;
        if (!socket.write(size === chunkBytes ? chunk : chunk.subarray(0, size))) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    socket.on('connect', () => {
      startedAt = performance.now();
      pump();
    });
    socket.on('data', (data: Buffer) => {
      const first = received & 0xff;
      const last = (received + data.length - 1) & 0xff;
      if (data[0] !== first || data[data.length - 1] !== last) {
        settle(new Error(`echo: wrong bytes at offset ${received}`));
        return;
      }
      received += data.length;
      if (received >= totalBytes) settle();
    });
    socket.on('error', (error) => settle(error));
    socket.on('close', () => settle(new Error(`echo: closed by the server after ${received} of ${totalBytes} bytes`)));
  });
}

/**
 * Opens `count` connections, `parallel` at a time, and on each makes one echo round trip of one
 * byte, which proves the server has accepted it and started its session. Then keeps them open.
 */
function hold(port: number, count: number, parallel: number, timeoutMs: number): Promise<HoldResult> {
  return new Promise((resolve) => {
    const startedAt = performance.now();
    const errorCodes: Record<string, number> = {};
    let started = 0;
    let done = 0;
    let established = 0;
    let errors = 0;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      resolve({ established, errors, errorCodes, ms: performance.now() - startedAt });
    };
    const timer = setTimeout(finish, timeoutMs);
    const next = (): void => {
      if (finished) return;
      if (started >= count) {
        if (done >= count) finish();
        return;
      }
      started += 1;
      let answered = false;
      const socket = connect({ host: HOST, port });
      const fail = (code: string): void => {
        if (answered) return;
        answered = true;
        errors += 1;
        errorCodes[code] = (errorCodes[code] ?? 0) + 1;
        socket.destroy();
        done += 1;
        next();
      };
      socket.on('connect', () => socket.write('x'));
      socket.once('data', () => {
        if (answered) return;
        answered = true;
        established += 1;
        held.push(socket);
        done += 1;
        next();
      });
      socket.on('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
      socket.on('close', () => fail('CLOSED'));
    };
    for (let i = 0; i < Math.min(parallel, count); i++) next();
    if (count === 0) finish();
  });
}

/** Closes every held connection; resolves once they have all closed (or after the timeout). */
function release(timeoutMs: number): Promise<ReleaseResult> {
  const sockets = held.splice(0);
  let stillOpen = 0;
  for (const socket of sockets) if (!socket.destroyed) stillOpen += 1;
  const closed = sockets.map(
    (socket) =>
      new Promise<void>((resolve) => {
        if (socket.closed) return resolve();
        socket.once('close', () => resolve());
        socket.destroy();
      }),
  );
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
  return Promise.race([Promise.all(closed).then(() => undefined), timeout]).then(() => ({
    released: sockets.length,
    stillOpenAtRelease: stillOpen,
  }));
}
