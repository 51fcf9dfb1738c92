/**
 * The servers the small-services suite compares: xinetd's internal services, a bare one-process
 * Node server (the ceiling), and the built classicd. Each is started in its own temporary directory
 * on 127.0.0.1 and reports its daytime and echo ports and the process whose tree is the server.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { makeTempDir, pollUntil, processTree, removeTempDir, spawnTracked, stopTracked } from './processes.js';
import { launchClassicd } from './classicd-process.js';

const HOST = '127.0.0.1';
const BARE_SERVER = fileURLToPath(new URL('../bare-server.js', import.meta.url));

export interface RunningServer {
  readonly daytimePort: number;
  readonly echoPort: number;
  /** The server's top process; the server is this process and everything below it. */
  readonly pid: number;
  /** The server's processes now (xinetd's forked echo children, classicd's workers). */
  pids(): number[];
  /** Anything worth knowing after a run (classicd: log bytes written). */
  notes(): string[];
  stop(): Promise<void>;
}

/** A port nobody listens on right now (for xinetd, and for classicd's HTTP side). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: HOST, port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Rejects when a server process exits before it is ready; for racing against its readiness. */
export function exitedEarly(child: ChildProcess, what: string, details: () => string): Promise<never> {
  return new Promise((_resolve, reject) =>
    child.once('exit', (code, signal) =>
      reject(new Error(`${what} exited (${signal ?? code}) before it was ready\n${details()}`)),
    ),
  );
}

/** The end of a log file, for error messages. */
export function tail(file: string, bytes = 2000): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').slice(-bytes);
}

/** The installed xinetd package's version (xinetd -version writes to the terminal, not to a pipe). */
export function xinetdVersion(): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', 'xinetd'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown version';
  }
}

/**
 * xinetd with its internal daytime and echo (stream): in-process daytime, one forked child per
 * echo session. No per-session logging (no log_type), its own notices to a file, the default
 * 50-connections-per-second cps limit lifted.
 */
export async function startXinetd(): Promise<RunningServer> {
  const dir = makeTempDir('classicd-bench-xinetd-');
  const [daytimePort, echoPort] = [await freePort(), await freePort()];
  const user = process.getuid?.() === 0 ? '\tuser = root\n' : '';
  const service = (name: string, port: number): string =>
    `service ${name}\n{\n\ttype = INTERNAL UNLISTED\n\tid = ${name}-stream\n\tsocket_type = stream\n` +
    `\tprotocol = tcp\n\twait = no\n${user}\tbind = ${HOST}\n\tport = ${port}\n}\n`;
  const config = join(dir, 'xinetd.conf');
  writeFileSync(
    config,
    `defaults\n{\n\tinstances = UNLIMITED\n\tper_source = UNLIMITED\n\tcps = 10000000 1\n}\n` +
      service('daytime', daytimePort) +
      service('echo', echoPort),
  );
  const log = join(dir, 'xinetd.log');
  const child = spawnTracked('xinetd', ['-dontfork', '-f', config, '-filelog', log], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await Promise.race([
      pollUntil(
        'xinetd to listen',
        async () => ((await canConnect(daytimePort)) && (await canConnect(echoPort)) ? true : undefined),
        10_000,
      ),
      exitedEarly(child, 'xinetd', () => `${stderr}\n${tail(log)}`),
    ]);
  } catch (error) {
    await stopTracked(child);
    removeTempDir(dir);
    throw error;
  }
  return {
    daytimePort,
    echoPort,
    pid: child.pid as number,
    pids: () => processTree(child.pid as number),
    notes: () => [],
    async stop() {
      await stopTracked(child, 5000);
      removeTempDir(dir);
    },
  };
}

/** bench/bare-server.ts in a child process. */
export async function startBareNode(): Promise<RunningServer> {
  const child = spawnTracked(process.execPath, [BARE_SERVER], { detached: true, stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const line = await Promise.race([
      new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)),
      exitedEarly(child, 'the bare Node server', () => ''),
    ]);
    const ports = JSON.parse(line) as { daytime: number; echo: number };
    return {
      daytimePort: ports.daytime,
      echoPort: ports.echo,
      pid: child.pid as number,
      pids: () => processTree(child.pid as number),
      notes: () => [],
      stop: () => stopTracked(child, 5000),
    };
  } catch (error) {
    await stopTracked(child);
    throw error;
  }
}

export interface ClassicdOptions {
  readonly dispatch: 'handoff' | 'brokered' | 'shared';
  readonly logLevel: 'warn' | 'info';
  readonly workers: number;
}

/** The built classicd with only daytime and echo enabled (classicd-process.ts). */
export async function startClassicd(options: ClassicdOptions): Promise<RunningServer> {
  const classicd = await launchClassicd({
    tempPrefix: 'classicd-bench-',
    logLevel: options.logLevel,
    workers: options.workers,
    dispatch: options.dispatch,
    // dispatch: default follows supervisor.dispatch, so one switch picks the mode under test.
    services: () => ({ daytime: { dispatch: 'default' }, echo: { dispatch: 'default' } }),
  });
  return {
    daytimePort: classicd.ports.daytime as number,
    echoPort: classicd.ports.echo as number,
    pid: classicd.pid,
    pids: classicd.pids,
    notes() {
      const logBytes = classicd.logBytes();
      return logBytes > 0 ? [`log: ${logBytes} bytes`] : [];
    },
    stop: classicd.stop,
  };
}
