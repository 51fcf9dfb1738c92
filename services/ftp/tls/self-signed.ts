/**
 * The self-signed certificate made at first start when no certificate is configured, kept in
 * `tls.selfSignedDir` and reused on later starts, so clients that pinned it (lftp asks once) keep
 * trusting it.
 *
 * Every worker process runs this at the same moment. The pair is therefore published atomically as
 * one directory: each worker that finds nothing generates a key and certificate into a private
 * temporary directory and then rename(2)s it to `ftp-self-signed/`. rename onto an existing,
 * non-empty directory fails, so exactly one worker wins; the others throw their pair away and read
 * the winner's. Nobody ever sees a key without its certificate, or a key from one worker with a
 * certificate from another, and there is no lock file that a crash could leave behind.
 */
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { generate } from 'selfsigned';

export const SELF_SIGNED_SUBDIR = 'ftp-self-signed';
export const KEY_FILE = 'key.pem';
export const CERT_FILE = 'cert.pem';

/** Long-lived on purpose: nobody renews a self-signed certificate, and FTP clients do not cap it. */
const VALIDITY_DAYS = 3650;

export interface SelfSignedPair {
  readonly key: string;
  readonly cert: string;
  /** The directory holding key.pem and cert.pem. */
  readonly dir: string;
  /** True when this process made the pair (first start); false when it was already there. */
  readonly generated: boolean;
  readonly fingerprint256: string;
  readonly validTo: Date;
}

export async function loadOrCreateSelfSigned(selfSignedDir: string): Promise<SelfSignedPair> {
  const base = resolve(selfSignedDir);
  const dir = join(base, SELF_SIGNED_SUBDIR);
  const existing = await readPair(dir);
  if (existing) return describe(existing, dir, false);

  await mkdir(base, { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(join(base, `.${SELF_SIGNED_SUBDIR}.tmp-`));
  try {
    const made = await generatePair();
    // The key is readable by its owner only; the certificate is public.
    await writeFile(join(staging, KEY_FILE), made.key, { mode: 0o600, flag: 'wx' });
    await writeFile(join(staging, CERT_FILE), made.cert, { mode: 0o644, flag: 'wx' });
    try {
      await rename(staging, dir);
      return describe(made, dir, true);
    } catch (error) {
      if (!isLostRace(error)) throw error;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  // Another worker published its pair first: use that one, so every worker shows the same certificate.
  const winner = await readPair(dir);
  if (!winner) throw new Error(`${dir} exists but holds no ${KEY_FILE} and ${CERT_FILE}`);
  return describe(winner, dir, false);
}

async function readPair(dir: string): Promise<{ key: string; cert: string } | undefined> {
  let key: string;
  try {
    key = await readFile(join(dir, KEY_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  // A key without its certificate is damage, not a first start: say so rather than overwrite it.
  const cert = await readFile(join(dir, CERT_FILE), 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new Error(`${join(dir, CERT_FILE)} is unreadable (${error.code}); remove ${dir} to make a new pair`);
  });
  return { key, cert };
}

async function generatePair(): Promise<{ key: string; cert: string }> {
  const name = hostname() || 'localhost';
  const notBeforeDate = new Date(Date.now() - 60_000); // a little slack for clocks that lag
  const notAfterDate = new Date(notBeforeDate.getTime() + VALIDITY_DAYS * 86_400_000);
  // RSA 2048 with SHA-256: what every FTPS client since the 2000s can verify.
  const pems = await generate([{ name: 'commonName', value: name }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: name },
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

function describe(pair: { key: string; cert: string }, dir: string, generated: boolean): SelfSignedPair {
  const x509 = new X509Certificate(pair.cert);
  return { ...pair, dir, generated, fingerprint256: x509.fingerprint256, validTo: new Date(x509.validTo) };
}

/** rename(2) of a directory onto a non-empty one: ENOTEMPTY on Linux, EEXIST elsewhere. */
function isLostRace(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOTEMPTY' || code === 'EEXIST';
}
