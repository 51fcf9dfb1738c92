/**
 * What the FTP interop tests (test/interop/ftp-*.test.ts) share: a served tree with the awkward
 * cases real clients trip on (a few MB of binary holding CR and LF bytes, nested directories, a name
 * with spaces, a UTF-8 name), a local user with every permission, a classicd started on port 0 with
 * whole FTP sub-objects (testConfig merges one level deep), and a runner for the client programs.
 *
 * The clients are required, not optional: .ci/run installs them (APT_PACKAGES) and a missing one
 * fails its test with the package to install.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { hashPassword } from '../../services/ftp/auth/password-hash.js';
import { startClassicd, testConfig, type RunningClassicd } from './classicd.js';
import { freePort } from './net.js';

export const HOST = '127.0.0.1';
export const USER = 'alice';
export const PASSWORD = 'open sesame';

/** The anonymous tree, path (relative, '/'-separated) to content. Directories are implied. */
export function anonymousTree(): Map<string, Buffer> {
  // 3 MiB and an odd tail, random so a lost or reordered block shows; it holds CR, LF and CR LF
  // bytes that an ASCII-mode transfer would mangle.
  const big = randomBytes(3 * 1024 * 1024 + 4321);
  big.write('\r\n\n\r', 1000, 'latin1');
  return new Map<string, Buffer>([
    ['readme.txt', Buffer.from('Welcome to the classicd interop tree.\nSecond line.\n')],
    ['big.bin', big],
    ['dir with spaces/file with spaces.txt', Buffer.from('spaces in the path\n')],
    ['nested/level1/level2/deep.txt', Buffer.from('three levels down\n')],
    ['nested/level1/sibling.txt', Buffer.from('beside level2\n')],
    ['ünïcødé-名前.txt', Buffer.from('UTF-8 name, UTF-8 body: ünïcødé\n')],
  ]);
}

export function writeTree(root: string, tree: ReadonlyMap<string, Buffer>): void {
  for (const [path, content] of tree) {
    const file = join(root, ...path.split('/'));
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, content);
  }
}

/**
 * What is under `root`, path to content, regular files only; directories are implied by their files,
 * symlinks are recorded as `-> target`. Throws on anything else (a FIFO, a device) as unexpected.
 */
export function readTree(root: string, ignore: (path: string) => boolean = () => false): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = prefix ? `${prefix}/${name}` : name;
      if (ignore(path)) continue;
      const full = join(dir, name);
      const stat = lstatSync(full);
      if (stat.isSymbolicLink()) found.set(path, Buffer.from(`-> ${readlinkSync(full)}`));
      else if (stat.isDirectory()) walk(full, path);
      else if (stat.isFile()) found.set(path, readFileSync(full));
      else throw new Error(`unexpected file type at ${full}`);
    }
  };
  walk(root, '');
  return found;
}

/** A short description of each file (size and SHA-256), for assertions whose diffs stay readable. */
export function digest(tree: ReadonlyMap<string, Buffer>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, content] of [...tree].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out[path] = `${content.length} bytes sha256:${createHash('sha256').update(content).digest('hex').slice(0, 16)}`;
  }
  return out;
}

export function sha(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** A 100-port passive range in 12000-19999: below Linux's ephemeral ports, apart from the integration tests'. */
function passiveRange(): string {
  const low = 12000 + Math.floor(Math.random() * 80) * 100;
  return `${low}-${low + 99}`;
}

export interface InteropServerOptions {
  /** The FTP listener's address: HOST unless a test needs another (`::1` for IPv6). */
  readonly host?: string;
  /** Adds to the anonymous root after the standard tree is written (symlinks, say). */
  readonly prepareAnonymous?: (root: string) => void;
  readonly tls?: Partial<{ enabled: boolean; requireSessionReuse: boolean; implicit: boolean }>;
  /** Overrides for the local user (permissions, tlsRequired...). */
  readonly user?: Record<string, unknown>;
  readonly anonymousUpload?: boolean;
  /** Per-session rate for anonymous, to keep a transfer running long enough to watch (0: none). */
  readonly anonymousMaxRate?: number;
  readonly logLevel?: 'debug' | 'info' | 'warn';
  readonly workers?: number;
}

export interface InteropServer {
  readonly server: RunningClassicd;
  readonly port: number;
  readonly implicitPort: number | undefined;
  /** The temporary directory holding everything below. */
  readonly dir: string;
  readonly anonRoot: string;
  readonly userRoot: string;
  /** What was written to the anonymous root. */
  readonly tree: ReadonlyMap<string, Buffer>;
  /** `ftp://127.0.0.1:PORT/` (`ftp://[::1]:PORT/` on IPv6) plus the path, each segment percent-encoded; with the local user's credentials if asked. */
  url(path?: string, options?: { user?: boolean; scheme?: 'ftp' | 'ftps' }): string;
  /** A scratch directory for a client's downloads, removed with the server. */
  scratch(name: string): string;
  /** Every command the server has logged so far, as `VERB argument` (PASS arguments are redacted). */
  commands(): string[];
  /** The protocol log's last `lines` commands, replies and notes, for failure messages (log level debug). */
  trace(lines?: number): string;
  stop(): Promise<void>;
}

export async function startInteropServer(options: InteropServerOptions = {}): Promise<InteropServer> {
  const dir = mkdtempSync(join(tmpdir(), 'classicd-interop-'));
  const anonRoot = join(dir, 'anon');
  const userRoot = join(dir, 'alice');
  mkdirSync(anonRoot);
  mkdirSync(userRoot);
  const tree = anonymousTree();
  writeTree(anonRoot, tree);
  if (options.anonymousUpload) mkdirSync(join(anonRoot, 'incoming'));
  options.prepareAnonymous?.(anonRoot);
  const implicitPort = options.tls?.implicit ? await freePort() : 0;
  const host = options.host ?? HOST;
  const ftp = {
    host,
    maxSessionsPerIp: 50,
    dataTimeoutMs: 30_000,
    login: { failureDelayMs: 0, maxFailures: 3 },
    passive: { enabled: true, ports: passiveRange(), address: 'auto', rules: [], acceptTimeoutMs: 10_000 },
    active: { enabled: true, connectTimeoutMs: 5000 },
    anonymous: {
      enabled: true,
      userNames: ['anonymous', 'ftp'],
      root: anonRoot,
      upload: { enabled: options.anonymousUpload ?? false, dir: 'incoming', umask: '077' },
      hide: [],
      deny: [],
      maxRateBytesPerSecond: options.anonymousMaxRate ?? 0,
    },
    users: [
      {
        name: USER,
        password: await hashPassword(PASSWORD),
        root: userRoot,
        permissions: ['read', 'write', 'delete', 'mkdir', 'rename'],
        ...options.user,
      },
    ],
    tls: {
      enabled: options.tls?.enabled ?? true,
      cert: '',
      key: '',
      selfSignedDir: join(dir, 'tls'),
      implicitPort,
      requireSessionReuse: options.tls?.requireSessionReuse ?? true,
    },
    xferlog: join(dir, 'xferlog'),
  };
  let server: RunningClassicd;
  try {
    server = await startClassicd(
      testConfig(
        { ftp },
        {
          log: { level: options.logLevel ?? 'debug', format: 'json', bufferBytes: 0 },
          supervisor: { workers: options.workers ?? 1, shutdownGraceMs: 2000 },
        },
      ),
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const listener = (name: string): number | undefined =>
    server.bound.find((b) => b.svc === 'ftp' && (b as { listener?: string }).listener === name)?.port;
  const port = listener('main') ?? server.port('ftp');
  const implicit = implicitPort ? (listener('implicit-tls') ?? implicitPort) : undefined;
  return {
    server,
    port,
    implicitPort: implicit,
    dir,
    anonRoot,
    userRoot,
    tree,
    url(path = '', { user = false, scheme = 'ftp' } = {}) {
      const credentials = user ? `${USER}:${encodeURIComponent(PASSWORD)}@` : '';
      const target = scheme === 'ftps' ? implicit : port;
      const encoded = path
        .split('/')
        .map((segment) => encodeURIComponent(segment))
        .join('/');
      const literal = host.includes(':') ? `[${host}]` : host; // RFC 3986 3.2.2: IPv6 in brackets
      return `${scheme}://${credentials}${literal}:${target}/${encoded}`;
    },
    scratch(name) {
      const path = join(dir, 'scratch', name);
      mkdirSync(path, { recursive: true });
      return path;
    },
    commands() {
      return server.lines
        .filter((line) => line.msg === 'ftp command')
        .map((line) => (line.arg ? `${text(line.cmd)} ${text(line.arg)}` : text(line.cmd)));
    },
    trace(lines = 300) {
      return server.lines
        .filter((line) => line.svc === 'ftp')
        .map((line) => {
          const sid = text(line.sid ?? '-');
          if (line.msg === 'ftp command') return `${sid} > ${text(line.cmd)} ${text(line.arg ?? '')}`.trimEnd();
          if (line.msg === 'ftp reply') return `${sid} < ${text(line.reply).replace(/\r\n/g, ' | ')}`;
          const { level, msg, time: _time, pid: _pid, hostname: _hostname, svc: _svc, sid: _sid, ...rest } = line;
          return `${sid} [${level}] ${msg} ${JSON.stringify(rest)}`;
        })
        .slice(-lines)
        .join('\n');
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A log field as text. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export interface ClientRun {
  readonly command: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  /** Everything worth printing when an assertion fails. */
  readonly summary: string;
}

/** Debian package of each client program, for the hint when it is missing. */
const PACKAGES: Record<string, string> = {
  curl: 'curl',
  lftp: 'lftp',
  wget: 'wget',
  tnftp: 'tnftp',
  'inetutils-ftp': 'inetutils-ftp',
  python3: 'python3',
};

export interface RunOptions {
  readonly input?: string;
  readonly cwd?: string;
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Runs a client program to completion; it is killed after `timeoutMs`. Resolves with its exit
 * status and output whatever the status; rejects only if it could not be started.
 */
export function runClient(command: string, args: readonly string[], options: RunOptions = {}): Promise<ClientRun> {
  // A HOME of its own for each run, removed afterwards: no user config (~/.netrc, ~/.lftprc,
  // ~/.wgetrc, ~/.curlrc) changes what the client does, and what it leaves there (lftp's
  // transfer_log) stays out of the trees the tests compare.
  const home = mkdtempSync(join(tmpdir(), 'classicd-interop-home-'));
  const removeHome = (): void => rmSync(home, { recursive: true, force: true });
  return new Promise<ClientRun>((resolve, reject) => {
    const child = execFile(
      command,
      args,
      {
        cwd: options.cwd,
        encoding: 'buffer',
        timeout: options.timeoutMs ?? 20_000,
        killSignal: 'SIGKILL',
        maxBuffer: 64 * 1024 * 1024,
        env: { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', TZ: 'UTC', ...options.env },
      },
      (error, stdout, stderr) => {
        const failure = error as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
        if (failure && failure.code === 'ENOENT') {
          reject(new Error(`${command}: not installed (apt-get install ${PACKAGES[command] ?? command})`));
          return;
        }
        const code = child.exitCode;
        const signal = child.signalCode;
        const err = stderr.toString('utf8');
        const line = `${command} ${args.map((arg) => (/[\s'"]/.test(arg) ? JSON.stringify(arg) : arg)).join(' ')}`;
        resolve({
          command: line,
          code,
          signal,
          stdout,
          stderr: err,
          summary:
            `${line}\nexit ${code ?? signal}${signal === 'SIGKILL' ? ' (killed on timeout)' : ''}\n` +
            `stderr: ${err.slice(-3000)}\nstdout: ${stdout.toString('utf8').slice(-2000)}`,
        });
      },
    );
    // A client that exits without reading all of its input closes the pipe: EPIPE is no failure.
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  }).finally(removeHome);
}

/**
 * The BSD-style command-line clients (tnftp, inetutils-ftp) read the same script from standard input
 * with `-n -i -v`: open, log in (anonymously unless `user`), `lcd` to `local`, the lines, bye.
 */
export function runScriptedFtp(
  program: 'tnftp' | 'inetutils-ftp',
  server: InteropServer,
  local: string,
  lines: readonly string[],
  options: { user?: boolean } = {},
): Promise<ClientRun> {
  const login = options.user ? `user ${USER} "${PASSWORD}"` : 'user anonymous tester@example.org';
  const script = [`open 127.0.0.1 ${server.port}`, login, `lcd ${local}`, ...lines, 'bye', ''].join('\n');
  return runClient(program, ['-n', '-i', '-v'], { input: script, cwd: local, timeoutMs: 30_000 });
}

/**
 * A scripted client's output with no 4xx/5xx reply in it: both clients exit 0 even when a command
 * fails, so a failure reply in their output is the failure. Returns the output.
 */
export function scriptedOutput(run: ClientRun, server: InteropServer): string {
  const text = run.stdout.toString('utf8');
  const trace = `${run.summary}\n--- server trace ---\n${server.trace()}`;
  expect(run.code, trace).toBe(0);
  expect(
    text.split('\n').filter((line) => /^[45]\d\d /.test(line)),
    trace,
  ).toEqual([]);
  return text;
}
