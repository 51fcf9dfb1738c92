/**
 * A classicd with FTP and TLS for the FTPS tests: a temporary directory holding the anonymous root
 * (with /pub/readme.txt), the self-signed certificate's directory and the xferlog.
 * testConfig merges one level deep per service, so whole sub-objects are given here.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startClassicd, testConfig, type RunningClassicd } from './classicd.js';

export const README = 'hello, world\n';

export interface FtpsServerOptions {
  readonly tls?: Partial<{
    enabled: boolean;
    cert: string;
    key: string;
    requireSessionReuse: boolean;
    requireForLocalUsers: boolean;
    implicitPort: number;
    selfSignedDir: string;
  }>;
  readonly users?: readonly Record<string, unknown>[];
  readonly idleTimeoutMs?: number;
  /** A passive range of its own, so test files running side by side do not compete. */
  readonly passivePorts: string;
  readonly workers?: number;
  /** supervisor.user: the workers switch to it after starting (the tests run as root in CI). */
  readonly workersUser?: string;
}

export interface FtpsServer {
  readonly server: RunningClassicd;
  readonly dir: string;
  readonly xferlog: string;
  readonly port: number;
  /** The implicit-FTPS port, if configured. */
  readonly implicitPort: number | undefined;
  stop(): Promise<void>;
}

export async function startFtpsServer(options: FtpsServerOptions): Promise<FtpsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'classicd-ftps-'));
  const root = join(dir, 'anon');
  mkdirSync(join(root, 'pub'), { recursive: true });
  writeFileSync(join(root, 'pub', 'readme.txt'), README);
  const xferlog = join(dir, 'log', 'xferlog');
  const ftp: Record<string, unknown> = {
    host: '127.0.0.1',
    ...(options.idleTimeoutMs ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    passive: { enabled: true, ports: options.passivePorts, address: 'auto', rules: [], acceptTimeoutMs: 10_000 },
    login: { failureDelayMs: 0, maxFailures: 3 },
    anonymous: {
      enabled: true,
      userNames: ['anonymous', 'ftp'],
      root,
      upload: { enabled: false, dir: 'incoming', umask: '077' },
      hide: [],
      deny: [],
      maxRateBytesPerSecond: 0,
    },
    users: options.users ?? [],
    tls: {
      enabled: true,
      cert: '',
      key: '',
      selfSignedDir: join(dir, 'tls'),
      implicitPort: 0,
      requireSessionReuse: true,
      ...options.tls,
    },
    xferlog,
  };
  const server = await startClassicd(
    testConfig(
      { ftp },
      {
        supervisor: {
          workers: options.workers ?? 2,
          shutdownGraceMs: 2000,
          ...(options.workersUser ? { user: options.workersUser } : {}),
        },
      },
    ),
  );
  const listener = (name: string): number | undefined =>
    server.bound.find((b) => b.svc === 'ftp' && (b as { listener?: string }).listener === name)?.port;
  return {
    server,
    dir,
    xferlog,
    port: listener('main') ?? server.port('ftp'),
    implicitPort: listener('implicit-tls'),
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
