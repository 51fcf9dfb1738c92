/**
 * Environment overrides: `CLASSICD_` + the key path joined by `__`, segments in any case, values
 * read as YAML scalars or flow collections; `.env` in the working directory applies too, but the
 * real environment beats it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SERVICES } from '../../../services/index.js';
import { applyEnvOverrides } from '../../../shared/config/env-overrides.js';
import { ConfigError, loadConfig } from '../../../shared/config/load.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'classicd-env-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const load = (env: Record<string, string>, file?: string) => loadConfig(SERVICES, { env, cwd: dir, file });

describe('applyEnvOverrides', () => {
  it('sets the key a variable names, matching segments case-insensitively, without touching the input', () => {
    const tree = { services: { daytime: { maxSessionsPerIp: 100, port: 10013 } } };
    const { tree: result, applied } = applyEnvOverrides(tree, {
      CLASSICD_SERVICES__DAYTIME__MAXSESSIONSPERIP: '4',
      CLASSICD_Services__Daytime__Port: '13',
      UNRELATED: 'x',
    });
    expect(result).toEqual({ services: { daytime: { maxSessionsPerIp: 4, port: 13 } } });
    expect(tree.services.daytime.port).toBe(10013);
    expect(applied.map((override) => override.path.join('.'))).toEqual([
      'services.daytime.maxSessionsPerIp',
      'services.daytime.port',
    ]);
  });

  it('parses numbers, booleans, lists and strings as YAML does', () => {
    const { tree } = applyEnvOverrides(
      {},
      {
        CLASSICD_A: '10',
        CLASSICD_B: 'false',
        CLASSICD_C: '[10.0.0.0/8, "::1"]',
        CLASSICD_D: '127.0.0.1',
        CLASSICD_E: '2.5',
        CLASSICD_F: '',
        CLASSICD_G: '{ x: 1 }',
      },
    );
    expect(tree).toEqual({ a: 10, b: false, c: ['10.0.0.0/8', '::1'], d: '127.0.0.1', e: 2.5, f: '', g: { x: 1 } });
  });

  it('keeps a value that is not valid YAML as the string it was', () => {
    const { tree } = applyEnvOverrides({}, { CLASSICD_X: '[unclosed' });
    expect(tree).toEqual({ x: '[unclosed' });
  });

  it('ignores CLASSICD_CONFIG, the bare prefix, and variables without the upper-case prefix', () => {
    const { tree, applied } = applyEnvOverrides(
      { log: { level: 'info' } },
      { CLASSICD_CONFIG: 'x.yaml', CLASSICD_: '1', classicd_log__level: 'debug' },
    );
    expect(tree).toEqual({ log: { level: 'info' } });
    expect(applied).toEqual([]);
  });
});

describe('loadConfig with environment variables', () => {
  it('overrides the defaults and the file, and lists the variables in sources', () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'http: { port: 9000 }\nlog: { level: warn }\n');
    const { config, sources } = load(
      {
        CLASSICD_HTTP__PORT: '9001',
        CLASSICD_LOG__LEVEL: 'debug',
        CLASSICD_HTTP__ENABLED: 'false',
        CLASSICD_SERVICES__DAYTIME__ALLOW: '[10.0.0.0/8, 192.0.2.0/24]',
        CLASSICD_SUPERVISOR__WORKERS: 'auto',
        CLASSICD_SUPERVISOR__RESTARTPERIODMS: '2500',
        CLASSICD_SERVICES__DAYTIME__UDP__MINSOURCEPORT: '0',
      },
      file,
    );
    expect(config.http).toMatchObject({ port: 9001, enabled: false });
    expect(config.log.level).toBe('debug');
    expect(config.services.daytime?.allow).toEqual(['10.0.0.0/8', '192.0.2.0/24']);
    expect(config.supervisor.workers).toBe('auto');
    expect(config.supervisor.restartPeriodMs).toBe(2500);
    expect((config.services.daytime as unknown as { udp: { minSourcePort: number } }).udp.minSourcePort).toBe(0);
    expect(sources.at(-1)).toMatch(/^env: .*CLASSICD_HTTP__PORT/);
  });

  it('validates what the environment sets, naming the key path', () => {
    let problems: readonly { path: string; message: string }[] = [];
    try {
      load({
        CLASSICD_SERVICES__DAYTIME__PORT: 'thirteen',
        CLASSICD_SERVICES__DAYTIME__COLOUR: 'red',
        CLASSICD_HTTP__HOST: 'localhost',
      });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      problems = (error as ConfigError).problems;
    }
    expect(problems.map((problem) => problem.path).sort()).toEqual([
      'http.host',
      'services.daytime.colour',
      'services.daytime.port',
    ]);
  });
});

describe('.env in the working directory', () => {
  it('applies its CLASSICD_* variables, and the real environment beats it', () => {
    writeFileSync(
      join(dir, '.env'),
      ['# a comment', 'CLASSICD_LOG__LEVEL=debug', 'CLASSICD_SERVICES__DAYTIME__PORT=1113', ''].join('\n'),
    );
    const { config, sources } = load({ CLASSICD_LOG__LEVEL: 'error' });
    expect(config.services.daytime?.port).toBe(1113);
    expect(config.log.level).toBe('error');
    expect(sources).toContain(join(dir, '.env'));
  });

  it('may name the config file with CLASSICD_CONFIG', () => {
    writeFileSync(join(dir, 'from-dotenv.yaml'), 'http: { port: 8111 }\n');
    writeFileSync(join(dir, '.env'), 'CLASSICD_CONFIG=from-dotenv.yaml\n');
    expect(load({}).config.http.port).toBe(8111);
  });

  it('only feeds the loader: other variables in it are ignored and process.env is left alone', () => {
    const name = `TEST_DOTENV_ONLY_${process.pid}`;
    writeFileSync(join(dir, '.env'), `${name}=1\nCLASSICD_HTTP__PORT=8111\n`);
    expect(load({}).config.http.port).toBe(8111);
    expect(process.env[name]).toBeUndefined();
  });
});
