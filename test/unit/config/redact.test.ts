/** check-config and logs must never show a secret: keys that name one print as `[redacted]`. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVICES } from '../../../services/index.js';
import { loadConfig } from '../../../shared/config/load.js';
import { redactSecrets } from '../../../shared/config/redact.js';

describe('redactSecrets', () => {
  it('redacts every key that names a secret, at any depth and inside lists', () => {
    const input = {
      user: 'alice',
      password: 'hunter2',
      smtp: { auth: { pass: 'p', apiKey: 'k', clientSecret: 's' } },
      tokens: [{ token: 't', name: 'ci' }],
      tls: { privateKey: '-----BEGIN PRIVATE KEY-----', cert: '-----BEGIN CERTIFICATE-----' },
    };
    expect(redactSecrets(input)).toEqual({
      user: 'alice',
      password: '[redacted]',
      smtp: { auth: { pass: '[redacted]', apiKey: '[redacted]', clientSecret: '[redacted]' } },
      tokens: '[redacted]',
      tls: { privateKey: '[redacted]', cert: '-----BEGIN CERTIFICATE-----' },
    });
  });

  it('leaves empty secrets visible, so "not set" still shows', () => {
    expect(redactSecrets({ password: '', token: null, secret: undefined })).toEqual({
      password: '',
      token: null,
      secret: undefined,
    });
  });

  it('does not change its input, and passes scalars through', () => {
    const input = { password: 'x', nested: { secret: 'y' } };
    redactSecrets(input);
    expect(input).toEqual({ password: 'x', nested: { secret: 'y' } });
    expect(redactSecrets('password')).toBe('password');
    expect(redactSecrets(42)).toBe(42);
    expect(redactSecrets([{ password: 'x' }])).toEqual([{ password: '[redacted]' }]);
  });

  it('works on a frozen, loaded config', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'classicd-redact-'));
    try {
      const { config } = loadConfig(SERVICES, { env: {}, cwd });
      expect(redactSecrets(config)).toEqual(JSON.parse(JSON.stringify(config)));
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe('redactSecrets and innocent names', () => {
  it('leaves keys that only contain a secret word alone (passive, keyFile)', () => {
    expect(redactSecrets({ passive: { ports: '30000-30099' }, tls: { key: './key.pem' } })).toEqual({
      passive: { ports: '30000-30099' },
      tls: { key: './key.pem' },
    });
  });
});
