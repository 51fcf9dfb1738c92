/**
 * Which secure context a session's control connection was wrapped with, so that its data
 * connections are served from the same one (and can resume only its TLS sessions: ftp-tls.ts).
 * Kept beside the session rather than on it, so the session class stays free of TLS details.
 */
import type { SecureContext } from 'node:tls';
import type { FtpSession } from '../session.js';

const contexts = new WeakMap<FtpSession, SecureContext>();

export function bindControlContext(session: FtpSession, context: SecureContext): void {
  contexts.set(session, context);
}

export function controlContextOf(session: FtpSession): SecureContext | undefined {
  return contexts.get(session);
}
