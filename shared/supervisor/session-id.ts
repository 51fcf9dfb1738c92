/**
 * Short session ids, unique across the processes of one run and across restarts: a random prefix
 * per process and a counter. Cheaper than random bytes per session, which showed in profiles of
 * short-lived sessions.
 */
import { randomBytes } from 'node:crypto';

const prefix = randomBytes(4).toString('base64url').slice(0, 5);
let counter = 0;

export function newSessionId(): string {
  counter += 1;
  return `${prefix}${counter.toString(36)}`;
}
