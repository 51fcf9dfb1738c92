/**
 * What the data-connection tests share: a served directory, an FTP config with whole sub-objects
 * (testConfig merges one level deep), a passive port range unlikely to collide with other test
 * files (collisions are survived anyway: the pool moves on), and a RETR/STOR round trip.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { hashPassword } from '../../../services/ftp/auth/password-hash.js';
import { testConfig, type ConfigOverrides } from '../../helpers/classicd.js';
import { FtpClient, readAll, writeAll, type FtpReply } from '../../helpers/ftp.js';

export const PASSWORD = 'correct horse';

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** 100 ports somewhere in 20000-29999 (below Linux's ephemeral range). */
function portRange(): string {
  const low = 20000 + Math.floor(Math.random() * 99) * 100;
  return `${low}-${low + 99}`;
}

export interface FtpTestOptions {
  readonly anonymousRoot: string;
  /** The control listener's address (`127.0.0.1` unless a test needs another, such as `::1`). */
  readonly host?: string;
  readonly users?: readonly Record<string, unknown>[];
  readonly acceptTimeoutMs?: number;
  readonly dataTimeoutMs?: number;
  readonly workers?: number;
  /** A transfer log file (off by default). */
  readonly xferlog?: string;
  /** Binary transfers in native code (the default, as in config/default.yaml) or through streams. */
  readonly nativeTransfers?: boolean;
  /** Admission limits, when a test needs them (none by default). */
  readonly limits?: { readonly maxSessions?: number; readonly maxSessionsPerIp?: number };
  readonly dispatch?: 'handoff' | 'brokered' | 'shared';
  /** The passive port range (a random 100-port range by default). */
  readonly passivePorts?: string;
  /** How long a stopping server lets sessions run before it closes them (testConfig's 2 s by default). */
  readonly shutdownGraceMs?: number;
}

export async function localUser(
  name: string,
  root: string,
  extra: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  return {
    name,
    password: await hashPassword(PASSWORD),
    root,
    permissions: ['read', 'write', 'delete', 'mkdir', 'rename'],
    ...extra,
  };
}

export function ftpTestConfig(options: FtpTestOptions): ConfigOverrides {
  return testConfig(
    {
      ftp: {
        host: options.host ?? '127.0.0.1',
        ...options.limits,
        ...(options.dispatch ? { dispatch: options.dispatch } : {}),
        dataTimeoutMs: options.dataTimeoutMs ?? 30_000,
        nativeTransfers: options.nativeTransfers ?? true,
        login: { failureDelayMs: 0, maxFailures: 3 },
        passive: {
          enabled: true,
          ports: options.passivePorts ?? portRange(),
          address: 'auto',
          rules: [],
          acceptTimeoutMs: options.acceptTimeoutMs ?? 10_000,
        },
        active: { enabled: true, connectTimeoutMs: 5000 },
        anonymous: {
          enabled: true,
          userNames: ['anonymous', 'ftp'],
          root: options.anonymousRoot,
          upload: { enabled: false, dir: 'incoming', umask: '077' },
          hide: [],
          deny: [],
          maxRateBytesPerSecond: 0,
        },
        users: options.users ?? [],
        xferlog: options.xferlog ?? '',
        tls: {
          enabled: false,
          cert: '',
          key: '',
          selfSignedDir: './var/tls',
          implicitPort: 0,
          requireSessionReuse: true,
        },
      },
    },
    {
      supervisor: {
        workers: options.workers ?? 1,
        ...(options.shutdownGraceMs === undefined ? {} : { shutdownGraceMs: options.shutdownGraceMs }),
      },
    },
  );
}

export type PassiveKind = 'PASV' | 'EPSV';

export function openPassive(client: FtpClient, kind: PassiveKind): ReturnType<FtpClient['epsv']> {
  return kind === 'EPSV' ? client.epsv() : client.pasv();
}

/** Sets up a passive connection, RETRs `path`, and returns the bytes and the final reply. */
export async function retrieve(
  client: FtpClient,
  path: string,
  kind: PassiveKind = 'EPSV',
): Promise<{ data: Buffer; opening: FtpReply; final: FtpReply }> {
  const socket = await openPassive(client, kind);
  const received = readAll(socket);
  const opening = await client.command(`RETR ${path}`);
  if (opening.code !== 150) {
    socket.destroy();
    throw new Error(`RETR ${path}: ${opening.lines.join(' | ')}`);
  }
  const data = await received;
  const final = await client.reply();
  return { data, opening, final };
}

/** STOR/APPE/STOU `data` over a passive connection; returns the replies. */
export async function store(
  client: FtpClient,
  command: string,
  data: Buffer | string,
): Promise<{ opening: FtpReply; final: FtpReply }> {
  const socket = await client.epsv();
  const opening = await client.command(command);
  if (opening.code !== 150) {
    socket.destroy();
    return { opening, final: opening };
  }
  await writeAll(socket, data);
  const final = await client.reply();
  return { opening, final };
}

/** Connects to `port`, logs in as `user` and sets TYPE I; the client joins `opened`, for the test to close. */
export async function binaryLogin(port: number, opened: FtpClient[], user = 'alice'): Promise<FtpClient> {
  const client = await FtpClient.connect(port);
  opened.push(client);
  await client.login(user, PASSWORD);
  expectCode(await client.command('TYPE I'), 200);
  return client;
}

/** Polls `probe` until it returns true, for at most `timeoutMs` (for effects written asynchronously). */
export async function eventually(probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function expectCode(reply: FtpReply, code: number): void {
  expect(reply.code, reply.lines.join(' | ')).toBe(code);
}
