/**
 * The config loader end to end over real files: the embedded defaults, a user file merged over
 * them, validation that reports every problem at once with its key path, YAML syntax errors, and
 * the frozen result. Every test passes `env` and `cwd` so nothing from the machine leaks in.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { passwordHashProblem } from '../../../services/ftp/auth/password-hash.js';
import { SERVICES } from '../../../services/index.js';
import { ConfigError, loadConfig, type ConfigProblem } from '../../../shared/config/load.js';
import { defaultConfigPath } from '../../../shared/config/package-root.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'classicd-config-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(text: string, name = 'config.yaml'): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Loads and expects a ConfigError; returns its problems. */
function problemsOf(file: string | undefined, env: Record<string, string> = {}): readonly ConfigProblem[] {
  try {
    loadConfig(SERVICES, { file, env, cwd: dir });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CLASSICD_CONFIG_INVALID');
    return (error as ConfigError).problems;
  }
  throw new Error('expected the config to be rejected');
}

describe('loadConfig: defaults', () => {
  it('loads the embedded default config alone, with the documented defaults', () => {
    const { config, sources } = loadConfig(SERVICES, { env: {}, cwd: dir });
    expect(sources).toEqual([defaultConfigPath()]);
    expect(config.log).toEqual({ level: 'info', format: 'auto', bufferBytes: 4096 });
    expect(config.http).toEqual({ enabled: true, host: '127.0.0.1', port: 8025 });
    expect(config.supervisor.scheduler).toBe('wlc');
    // Every service known to classicd has a section, on 127.0.0.1 and its standard port + 10000.
    for (const service of SERVICES) {
      const section = config.services[service.name];
      expect(section, service.name).toBeDefined();
      expect(section?.host, service.name).toBe('127.0.0.1');
      expect(section?.port, service.name).toBe(service.standardPort + 10000);
    }
  });
});

describe('loadConfig: a valid file', () => {
  it('merges the file over the defaults key by key, and lists replace lists', () => {
    const file = writeConfig(
      [
        'log: { level: debug }',
        'supervisor:',
        '  workers: 3',
        '  scheduler: rr',
        'services:',
        '  daytime:',
        '    port: 2013',
        '    transports: [tcp]',
        '    allow: [10.0.0.0/8, "::1"]',
        '',
      ].join('\n'),
    );
    const { config, sources } = loadConfig(SERVICES, { file, env: {}, cwd: dir });
    expect(sources).toEqual([defaultConfigPath(), file]);
    expect(config.log).toEqual({ level: 'debug', format: 'auto', bufferBytes: 4096 });
    expect(config.supervisor.workers).toBe(3);
    expect(config.supervisor.scheduler).toBe('rr');
    expect(config.supervisor.restartIntensity).toBe(5);
    const daytime = config.services.daytime;
    expect(daytime?.port).toBe(2013);
    expect(daytime?.transports).toEqual(['tcp']);
    expect(daytime?.allow).toEqual(['10.0.0.0/8', '::1']);
    expect(daytime?.host).toBe('127.0.0.1');
  });

  it('resolves a relative file name against cwd', () => {
    writeConfig('http: { port: 9999 }\n', 'relative.yaml');
    const { config } = loadConfig(SERVICES, { file: 'relative.yaml', env: {}, cwd: dir });
    expect(config.http.port).toBe(9999);
  });

  it('takes the file from CLASSICD_CONFIG when none is given', () => {
    const file = writeConfig('http: { enabled: false }\n');
    const { config, sources } = loadConfig(SERVICES, { env: { CLASSICD_CONFIG: file }, cwd: dir });
    expect(config.http.enabled).toBe(false);
    expect(sources).toContain(file);
  });

  it('accepts an empty file as "no changes"', () => {
    const file = writeConfig('# nothing here\n');
    const { config } = loadConfig(SERVICES, { file, env: {}, cwd: dir });
    expect(config.http.port).toBe(8025);
  });
});

describe('loadConfig: an invalid file', () => {
  it('reports every problem at once, each with its key path', () => {
    const file = writeConfig(
      [
        'colour: blue', // unknown key at the top
        'log:',
        '  level: loud', // not one of the levels
        'http:',
        '  port: eighty', // wrong type
        'supervisor:',
        '  workers: 0', // below the minimum
        '  scheduler: fastest', // unknown scheduler
        'services:',
        '  daytime:',
        '    prot: 13', // unknown key (a typo)
        '    port: 70000', // not a port
        '    enabled: "yes"', // a string, not a boolean
        '    allow: [10.0.0.0/33, 192.0.2.1]', // bad prefix length
        '    deny: [not-an-address]', // not an address at all
        '',
      ].join('\n'),
    );
    const problems = problemsOf(file);
    const paths = problems.map((problem) => problem.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'colour',
        'log.level',
        'http.port',
        'supervisor.workers',
        'supervisor.scheduler',
        'services.daytime.prot',
        'services.daytime.port',
        'services.daytime.enabled',
        'services.daytime.allow.0',
        'services.daytime.deny.0',
      ]),
    );
    expect(problems).toHaveLength(10);
    const byPath = new Map(problems.map((problem) => [problem.path, problem.message]));
    expect(byPath.get('colour')).toBe('unknown key');
    expect(byPath.get('services.daytime.prot')).toBe('unknown key');
    expect(byPath.get('services.daytime.allow.0')).toMatch(/CIDR/);
  });

  it('puts every problem, path first, in the error message', () => {
    const file = writeConfig('http: { port: -1, host: localhost }\nservices: { nosuch: {} }\n');
    let message = '';
    try {
      loadConfig(SERVICES, { file, env: {}, cwd: dir });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^invalid configuration:\n/);
    expect(message).toMatch(/^ {2}http\.port: /m);
    expect(message).toMatch(/^ {2}http\.host: must be an IPv4 or IPv6 address$/m);
    expect(message).toMatch(/^ {2}services\.nosuch: unknown key$/m);
  });

  it('takes one file name for the FTP directory message, not a path or . or ..', () => {
    for (const file of ['a/b', '..', '/etc/passwd']) {
      const config = writeConfig(`services:\n  ftp:\n    directoryMessage: { enabled: true, file: '${file}' }\n`);
      expect(
        problemsOf(config).map((problem) => problem.path),
        file,
      ).toEqual(['services.ftp.directoryMessage.file']);
    }
  });

  it('rejects a non-integer port and a fractional worker count', () => {
    const file = writeConfig('http: { port: 80.5 }\nsupervisor: { workers: 1.5 }\n');
    expect(problemsOf(file).map((problem) => problem.path)).toEqual(['http.port', 'supervisor.workers']);
  });

  it('refuses per-session isolation for services whose workers accept for themselves', () => {
    const file = writeConfig(
      'supervisor: { isolation: per-session }\n' +
        'services: { daytime: { dispatch: shared }, echo: { enabled: false }, time: { dispatch: default } }\n',
    );
    const paths = problemsOf(file).map((problem) => problem.path);
    expect(paths).toContain('services.daytime.dispatch');
    expect(paths).toContain('services.ftp.dispatch'); // brokered, its default: workers accept too
    expect(paths).not.toContain('services.echo.dispatch'); // disabled
    expect(paths).not.toContain('services.time.dispatch'); // default: follows supervisor.dispatch, handoff
  });
});

describe('loadConfig: files that cannot be read as YAML', () => {
  it('reports a YAML syntax error against the file', () => {
    const file = writeConfig('log:\n  level: [debug\nhttp: { port: 1 }\n');
    const problems = problemsOf(file);
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) {
      expect(problem.path).toBe(file);
      expect(problem.message).not.toBe('');
    }
  });

  it('reports a duplicate key as a syntax error', () => {
    const file = writeConfig('http:\n  port: 1\n  port: 2\n');
    expect(problemsOf(file)[0]?.path).toBe(file);
  });

  it('rejects a file whose top level is not a mapping', () => {
    const file = writeConfig('- log\n- http\n');
    expect(problemsOf(file)).toEqual([{ path: file, message: 'must hold a mapping of keys at the top' }]);
  });

  it('reports a file that does not exist', () => {
    const missing = join(dir, 'missing.yaml');
    const problems = problemsOf(missing);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe(missing);
    expect(problems[0]?.message).toMatch(/^cannot read: .*ENOENT/);
  });
});

describe('loadConfig: the result', () => {
  it('is deeply frozen', () => {
    const { config } = loadConfig(SERVICES, { env: {}, cwd: dir });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.http)).toBe(true);
    expect(Object.isFrozen(config.services)).toBe(true);
    expect(Object.isFrozen(config.services.daytime)).toBe(true);
    expect(Object.isFrozen(config.services.daytime?.allow)).toBe(true);
    // ESM is strict mode, so writing to a frozen object throws rather than failing silently.
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => (config.services.daytime?.allow as string[]).push('10.0.0.0/8')).toThrow(TypeError);
  });

  it('is a fresh object on every load: one caller cannot change what the next one sees', () => {
    const first = loadConfig(SERVICES, { env: {}, cwd: dir }).config;
    const second = loadConfig(SERVICES, { env: { CLASSICD_HTTP__PORT: '1' }, cwd: dir }).config;
    expect(first.http.port).toBe(8025);
    expect(second.http.port).toBe(1);
  });
});

describe('loadConfig: FTP mistakes no single key shows', () => {
  const HASH = '$scrypt$N=16384,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA==$3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w8=';

  it('refuses malformed and unusable hashes, duplicate and anonymous user names, and port clashes', () => {
    const user = (name: string, password = HASH): string =>
      `      - { name: ${name}, password: "${password}", root: /srv/x, permissions: [read] }`;
    const file = writeConfig(
      [
        'services:',
        '  ftp:',
        '    port: 30010',
        '    passive: { ports: "30000-30099" }', // holds the control port and the implicit one
        '    tls: { enabled: true, implicitPort: 30010 }', // the control port again
        '    users:',
        user('alice'),
        user('alice'), // a second alice: which one logs in?
        user('Anonymous'), // anonymous.userNames take this name first
        user('bob', '$scrypt$N=16384,r=8,p=1$abc'), // cut short
        user('carol', HASH.replace('N=16384', 'N=3')), // scrypt refuses N=3 at every login
        '',
      ].join('\n'),
    );
    const paths = problemsOf(file).map((problem) => problem.path);
    expect(paths.sort()).toEqual(
      [
        'services.ftp.passive.ports',
        'services.ftp.passive.ports',
        'services.ftp.tls.implicitPort',
        'services.ftp.users.1.name',
        'services.ftp.users.2.name',
        'services.ftp.users.3.password',
        'services.ftp.users.4.password',
      ].sort(),
    );
  });
});

describe('loadConfig: messages that say how to fix the mistake', () => {
  it('an unquoted umask (YAML reads a number) is told to quote it; a bad passive address names what is allowed', () => {
    const file = writeConfig(
      [
        'services:',
        '  ftp:',
        '    anonymous: { upload: { umask: 022 } }',
        '    passive: { address: "not an address!" }',
        '',
      ].join('\n'),
    );
    const problems = problemsOf(file);
    expect(problems.find((p) => p.path === 'services.ftp.anonymous.upload.umask')?.message).toMatch(/in quotes/);
    expect(problems.find((p) => p.path === 'services.ftp.passive.address')?.message).toMatch(/auto, an IPv4 address/);
  });

  it('takes a numeric supervisor.user or group as the id it is (YAML reads 65534 as a number)', () => {
    const file = writeConfig('supervisor: { user: 65534, group: 65534 }\n');
    const { config } = loadConfig(SERVICES, { file, env: {}, cwd: dir });
    expect(config.supervisor).toMatchObject({ user: '65534', group: '65534' });
    expect(problemsOf(writeConfig('supervisor: { user: -1 }\n'))[0]?.message).toMatch(/a name or a numeric id/);
  });

  // A 227 carries IPv4 only and EPSV no address; 0.0.0.0 sends every client to itself.
  it('refuses passive addresses no client could use, and a rule without one', () => {
    const file = writeConfig(
      [
        'services:',
        '  ftp:',
        '    passive:',
        '      address: "2001:db8::1"',
        '      rules:',
        '        - { network: 192.168.0.0/16, address: 0.0.0.0 }',
        '        - { network: 10.0.0.0/8 }',
        '        - { network: 172.16.0.0/12, address: ftp.example.org }',
        '',
      ].join('\n'),
    );
    const problems = problemsOf(file);
    expect(problems.map((p) => p.path).sort()).toEqual([
      'services.ftp.passive.address',
      'services.ftp.passive.rules.0.address',
      'services.ftp.passive.rules.1.address',
    ]);
    expect(problems.find((p) => p.path === 'services.ftp.passive.rules.0.address')?.message).toMatch(/not 0\.0\.0\.0/);
    expect(problems.find((p) => p.path === 'services.ftp.passive.rules.1.address')?.message).toMatch(/is required/);
  });

  it('refuses TLS settings that cannot work together, naming the key', () => {
    const HASH = '$scrypt$N=16384,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA==$3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w8=';
    const file = writeConfig(
      [
        'services:',
        '  ftp:',
        '    tls: { enabled: false, implicitPort: 10990, requireForLocalUsers: true }',
        '    users:',
        `      - { name: alice, password: "${HASH}", root: /srv/x, permissions: [read], tlsRequired: true }`,
        '',
      ].join('\n'),
    );
    expect(
      problemsOf(file)
        .map((p) => p.path)
        .sort(),
    ).toEqual([
      'services.ftp.tls.implicitPort',
      'services.ftp.tls.requireForLocalUsers',
      'services.ftp.users.0.tlsRequired',
    ]);
    const halfPair = writeConfig(
      ['services:', '  ftp:', '    tls: { enabled: true, cert: /etc/cert.pem }', ''].join('\n'),
    );
    const problems = problemsOf(halfPair);
    expect(problems.map((p) => p.path)).toEqual(['services.ftp.tls.key']);
    expect(problems[0]?.message).toMatch(/both tls\.cert and tls\.key, or neither/);
  });
});

describe('passwordHashProblem: parameters OpenSSL would refuse at every login', () => {
  const HASH = '$scrypt$N=16384,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA==$3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w8=';
  it.each([
    ['N=1048576,r=1,p=1', /below 2\^\(16r\)/],
    ['N=65536,r=1,p=1', /below 2\^\(16r\)/],
    ['N=16384,r=8,p=1073741824', /p \* r/],
    ['N=1048576,r=8,p=1', /MiB/],
    ['N=16384,r=8,p=256', /N \* r \* p/],
    ['N=1125899906842623,r=8,p=1', /power of two/],
  ])('%s', (params, problem) => {
    expect(passwordHashProblem(HASH.replace('N=16384,r=8,p=1', params))).toMatch(problem);
  });

  it('takes the parameters classicd hash-password writes', () => {
    expect(passwordHashProblem(HASH)).toBeUndefined();
  });
});
