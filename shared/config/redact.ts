/** Secrets never leave the process: check-config and logs show these keys as `[redacted]`. */
import { isTree } from './merge.js';

const SECRET_KEY = /pass(word)?|secret|token|apikey|private/i;

export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (!isTree(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [
      key,
      SECRET_KEY.test(key) && child !== undefined && child !== null && child !== ''
        ? '[redacted]'
        : redactSecrets(child),
    ]),
  );
}
