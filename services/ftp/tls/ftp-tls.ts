/**
 * TLS for FTP (RFC 4217): the certificate, and the secure contexts the control and data
 * connections are wrapped with. Loaded once per worker at start.
 *
 * With `requireSessionReuse` each control connection gets a secure context of its own, and so
 * session-ticket keys of its own (session-tickets.ts). Its data connections are served from that
 * same context, so a data connection can only resume a TLS session that was issued on this control
 * connection (or on one of its earlier downloads); a ticket from any other connection cannot be
 * decrypted and falls back to a full handshake, which data-tls.ts refuses. See README.md in this
 * folder for what that guarantees.
 */
import { constants as cryptoConstants, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { FtpConfig } from '../config.js';
import { loadOrCreateSelfSigned } from './self-signed.js';
import { SessionTickets } from './session-tickets.js';

export { secureDataSocket } from './data-tls.js';

/**
 * How long a TLS session issued on a control connection stays resumable. The context dies with
 * the control connection anyway, so this only has to outlast the longest session: a control
 * connection kept open for hours must still be able to open data connections (vsftpd sets its
 * session cache timeout to the maximum for the same reason). TLS 1.3 caps ticket lifetimes at
 * seven days (RFC 8446 section 4.6.1).
 */
const PER_CONNECTION_SESSION_TIMEOUT_S = 7 * 24 * 3600;

export interface FtpTls {
  readonly config: FtpConfig['tls'];
  /** True when the certificate is the generated self-signed one. */
  readonly selfSigned: boolean;
  /**
   * The context for a new control connection (AUTH TLS or implicit FTPS): a fresh one when data
   * connections must resume its session, else the worker's shared one.
   */
  newControlContext(): SecureContext;
  /**
   * SIGHUP: reads the key and certificate again (a renewed certificate), for control connections
   * from now on; a session keeps the context it began with. `read`: the key and certificate as the
   * primary read them (reopen.ts), else they are read here. Rejects, changing nothing, if they
   * cannot be read or do not make a pair.
   */
  reload(read?: LoadedCredentials): Promise<void>;
}

/** One reading of the key and certificate, and the contexts made from it. */
interface LoadedTls {
  readonly selfSigned: boolean;
  newControlContext(): SecureContext;
}

interface Credentials {
  readonly key: string;
  readonly cert: string;
}

/** A key and certificate as read, plain data (it crosses IPC). */
export interface LoadedCredentials {
  readonly credentials: Credentials;
  readonly selfSigned: boolean;
}

export async function loadFtpTls(config: FtpConfig['tls'], log: Logger): Promise<FtpTls> {
  let loaded = contextsFrom(config, await loadCredentials(config, log));
  return {
    config,
    get selfSigned() {
      return loaded.selfSigned;
    },
    newControlContext: () => loaded.newControlContext(),
    async reload(read) {
      loaded = contextsFrom(config, read ?? (await loadCredentials(config, log)));
    },
  };
}

function contextsFrom(config: FtpConfig['tls'], { credentials, selfSigned }: LoadedCredentials): LoadedTls {
  const contextOptions = {
    ...credentials,
    // TLS 1.0 and 1.1 are deprecated (RFC 8996); every FTPS client still in use speaks 1.2.
    minVersion: 'TLSv1.2',
    honorCipherOrder: true,
    // A TLS 1.2 client may ask for a new handshake at any time; each costs the server a full
    // handshake's CPU, so a loop of them is a cheap denial of service. Node's limit on them reports
    // through tls.Server, which these sockets have none of, so OpenSSL refuses them itself (a
    // no_renegotiation alert, as vsftpd's OpenSSL sends). TLS 1.3 has no renegotiation.
    secureOptions: cryptoConstants.SSL_OP_NO_RENEGOTIATION,
    // OpenSSL caches server-side sessions (for TLS 1.2 resumption by session id) only with a
    // session id context set.
    sessionIdContext: 'classicd-ftp',
  } as const;
  let shared: SecureContext;
  try {
    shared = createSecureContext(contextOptions);
  } catch (error) {
    throw new Error(`ftp tls: the key and certificate do not make a usable pair: ${(error as Error).message}`);
  }
  return {
    selfSigned,
    newControlContext: config.requireSessionReuse
      ? () => {
          const context = createSecureContext({ ...contextOptions, sessionTimeout: PER_CONNECTION_SESSION_TIMEOUT_S });
          SessionTickets.install(context);
          return context;
        }
      : () => shared,
  };
}

/** Reads the configured key and certificate, or the self-signed pair (made at first start). */
export async function loadCredentials(config: FtpConfig['tls'], log: Logger): Promise<LoadedCredentials> {
  if (config.cert || config.key) {
    if (!config.cert || !config.key) {
      throw new Error('ftp tls: set both tls.cert and tls.key, or neither for a self-signed certificate');
    }
    // Both read at once, a failure reported in the config's order: with both files missing,
    // Promise.all would name whichever read the thread pool happened to finish first.
    const [cert, key] = await Promise.allSettled([readPem(config.cert, 'tls.cert'), readPem(config.key, 'tls.key')]);
    if (cert.status === 'rejected') throw cert.reason;
    if (key.status === 'rejected') throw key.reason;
    warnIfOutOfDate(cert.value, config.cert, log);
    return { credentials: { key: key.value, cert: cert.value }, selfSigned: false };
  }
  const pair = await loadOrCreateSelfSigned(config.selfSignedDir);
  log.warn(
    { dir: pair.dir, generated: pair.generated, sha256: pair.fingerprint256 },
    'ftp tls: using a self-signed certificate; clients will warn until tls.cert and tls.key name a real one',
  );
  if (pair.validTo.getTime() < Date.now()) {
    log.warn(
      { dir: pair.dir, validTo: pair.validTo },
      'ftp tls: the self-signed certificate has expired; remove its directory to make a new one',
    );
  }
  return { credentials: { key: pair.key, cert: pair.cert }, selfSigned: true };
}

/**
 * A configured certificate that has expired (a renewal that did not run) or is not valid yet
 * still loads, and every client then refuses it: said at start and at each SIGHUP's reload.
 */
function warnIfOutOfDate(pem: string, path: string, log: Logger): void {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem); // the first of the chain: the server's own
  } catch {
    return; // not parsable: the secure context reports it
  }
  const now = Date.now();
  if (Date.parse(certificate.validTo) < now) {
    log.warn({ path, validTo: certificate.validTo }, 'ftp tls: the certificate has expired; clients will refuse it');
  } else if (Date.parse(certificate.validFrom) > now) {
    log.warn(
      { path, validFrom: certificate.validFrom },
      'ftp tls: the certificate is not valid yet; clients will refuse it',
    );
  }
}

async function readPem(path: string, key: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`ftp ${key}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
