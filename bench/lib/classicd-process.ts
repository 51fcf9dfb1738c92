/**
 * The built classicd (dist/bin/classicd.js) as both suites run it: from a generated config in a
 * temporary directory, only the named services enabled and on port 0, no admission limits, logs to
 * a file (as under a service manager, so the bench's own event loop does not read them), and the
 * ports taken from /readyz, which lists the bound listeners at every log level (the 'ready' log
 * line is an info line that level warn hides).
 */
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  makeTempDir,
  pollUntil,
  processTree,
  removeTempDir,
  spawnTracked,
  stopTracked,
  waitForExit,
} from './processes.js';
import { packageRoot } from '../../shared/config/package-root.js';
import { exitedEarly, freePort, tail } from './servers.js';

const HOST = '127.0.0.1';
const CLASSICD_CLI = fileURLToPath(new URL('../../bin/classicd.js', import.meta.url));

/** The limits every benchmarked service gets, so admission control never refuses the load. */
const UNLIMITED = {
  maxSessions: 1_000_000,
  maxSessionsPerIp: 1_000_000,
  connectionsPerSecond: 10_000_000,
  idleTimeoutMs: 3_600_000,
};

export interface ClassicdLaunch {
  /** Prefix of the temporary directory (config, logs, anything the services keep). */
  readonly tempPrefix: string;
  readonly logLevel: 'warn' | 'info';
  readonly workers: number;
  readonly dispatch: 'handoff' | 'brokered' | 'shared';
  /**
   * The services to enable, each with its settings beyond host, port 0, TCP and no limits; given
   * the temporary directory, for settings that are paths. Every other service is disabled.
   */
  readonly services: (dir: string) => Record<string, Record<string, unknown>>;
}

export interface LaunchedClassicd {
  /** The primary; the server is this process and everything below it. */
  readonly pid: number;
  /** Each enabled service's TCP port (its `main` listener where it has several). */
  readonly ports: Readonly<Record<string, number>>;
  readonly pids: () => number[];
  /** What the log file holds, for the run's notes. */
  readonly logBytes: () => number;
  readonly logTail: (bytes: number) => string;
  readonly stop: () => Promise<void>;
}

export async function launchClassicd(launch: ClassicdLaunch): Promise<LaunchedClassicd> {
  const dir = makeTempDir(launch.tempPrefix);
  const httpPort = await freePort();
  const wanted = launch.services(dir);
  // Loaded here, not at the top: a classicd that does not load must not stop the peers' measures.
  const { SERVICES } = await import('../../services/index.js');
  const services: Record<string, unknown> = {};
  for (const definition of SERVICES) services[definition.name] = { enabled: false };
  for (const [name, settings] of Object.entries(wanted)) {
    if (!SERVICES.some((definition) => definition.name === name))
      throw new Error(`classicd has no ${name} service (yet)`);
    services[name] = { enabled: true, host: HOST, port: 0, transports: ['tcp'], ...UNLIMITED, ...settings };
  }
  const config = {
    log: { level: launch.logLevel, format: 'json' },
    http: { enabled: true, host: HOST, port: httpPort },
    supervisor: { workers: launch.workers, dispatch: launch.dispatch, shutdownGraceMs: 1000 },
    services,
  };
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, JSON.stringify(config, null, 2)); // JSON is YAML
  const logFile = join(dir, 'classicd.log');
  const errFile = join(dir, 'stderr.log');
  const out = openSync(logFile, 'a');
  const err = openSync(errFile, 'a');
  // No CLASSICD_* variable from the bench's environment may change the config under test.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('CLASSICD_')));
  const child = spawnTracked(process.execPath, [...nodeFlags(), CLASSICD_CLI, 'start', '--config', configFile], {
    cwd: dir,
    env,
    detached: true,
    stdio: ['ignore', out, err],
  });
  closeSync(out);
  closeSync(err);
  const details = (): string => `stderr: ${tail(errFile)}\nlog: ${tail(logFile)}`;
  let ports: Record<string, number>;
  try {
    ports = await Promise.race([
      pollUntil('classicd /readyz', () => readyPorts(httpPort, Object.keys(wanted)), 30_000),
      exitedEarly(child, 'classicd', details),
    ]);
  } catch (error) {
    await stopTracked(child);
    removeTempDir(dir);
    throw error;
  }
  return {
    pid: child.pid as number,
    ports,
    pids: () => processTree(child.pid as number),
    logBytes: () => (existsSync(logFile) ? readFileSync(logFile).length : 0),
    logTail: (bytes) => tail(logFile, bytes),
    stop: async () => {
      child.kill('SIGTERM');
      const clean = await waitForExit(child, 10_000);
      await stopTracked(child, 0);
      const problems = tail(errFile).trim();
      removeTempDir(dir);
      if (!clean) throw new Error(`classicd did not exit within 10 s of SIGTERM; killed. ${problems}`);
    },
  };
}

/**
 * The node flags `npm start` runs classicd with (package.json's start script), so the bench
 * measures what users run; then any from BENCH_NODE_FLAGS, e.g. --cpu-prof to profile the primary.
 */
function nodeFlags(): string[] {
  const words = (text: string): string[] => text.split(' ').filter((word) => word.length > 0);
  const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const start = words(manifest.scripts.start);
  const script = start.findIndex((word) => word.endsWith('classicd.js'));
  if (start[0] !== 'node' || script < 0)
    throw new Error(`package.json's start script is not "node ... classicd.js": ${manifest.scripts.start}`);
  return [...start.slice(1, script), ...words(process.env.BENCH_NODE_FLAGS ?? '')];
}

/** Every service's TCP port once all are bound, else undefined (not ready yet). */
async function readyPorts(httpPort: number, names: readonly string[]): Promise<Record<string, number> | undefined> {
  try {
    const response = await fetch(`http://${HOST}:${httpPort}/readyz`);
    if (response.status !== 200) return undefined;
    const body = (await response.json()) as {
      listeners: { svc: string; transport: string; port: number; listener?: string }[];
    };
    const ports: Record<string, number> = {};
    for (const name of names) {
      const tcp = body.listeners.filter((listener) => listener.svc === name && listener.transport === 'tcp');
      const port = (tcp.find((listener) => listener.listener === 'main') ?? tcp[0])?.port;
      if (!port) return undefined;
      ports[name] = port;
    }
    return ports;
  } catch {
    return undefined;
  }
}
