/**
 * Where the server's certificate comes from: generated once at first start by whichever worker
 * wins the race and shared by all, kept for later starts, or read from tls.cert/tls.key; and a
 * server with TLS off that does not offer it.
 */
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CERT_FILE, KEY_FILE, SELF_SIGNED_SUBDIR } from '../../../services/ftp/tls/self-signed.js';
import { FtpsClient } from '../../helpers/ftps.js';
import { startFtpsServer } from '../../helpers/ftps-server.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'classicd-ftps-cert-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function fingerprints(port: number, connections: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < connections; i++) {
    const ftp = await FtpsClient.connect(port);
    seen.add((await ftp.authTls()).getPeerCertificate().fingerprint256);
    ftp.close();
  }
  return seen;
}

describe('the certificate', () => {
  let firstFingerprint: string;

  it('is generated at first start, once for all workers, with a warning, the key private', async () => {
    const selfSignedDir = join(dir, 'tls');
    const ftps = await startFtpsServer({ passivePorts: '31290-31299', tls: { selfSignedDir }, workers: 2 });
    try {
      const warnings = ftps.server.lines.filter((line) => /self-signed certificate/.test(line.msg));
      expect(warnings).toHaveLength(2); // one per worker
      expect(warnings.filter((line) => line.generated === true).length).toBeGreaterThanOrEqual(1);
      expect(new Set(warnings.map((line) => line.sha256)).size).toBe(1);
      expect(readdirSync(selfSignedDir)).toEqual([SELF_SIGNED_SUBDIR]);
      expect(statSync(join(selfSignedDir, SELF_SIGNED_SUBDIR, KEY_FILE)).mode & 0o777).toBe(0o600);
      // Sessions go to either worker; all of them show the same certificate.
      const seen = await fingerprints(ftps.port, 6);
      expect(seen.size).toBe(1);
      firstFingerprint = [...seen][0] as string;
      expect(warnings[0]?.sha256).toBe(firstFingerprint);
    } finally {
      await ftps.stop();
    }
  });

  it('is reused on the next start', async () => {
    const selfSignedDir = join(dir, 'tls');
    const ftps = await startFtpsServer({ passivePorts: '31290-31299', tls: { selfSignedDir }, workers: 1 });
    try {
      const warning = ftps.server.lines.find((line) => /self-signed certificate/.test(line.msg));
      expect(warning?.generated).toBe(false);
      expect(await fingerprints(ftps.port, 1)).toEqual(new Set([firstFingerprint]));
    } finally {
      await ftps.stop();
    }
  });

  it('is read from tls.cert and tls.key when they are set, without the warning', async () => {
    const stored = join(dir, 'tls', SELF_SIGNED_SUBDIR);
    const ftps = await startFtpsServer({
      passivePorts: '31290-31299',
      tls: { cert: join(stored, CERT_FILE), key: join(stored, KEY_FILE), selfSignedDir: join(dir, 'unused') },
      workers: 1,
    });
    try {
      expect(ftps.server.lines.some((line) => /self-signed certificate/.test(line.msg))).toBe(false);
      expect(await fingerprints(ftps.port, 1)).toEqual(new Set([firstFingerprint]));
    } finally {
      await ftps.stop();
    }
  });
});

describe('a configured certificate out of date', () => {
  // It still loads, and every client refuses it: a renewal that did not run should not go unsaid.
  it('is warned about at start', async () => {
    const notAfterDate = new Date(Date.now() - 86_400_000);
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'rsa',
      keySize: 2048,
      algorithm: 'sha256',
      notBeforeDate: new Date(notAfterDate.getTime() - 30 * 86_400_000),
      notAfterDate,
    });
    const cert = join(dir, 'expired-cert.pem');
    const key = join(dir, 'expired-key.pem');
    writeFileSync(cert, pems.cert);
    writeFileSync(key, pems.private);
    const ftps = await startFtpsServer({ passivePorts: '31340-31349', tls: { cert, key }, workers: 1 });
    try {
      const warning = await ftps.server.waitForLine((line) => /certificate has expired/.test(line.msg));
      expect(warning.path).toBe(cert);
    } finally {
      await ftps.stop();
    }
  });
});

describe('with TLS off', () => {
  it('answers AUTH, PBSZ and PROT with 502 and leaves them out of FEAT', async () => {
    const ftps = await startFtpsServer({ passivePorts: '31290-31299', tls: { enabled: false }, workers: 1 });
    try {
      const ftp = await FtpsClient.connect(ftps.port);
      for (const command of ['AUTH TLS', 'AUTH SSL', 'PBSZ 0', 'PROT P', 'CCC']) {
        expect((await ftp.command(command)).code, command).toBe(502);
      }
      const feat = await ftp.expect('FEAT', 211);
      expect(feat.lines.join('\n')).not.toMatch(/AUTH|PBSZ|PROT/);
      ftp.close();
    } finally {
      await ftps.stop();
    }
  });
});
