/**
 * The FTP service's config. Defaults live in config/default.yaml; relative paths are resolved
 * against the working directory classicd starts in.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { commonServiceShape, portSchema } from '../../shared/config/service-limits.js';
import { parseCidr } from '../../shared/net/cidr.js';
import { passwordHashProblem } from './auth/password-hash.js';

export const PERMISSIONS = ['read', 'write', 'delete', 'mkdir', 'rename'] as const;
export type Permission = (typeof PERMISSIONS)[number];

const portRangeSchema = z
  .string()
  .regex(/^\d{1,5}-\d{1,5}$/, 'must be a range such as 30000-30099')
  .refine((text) => {
    const [low, high] = text.split('-').map(Number) as [number, number];
    return low >= 1024 && high <= 65535 && low <= high;
  }, 'must lie within 1024-65535, low to high');

/**
 * An address to advertise in PASV replies: `auto` (the control connection's local address), an
 * IPv4 address, or a host name looked up for IPv4 at each PASV (a dynamic-DNS name). A 227 reply
 * carries IPv4 only and EPSV carries no address (RFC 2428), so an IPv6 address could never be
 * advertised; 0.0.0.0 would send every client to itself.
 */
const advertisedAddressSchema = z
  .string({ error: 'is required: auto, an IPv4 address, or a host name' })
  .refine((text) => text === 'auto' || isIP(text) === 4 || (isIP(text) === 0 && /^[a-zA-Z0-9.-]+$/.test(text)), {
    message: 'must be auto, an IPv4 address (PASV replies carry IPv4 only), or a host name',
  })
  .refine((text) => text !== '0.0.0.0', { message: 'must be an address clients can reach, not 0.0.0.0' });

/**
 * Three octal digits, as a string: YAML reads an unquoted 022 as the number 22 (or 18), so a
 * number gets a message that says to quote it.
 */
const umaskSchema = z
  .string({ error: 'must be three octal digits in quotes, e.g. umask: "022" (unquoted, YAML reads a number)' })
  .regex(/^[0-7]{3}$/, 'must be three octal digits, e.g. "022"');

const passiveRuleSchema = z.strictObject({
  /** Clients in this network... */
  network: z.string().refine((text) => parseCidr(text) !== undefined, 'must be a CIDR block'),
  /** ...are told this address (a private address for LAN clients behind the same NAT, say). */
  address: advertisedAddressSchema,
});

const globListSchema = z.array(z.string().min(1));

const anonymousSchema = z.strictObject({
  enabled: z.boolean(),
  /** Login names that mean "anonymous" (RFC 1635). */
  userNames: z.array(z.string().min(1)).min(1),
  root: z.string().min(1),
  upload: z.strictObject({
    enabled: z.boolean(),
    /** The drop box, relative to the anonymous root: write-only, as vsftpd's anon_upload. */
    dir: z.string().min(1),
    /** Octal umask for uploaded files, e.g. "077" so uploads are not world-readable. */
    umask: umaskSchema,
  }),
  /** Globs (against the virtual path) that are left out of listings. */
  hide: globListSchema,
  /** Globs that may not be read, written or listed. */
  deny: globListSchema,
  /** Bytes per second per session; 0 is unlimited. */
  maxRateBytesPerSecond: z.number().int().min(0),
});

const userSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .regex(/^[^\s:]+$/, 'no white space or colons'),
  /** An scrypt hash from `classicd hash-password`; never a plain password. */
  password: z.string().superRefine((text, context) => {
    const problem = passwordHashProblem(text);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  }),
  root: z.string().min(1),
  permissions: z.array(z.enum(PERMISSIONS)),
  /** Refuse this user's login until the control connection is protected by TLS. */
  tlsRequired: z.boolean().default(false),
  maxRateBytesPerSecond: z.number().int().min(0).default(0),
  umask: umaskSchema.default('022'),
});

const ftpConfigBase = z.strictObject({
  ...commonServiceShape,
  /** The 220 greeting's text. */
  banner: z.string().max(1000),
  /** Longest control line accepted (RFC 959 sets none; paths need room). */
  maxLineBytes: z.number().int().min(512).max(65536),
  passive: z.strictObject({
    enabled: z.boolean(),
    ports: portRangeSchema,
    address: advertisedAddressSchema,
    rules: z.array(passiveRuleSchema),
    /** How long a PASV/EPSV listener waits for the client's data connection. */
    acceptTimeoutMs: z.number().int().positive(),
  }),
  active: z.strictObject({
    enabled: z.boolean(),
    connectTimeoutMs: z.number().int().positive(),
  }),
  /** A data connection that moves no byte for this long is aborted. */
  dataTimeoutMs: z.number().int().positive(),
  /**
   * Binary transfers over plain TCP without a rate limit are moved by the native addon when it is
   * there (shared/native/socket-file.ts): sendfile(2) for downloads, read and pwrite for uploads
   * (past the page cache into new files, with early write-back otherwise). Off, every transfer
   * goes through Node streams.
   */
  nativeTransfers: z.boolean(),
  login: z.strictObject({
    /** Pause before answering a failed PASS, to slow guessing. */
    failureDelayMs: z.number().int().min(0),
    /** Failed logins allowed per connection before it is closed. */
    maxFailures: z.number().int().positive(),
  }),
  anonymous: anonymousSchema,
  /**
   * The text of this file in a directory is shown when a session enters it (CWD, and the root at
   * login), once a session: vsftpd's dirmessage_enable and message_file.
   */
  directoryMessage: z.strictObject({
    enabled: z.boolean(),
    file: z
      .string()
      .regex(/^[^/\0]+$/, 'one file name, no /')
      .refine((name) => name !== '.' && name !== '..', 'one file name, not . or ..'),
  }),
  users: z.array(userSchema),
  tls: z.strictObject({
    enabled: z.boolean(),
    /** PEM files; both empty means a self-signed certificate is made at first start. */
    cert: z.string(),
    key: z.string(),
    /** Where the self-signed certificate is kept between starts. */
    selfSignedDir: z.string().min(1),
    /** A port for implicit FTPS (TLS from the first byte, RFC 4217 section 1 notes); 0 is off. */
    implicitPort: portSchema,
    /** Data connections must resume the control connection's TLS session (vsftpd's require_ssl_reuse). */
    requireSessionReuse: z.boolean(),
    /**
     * Every local user as if `tlsRequired` (vsftpd's force_local_logins_ssl and force_local_data_ssl).
     * USER in clear text then gets one answer for every name but anonymous, 530 and the connection
     * closed, so it tells no one which accounts exist.
     */
    requireForLocalUsers: z.boolean(),
  }),
  /** A transfer log in vsftpd's xferlog format; empty is off. */
  xferlog: z.string(),
});

export const ftpConfigSchema = ftpConfigBase.superRefine((config, context) => {
  // Mistakes the schema of each key cannot see, refused at start with the key they concern.
  const seen = new Set<string>();
  const anonymousNames = new Set(config.anonymous.userNames.map((name) => name.toLowerCase()));
  config.users.forEach((user, index) => {
    const path = ['users', index, 'name'];
    if (seen.has(user.name)) context.addIssue({ code: 'custom', path, message: `a second user named ${user.name}` });
    seen.add(user.name);
    if (config.anonymous.enabled && anonymousNames.has(user.name.toLowerCase())) {
      context.addIssue({ code: 'custom', path, message: `${user.name} logs in as anonymous (anonymous.userNames)` });
    }
  });
  const [low, high] = config.passive.ports.split('-').map(Number) as [number, number];
  const ownPorts = [
    ['port', config.port],
    ['tls.implicitPort', config.tls.implicitPort],
  ] as const;
  for (const [key, port] of ownPorts) {
    if (port !== 0 && port >= low && port <= high) {
      context.addIssue({ code: 'custom', path: ['passive', 'ports'], message: `includes ${key} ${port}` });
    }
  }
  if (config.tls.implicitPort !== 0 && config.tls.implicitPort === config.port) {
    context.addIssue({ code: 'custom', path: ['tls', 'implicitPort'], message: 'is the same as port' });
  }
  checkTlsSettings(config, context);
});

/** TLS settings that cannot work together, which start would otherwise stop on, or ignore. */
function checkTlsSettings(config: z.infer<typeof ftpConfigBase>, context: z.RefinementCtx): void {
  const { tls } = config;
  if (tls.enabled && (tls.cert === '') !== (tls.key === '')) {
    context.addIssue({
      code: 'custom',
      path: ['tls', tls.cert === '' ? 'cert' : 'key'],
      message: 'set both tls.cert and tls.key, or neither for a self-signed certificate',
    });
  }
  if (tls.enabled) return;
  if (tls.implicitPort !== 0) {
    context.addIssue({
      code: 'custom',
      path: ['tls', 'implicitPort'],
      message: 'needs tls.enabled: true (or set it to 0); with TLS off nothing would listen there',
    });
  }
  if (tls.requireForLocalUsers) {
    context.addIssue({
      code: 'custom',
      path: ['tls', 'requireForLocalUsers'],
      message: 'needs tls.enabled: true; with TLS off no local user could ever log in',
    });
  }
  config.users.forEach((user, index) => {
    if (!user.tlsRequired) return;
    context.addIssue({
      code: 'custom',
      path: ['users', index, 'tlsRequired'],
      message: `needs tls.enabled: true; with TLS off ${user.name} could never log in`,
    });
  });
}

export type FtpConfig = z.infer<typeof ftpConfigSchema>;
export type FtpUserConfig = z.infer<typeof userSchema>;
