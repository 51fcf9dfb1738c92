import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { BUILTIN_QUOTES } from '../../../services/qotd/builtin-quotes.js';
import { CLI, startClassicd, testConfig, type ConfigOverrides, type RunningClassicd } from '../../helpers/classicd.js';
import { tcpExchange, udpExchange } from '../../helpers/net.js';

const CUSTOM_QUOTES = ['The first custom quote.', 'The second,\non two lines.', 'The third.'];
const onWire = (quote: string): string => `${quote.replaceAll('\n', '\r\n')}\r\n`;

describe('qotd (RFC 865)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'classicd-qotd-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  describe('with the built-in quotes', () => {
    let server: RunningClassicd;
    beforeAll(async () => {
      server = await startClassicd(testConfig({ qotd: { quotesFile: '' } }));
    });
    afterAll(async () => {
      await server.stop();
    });

    it('sends one of them over TCP and closes', async () => {
      const reply = (await tcpExchange(server.port('qotd'))).toString('utf8');
      expect(BUILTIN_QUOTES.map(onWire)).toContain(reply);
    });

    it('answers a datagram with one of them over UDP', async () => {
      const reply = await udpExchange(server.port('qotd', 'udp'), 'ignored');
      expect(BUILTIN_QUOTES.map(onWire)).toContain(reply?.toString('utf8'));
    });
  });

  describe('with a quotes file', () => {
    let server: RunningClassicd;
    beforeAll(async () => {
      const file = join(dir, 'quotes');
      writeFileSync(file, `%\n${CUSTOM_QUOTES.join('\n%\n')}\n%\n`);
      server = await startClassicd(testConfig({ qotd: { quotesFile: file } }));
    });
    afterAll(async () => {
      await server.stop();
    });

    it("sends only the file's quotes over TCP, picking at random", async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 30; i += 1)
        seen.add((await tcpExchange(server.port('qotd'), 'ignored\r\n')).toString('utf8'));
      for (const reply of seen) expect(CUSTOM_QUOTES.map(onWire)).toContain(reply);
      // Thirty picks of one quote out of three: a 3 * (1/3)^30 chance.
      expect(seen.size).toBeGreaterThan(1);
    });

    it("answers with the file's quotes over UDP", async () => {
      const reply = await udpExchange(server.port('qotd', 'udp'), '');
      expect(CUSTOM_QUOTES.map(onWire)).toContain(reply?.toString('utf8'));
    });
  });

  // startClassicd's rejection carries classicd's stderr, and the reason is in the JSON log on stdout,
  // so the reason is read from a run of our own; see the report on test/helpers/classicd.ts.
  it('refuses to start when a quote is 512 characters or longer, naming the quote', async () => {
    const file = join(dir, 'too-long');
    writeFileSync(file, `A short one.\n%\n${'x'.repeat(600)}\n%\nAnother.\n`);
    const config = testConfig({ qotd: { quotesFile: file } });
    await expect(startClassicd(config)).rejects.toThrow(/classicd exited with 1 before it was ready/);
    const { code, reason } = await failedStart(config);
    expect(code).toBe(1);
    expect(reason).toBe(
      `a worker could not start: qotd quotesFile ${file}: quote 2 (line 3) is 602 characters with its CRLF ` +
        'line ends; RFC 865 asks for fewer than 512',
    );
  });

  it('refuses to start when the quotes file cannot be read', async () => {
    const file = join(dir, 'missing');
    const { code, reason } = await failedStart(testConfig({ qotd: { quotesFile: file } }));
    expect(code).toBe(1);
    expect(reason).toMatch(`qotd quotesFile ${file} cannot be read: ENOENT`);
  });

  /** Runs classicd with a config that must fail, and returns its exit code and logged reason. */
  async function failedStart(config: ConfigOverrides): Promise<{ code: number | null; reason: string | undefined }> {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, toYaml(config));
    const child = spawn(process.execPath, [CLI, 'start', '--config', file], {
      env: { ...process.env, CLASSICD_CONFIG: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 20_000,
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    const fatal = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; err?: { message: string } })
      .find((line) => line.msg === 'could not start');
    return { code, reason: fatal?.err?.message };
  }
});
