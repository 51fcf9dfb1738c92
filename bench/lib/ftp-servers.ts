/**
 * The servers the FTP suite compares, all serving the same tree on 127.0.0.1 to anonymous users
 * with an upload directory: vsftpd (Debian's package, its default process model: a forked pair of
 * processes per session), pyftpdlib (Debian's python3-pyftpdlib: one asynchronous Python process)
 * and the built classicd. Each starts in its own temporary directory from a generated config and
 * reports its control port and the process whose tree is the server.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { makeTempDir, pollUntil, processTree, removeTempDir, spawnTracked, stopTracked } from './processes.js';
import { launchClassicd } from './classicd-process.js';
import { exitedEarly, freePort, tail } from './servers.js';

const HOST = '127.0.0.1';
const VSFTPD = '/usr/sbin/vsftpd';
/** Debian's python3, which python3-pyftpdlib installs into (a pyenv python3 on PATH would not have it). */
const DEBIAN_PYTHON = '/usr/bin/python3';

export interface RunningFtpServer {
  readonly port: number;
  /** The server's processes now (vsftpd's per-session children, classicd's workers). */
  pids(): number[];
  /** Anything worth knowing after a run. */
  notes(): string[];
  stop(): Promise<void>;
}

/** The served tree, made once per suite and shared by every server. */
export interface FtpTree {
  /** The anonymous root: owned by root, not writable by the ftp user (vsftpd insists). */
  readonly root: string;
  /** `incoming/` under the root, where uploads go: writable by everyone (vsftpd's ftp user included). */
  readonly incoming: string;
  /** Virtual paths and sizes of the files to RETR. */
  readonly files: Readonly<Record<'single' | 'each', { path: string; bytes: number }>>;
  remove(): void;
}

/**
 * Writes the files the suite downloads: one big file for the single-client figures, one for each of
 * the many clients. Random content (incompressible, and no server can special-case it).
 */
export function makeFtpTree(singleBytes: number, eachBytes: number): FtpTree {
  const dir = makeTempDir('classicd-bench-ftp-tree-');
  const root = join(dir, 'root');
  const pub = join(root, 'pub');
  const incoming = join(root, 'incoming');
  mkdirSync(pub, { recursive: true });
  mkdirSync(incoming);
  chmodSync(dir, 0o755);
  chmodSync(root, 0o755);
  chmodSync(pub, 0o755);
  chmodSync(incoming, 0o777);
  const ftpUid = systemUid('ftp');
  if (ftpUid !== undefined && process.getuid?.() === 0) chownSync(incoming, ftpUid, -1);
  writeRandomFile(join(pub, 'single.bin'), singleBytes);
  writeRandomFile(join(pub, 'each.bin'), eachBytes);
  return {
    root,
    incoming,
    files: {
      single: { path: '/pub/single.bin', bytes: singleBytes },
      each: { path: '/pub/each.bin', bytes: eachBytes },
    },
    remove: () => removeTempDir(dir),
  };
}

/** Empties the upload directory between measures (the files are not needed, and they fill the disk). */
export function clearIncoming(tree: FtpTree): void {
  for (const name of readdirSync(tree.incoming)) rmSync(join(tree.incoming, name), { force: true, recursive: true });
}

function writeRandomFile(path: string, bytes: number): void {
  const block = Buffer.alloc(4 * 1024 * 1024);
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < bytes;) {
      const length = Math.min(block.length, bytes - written);
      randomFillSync(block, 0, length);
      for (let offset = 0; offset < length;) offset += writeSync(fd, block, offset, length - offset);
      written += length;
    }
  } finally {
    closeSync(fd);
  }
}

function systemUid(user: string): number | undefined {
  try {
    return Number(execFileSync('id', ['-u', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    return undefined;
  }
}

/** The installed Debian package's version, or 'not installed'. */
export function packageVersion(name: string): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', name], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'not installed';
  }
}

/** Resolves once the port answers with a 220 greeting line (the server is really serving). */
function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('data', (chunk: Buffer) => done(chunk.toString('latin1').startsWith('220')));
    socket.once('error', () => done(false));
  });
}

async function waitUntilServing(child: ChildProcess, port: number, what: string, details: () => string): Promise<void> {
  await Promise.race([
    pollUntil(`${what} to greet on :${port}`, async () => ((await greets(port)) ? true : undefined), 15_000),
    exitedEarly(child, what, details),
  ]);
}

/**
 * A peer server (vsftpd, pyftpdlib) once its process is spawned: waits until it greets on `port`,
 * and removes its directory when it stops or fails to start.
 */
async function peerServer(
  child: ChildProcess,
  port: number,
  dir: string,
  what: string,
  errFile: string,
): Promise<RunningFtpServer> {
  try {
    await waitUntilServing(child, port, what, () => tail(errFile));
  } catch (error) {
    await stopTracked(child);
    removeTempDir(dir);
    throw error;
  }
  return {
    port,
    pids: () => processTree(child.pid as number),
    notes: () => [],
    async stop() {
      await stopTracked(child, 5000);
      removeTempDir(dir);
    },
  };
}

export interface PassiveRange {
  readonly low: number;
  readonly high: number;
}

/**
 * vsftpd as Debian ships it, in the foreground, from a generated config: anonymous only, uploads
 * to incoming/, passive ports in `passive`, no limits on clients, no transfer log. Needs root
 * (vsftpd chroots each anonymous session into anon_root and drops to the ftp user).
 */
export interface VsftpdOptions {
  /**
   * vsftpd 3's isolate and isolate_network (both on by default) put each session in new PID, IPC
   * and network namespaces. Creating and tearing down a network namespace per login costs the
   * kernel far more than the rest of the session here, so the main vsftpd target turns them off:
   * the faster vsftpd is the one to beat.
   */
  readonly isolate: boolean;
}

export async function startVsftpd(
  tree: FtpTree,
  passive: PassiveRange,
  options: VsftpdOptions,
): Promise<RunningFtpServer> {
  if (!existsSync(VSFTPD)) throw new Error(`${VSFTPD} not found: apt-get install vsftpd`);
  if (process.getuid?.() !== 0) throw new Error('vsftpd needs root (it chroots and drops privileges per session)');
  const dir = makeTempDir('classicd-bench-vsftpd-');
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  chmodSync(dir, 0o755);
  chmodSync(empty, 0o755);
  const port = await freePort();
  const config = join(dir, 'vsftpd.conf');
  writeFileSync(
    config,
    [
      'listen=YES',
      'listen_ipv6=NO',
      `listen_address=${HOST}`,
      `listen_port=${port}`,
      'background=NO',
      'anonymous_enable=YES',
      'local_enable=NO',
      `anon_root=${tree.root}`,
      'no_anon_password=YES',
      'ftp_username=ftp',
      'write_enable=YES',
      'anon_upload_enable=YES',
      'anon_mkdir_write_enable=NO',
      'anon_umask=022',
      'pasv_enable=YES',
      `pasv_min_port=${passive.low}`,
      `pasv_max_port=${passive.high}`,
      'connect_from_port_20=NO',
      'max_clients=0',
      'max_per_ip=0',
      'idle_session_timeout=3600',
      'data_connection_timeout=300',
      `secure_chroot_dir=${empty}`,
      'xferlog_enable=NO',
      'dirmessage_enable=NO',
      'ssl_enable=NO',
      `isolate=${options.isolate ? 'YES' : 'NO'}`,
      `isolate_network=${options.isolate ? 'YES' : 'NO'}`,
      '',
    ].join('\n'),
  );
  const errFile = join(dir, 'stderr.log');
  const err = openSync(errFile, 'a');
  const child = spawnTracked(VSFTPD, [config], { detached: true, stdio: ['ignore', err, err] });
  closeSync(err);
  return peerServer(child, port, dir, 'vsftpd', errFile);
}

/**
 * pyftpdlib's own server class (FTPServer: one process, an epoll loop) with the DummyAuthorizer,
 * as `python3 -m pyftpdlib -w` sets it up, plus what that command line cannot set: the passive
 * range and no cap on connections (its default is 512). Logging at WARNING, as quiet as the others.
 */
const PYFTPDLIB_SCRIPT = `
import logging, sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

port, root, low, high = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
logging.basicConfig(level=logging.WARNING)
authorizer = DummyAuthorizer()
authorizer.add_anonymous(root, perm='elradfmwMT')
FTPHandler.authorizer = authorizer
FTPHandler.passive_ports = range(low, high + 1)
server = FTPServer(('127.0.0.1', port), FTPHandler)
server.max_cons = 0
server.max_cons_per_ip = 0
server.serve_forever()
`;

export async function startPyftpdlib(tree: FtpTree, passive: PassiveRange): Promise<RunningFtpServer> {
  if (!existsSync(DEBIAN_PYTHON)) throw new Error(`${DEBIAN_PYTHON} not found: apt-get install python3-pyftpdlib`);
  const dir = makeTempDir('classicd-bench-pyftpdlib-');
  const script = join(dir, 'server.py');
  writeFileSync(script, PYFTPDLIB_SCRIPT);
  const port = await freePort();
  const errFile = join(dir, 'stderr.log');
  const err = openSync(errFile, 'a');
  const child = spawnTracked(
    DEBIAN_PYTHON,
    [script, String(port), tree.root, String(passive.low), String(passive.high)],
    { detached: true, stdio: ['ignore', err, err] },
  );
  closeSync(err);
  return peerServer(child, port, dir, 'pyftpdlib', errFile);
}

export interface ClassicdFtpOptions {
  readonly dispatch: 'handoff' | 'brokered' | 'shared';
  readonly workers: number;
}

/**
 * The built classicd (dist/bin/classicd.js) with only FTP enabled: the same tree to anonymous
 * users, uploads to incoming/, the passive range given, TLS off (no peer here speaks it), no
 * admission limits, log level warn to a file. The control port comes from /readyz.
 */
export async function startClassicdFtp(
  tree: FtpTree,
  passive: PassiveRange,
  options: ClassicdFtpOptions,
): Promise<RunningFtpServer> {
  const classicd = await launchClassicd({
    tempPrefix: 'classicd-bench-ftp-',
    logLevel: 'warn',
    workers: options.workers,
    dispatch: options.dispatch,
    services: (dir) => ({
      ftp: {
        // FTP's own default (brokered) would otherwise win over supervisor.dispatch: every target
        // measured brokered from 13:56Z until this line (docs/benchmarks.md).
        dispatch: options.dispatch,
        passive: {
          enabled: true,
          ports: `${passive.low}-${passive.high}`,
          address: 'auto',
          rules: [],
          acceptTimeoutMs: 30_000,
        },
        anonymous: {
          enabled: true,
          userNames: ['anonymous', 'ftp'],
          root: tree.root,
          upload: { enabled: true, dir: 'incoming', umask: '022' },
          hide: [],
          deny: [],
          maxRateBytesPerSecond: 0,
        },
        tls: {
          enabled: false,
          cert: '',
          key: '',
          selfSignedDir: join(dir, 'tls'),
          implicitPort: 0,
          requireSessionReuse: true,
        },
        xferlog: '',
      },
    }),
  });
  return {
    port: classicd.ports.ftp as number,
    pids: classicd.pids,
    notes() {
      const logBytes = classicd.logBytes();
      return logBytes > 0 ? [`log: ${logBytes} bytes at level warn; last: ${classicd.logTail(600).trim()}`] : [];
    },
    stop: classicd.stop,
  };
}
