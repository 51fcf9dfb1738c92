/**
 * The built command line (`dist/bin/classicd.js`, so run `npm run build` first; `npm test` does)
 * as a user meets it: exit codes, what goes to stdout and what to stderr. Each run gets its own
 * working directory and an environment without CLASSICD_* variables, so nothing leaks in.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CERT_FILE, KEY_FILE, loadOrCreateSelfSigned } from '../../services/ftp/tls/self-signed.js';
import { WORKERS_AS_ROOT_WARNING } from '../../shared/supervisor/privileges.js';
import { CLI } from '../helpers/classicd.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'classicd-cli-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Started as root, classicd warns unless supervisor.user names another user (tests run as root in CI). */
const RUNNING_AS_ROOT = process.getuid?.() === 0;

const cleanEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('CLASSICD_')));

function classicd(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: dir, env: { ...cleanEnv(), ...env }, timeout: 20_000 },
      (error, stdout, stderr) => {
        // A non-zero exit is an answer to check; anything else (a timeout, no node) is a failure.
        if (error && typeof error.code !== 'number') reject(new Error(`classicd did not run: ${error.message}`));
        else resolve({ code: child.exitCode, stdout, stderr });
      },
    );
  });
}

function writeConfig(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const INVALID = [
  'colour: blue',
  'http: { port: eighty }',
  'supervisor: { scheduler: fastest }',
  'services:',
  '  daytime:',
  '    port: 70000',
  '    allow: [10.0.0.0/33]',
  '',
].join('\n');
const INVALID_PATHS = [
  'colour',
  'http.port',
  'supervisor.scheduler',
  'services.daytime.port',
  'services.daytime.allow.0',
];

describe('classicd --version and --help', () => {
  it('prints the version from package.json', async () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-v']) {
      const run = await classicd([flag]);
      expect(run).toEqual({ code: 0, stdout: `classicd ${manifest.version}\n`, stderr: '' });
    }
  });

  it('prints the usage', async () => {
    const run = await classicd(['--help']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^Usage:$/m);
    for (const usage of ['start [--config FILE]', 'check-config [FILE]', '--version', '--help']) {
      expect(run.stdout).toContain(usage);
    }
  });
});

describe('classicd check-config', () => {
  it('prints the effective config as YAML and exits 0 for a valid file', async () => {
    const file = writeConfig('valid.yaml', 'http: { port: 9025 }\nservices: { daytime: { port: 2013 } }\n');
    const run = await classicd(['check-config', file], { CLASSICD_LOG__LEVEL: 'warn' });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(RUNNING_AS_ROOT ? `classicd: warning: ${WORKERS_AS_ROOT_WARNING}\n` : '');
    expect(run.stdout).toMatch(
      /^# effective configuration, from: .*default\.yaml; .*valid\.yaml; env: CLASSICD_LOG__LEVEL\n/,
    );
    const printed = parseYaml(run.stdout) as {
      log: { level: string };
      http: { port: number; host: string };
      services: { daytime: { port: number; host: string } };
    };
    expect(printed.log.level).toBe('warn');
    expect(printed.http).toMatchObject({ port: 9025, host: '127.0.0.1' });
    expect(printed.services.daytime).toMatchObject({ port: 2013, host: '127.0.0.1' });
  });

  // vsftpd never serves a session as root; classicd does if told to, but says so.
  it.runIf(RUNNING_AS_ROOT)('warns, as root, unless supervisor.user names an unprivileged user', async () => {
    for (const [user, warned] of [
      ["''", true],
      ['root', true],
      ['nobody', false],
    ] as const) {
      const run = await classicd(['check-config', writeConfig(`user-${user}.yaml`, `supervisor: { user: ${user} }\n`)]);
      expect(run.code, user).toBe(0);
      expect(run.stderr.includes(WORKERS_AS_ROOT_WARNING), user).toBe(warned);
    }
  });

  it('checks the defaults alone when no file is given', async () => {
    const run = await classicd(['check-config']);
    expect(run.code).toBe(0);
    expect((parseYaml(run.stdout) as { http: { port: number } }).http.port).toBe(8025);
  });

  it('lists every problem with its key path on stderr and exits 2 for an invalid file', async () => {
    const file = writeConfig('invalid.yaml', INVALID);
    const run = await classicd(['check-config', file]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^classicd: invalid configuration:\n/);
    for (const path of INVALID_PATHS) expect(run.stderr).toMatch(new RegExp(`^  ${path.replace(/\./g, '\\.')}: `, 'm'));
  });

  // Valid by the schema, yet start would fail: check-config says so, naming the keys.
  it('exits 2 for files start cannot read or write, and for a workers user that does not exist', async () => {
    const file = writeConfig(
      'unstartable.yaml',
      [
        'supervisor: { user: no-such-user-here }',
        'services:',
        '  ftp:',
        `    tls: { enabled: true, cert: ${join(dir, 'missing-cert.pem')}, key: ${join(dir, 'missing-key.pem')} }`,
        `    xferlog: ${dir}`, // a directory
        '',
      ].join('\n'),
    );
    const run = await classicd(['check-config', file]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/could not start with it:\n/);
    for (const path of ['supervisor', 'services.ftp.tls.cert', 'services.ftp.tls.key', 'services.ftp.xferlog']) {
      expect(run.stderr).toMatch(new RegExp(`^  ${path.replace(/\./g, '\\.')}: `, 'm'));
    }
  });

  it('exits 2 for a key and certificate that do not make a pair', async () => {
    const one = await loadOrCreateSelfSigned(join(dir, 'pair-one'));
    const other = await loadOrCreateSelfSigned(join(dir, 'pair-other'));
    const file = writeConfig(
      'mismatched.yaml',
      [
        'services:',
        '  ftp:',
        `    tls: { enabled: true, cert: ${join(one.dir, CERT_FILE)}, key: ${join(other.dir, KEY_FILE)} }`,
        '',
      ].join('\n'),
    );
    const run = await classicd(['check-config', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^ {2}services\.ftp\.tls\.key: tls\.key and tls\.cert do not make a usable pair/m);
  });

  it('passes the example anonymous site by the schema; its certificate, not on this machine, stops it', async () => {
    const example = fileURLToPath(new URL('../../config/examples/anonymous-ftp.yaml', import.meta.url));
    const run = await classicd(['check-config', example]);
    expect(run.stderr).not.toContain('invalid configuration');
    const complaints = run.stderr.split('\n').filter((line) => line.startsWith('  '));
    expect(complaints.map((line) => line.trim().split(':')[0])).toEqual(
      expect.arrayContaining(['services.ftp.tls.cert', 'services.ftp.tls.key']),
    );
  });

  it('reports a YAML syntax error and exits 2', async () => {
    const file = writeConfig('broken.yaml', 'log:\n  level: [debug\n');
    const run = await classicd(['check-config', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(file);
  });

  it('reports a missing file and exits 2', async () => {
    const run = await classicd(['check-config', join(dir, 'missing.yaml')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/missing\.yaml: cannot read/);
  });
});

describe('classicd start', () => {
  it('exits 2 without starting anything when the config is invalid', async () => {
    const file = writeConfig('invalid-start.yaml', INVALID);
    const run = await classicd(['start', '--config', file]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    for (const path of INVALID_PATHS) expect(run.stderr).toContain(`  ${path}: `);
  });

  // A SIGTERM while the workers start used to go unheard: a worker that had not attached yet missed
  // its shutdown and was killed after the grace period, or kept serving once the primary had stopped.
  it('stops at once, with status 0, when SIGTERM comes while the workers start', async () => {
    const file = writeConfig(
      'early-stop.yaml',
      [
        'http: { enabled: false }',
        'supervisor: { workers: 2, shutdownGraceMs: 30000 }',
        'services:',
        ...['echo', 'discard', 'daytime', 'qotd', 'chargen', 'time'].map((svc) => `  ${svc}: { port: 0 }`),
        '  ftp: { port: 0, passive: { ports: "31400-31419" } }',
        '',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [CLI, 'start', '--config', file], { cwd: dir, env: cleanEnv() });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // 'starting' is logged just before the supervisor opens its logs and forks the workers.
    await new Promise<void>((resolve) =>
      child.stdout.on('data', () => {
        if (output.includes('"starting"')) resolve();
      }),
    );
    try {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).not.toContain('did not exit in time');
      expect(output).toMatch(/"msg":"(stopped while starting|stopped)"/);
    } finally {
      // A server that does not stop is this test's failure, and must not outlive it.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('exits 2 when an environment variable makes the config invalid', async () => {
    const run = await classicd(['start'], { CLASSICD_SERVICES__DAYTIME__PORT: 'thirteen' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^ {2}services\.daytime\.port: /m);
  });
});

describe('classicd with a command it does not know', () => {
  it('prints the usage on stderr and exits 2', async () => {
    const run = await classicd(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^classicd: unknown command 'frobnicate'\n/);
    expect(run.stderr).toMatch(/^Usage:$/m);
  });
});
