/**
 * Starts the real, built classicd (`dist/bin/classicd.js`) as a child process on port 0 with a
 * config the test writes, and reads its JSON log to learn where each service is bound.
 * Every service the test does not name is disabled, so parallel test files never collide.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stringify as toYaml } from 'yaml';
import { SERVICES } from '../../services/index.js';

const STOP_TIMEOUT_MS = 15_000;

export const CLI = fileURLToPath(new URL('../../dist/bin/classicd.js', import.meta.url));

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface Bound {
  readonly svc: string;
  readonly transport: 'tcp' | 'udp';
  readonly address: string;
  readonly port: number;
}

export interface RunningClassicd {
  readonly child: ChildProcess;
  readonly bound: readonly Bound[];
  readonly httpPort: number;
  readonly lines: LogLine[];
  /** What the process has written to standard error so far (pino writes to standard output). */
  stderr(): string;
  port(svc: string, transport?: 'tcp' | 'udp'): number;
  /** Resolves with the first log line (already seen or still to come) that matches. */
  waitForLine(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export type ConfigOverrides = Record<string, unknown>;

/** A config with every service disabled but those in `services`, all on port 0. */
export function testConfig(
  services: Record<string, Record<string, unknown>>,
  rest: ConfigOverrides = {},
): ConfigOverrides {
  const all: Record<string, unknown> = {};
  for (const definition of SERVICES) all[definition.name] = { enabled: false };
  for (const [name, overrides] of Object.entries(services)) all[name] = { enabled: true, port: 0, ...overrides };
  const supervisor = { workers: 2, shutdownGraceMs: 2000, ...(rest.supervisor as object | undefined) };
  return {
    // Unbuffered, so a line is there as soon as what it reports has happened.
    log: { level: 'info', format: 'json', bufferBytes: 0 },
    http: { enabled: true, host: '127.0.0.1', port: 0 },
    ...rest,
    supervisor,
    services: all,
  };
}

export async function startClassicd(config: ConfigOverrides, env: NodeJS.ProcessEnv = {}): Promise<RunningClassicd> {
  const dir = mkdtempSync(join(tmpdir(), 'classicd-test-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, toYaml(config));
  const child = spawn(process.execPath, [CLI, 'start', '--config', file], {
    cwd: dir,
    env: { ...process.env, ...env, CLASSICD_CONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters = new Set<{ predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    lines.push(line);
    for (const waiter of waiters) {
      if (waiter.predicate(line)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, signal });
    }),
  );

  const waitForLine = (predicate: (line: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> => {
    const seen = lines.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { predicate, resolve };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(
          new Error(
            `no matching log line within ${timeoutMs} ms; stderr: ${stderr}\nlog:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`,
          ),
        );
      }, timeoutMs);
      waiter.resolve = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
      waiters.add(waiter);
    });
  };

  const ready = await Promise.race([
    waitForLine((line) => line.msg === 'ready'),
    exited.then(({ code }) => {
      const failure = lines.find((line) => line.msg === 'could not start') as
        { err?: { message?: string } } | undefined;
      const reason = failure?.err?.message ?? stderr;
      throw new Error(`classicd exited with ${code} before it was ready: ${reason}`);
    }),
  ]).catch((error: unknown) => {
    // The caller never gets a handle to stop it with: a classicd that never said ready must not
    // outlive the test (its workers go with it, as they do on any primary's exit).
    child.kill('SIGKILL');
    throw error;
  });
  const bound = ready.bound as Bound[];
  const http = ready.http as { port: number } | null;
  return {
    child,
    stderr: () => stderr,
    bound,
    httpPort: http?.port ?? 0,
    lines,
    port(svc, transport = 'tcp') {
      const found = bound.find((b) => b.svc === svc && b.transport === transport);
      if (!found) throw new Error(`${svc}/${transport} is not bound`);
      return found.port;
    },
    waitForLine,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      // A shutdown that hangs is a bug the test reports, not a process left behind.
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const { code } = await exited;
      clearTimeout(killer);
      return code;
    },
    exited,
  };
}
