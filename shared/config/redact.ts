/** Secrets never leave the process: check-config and logs show these keys as `[redacted]`. */
import { isTree } from './merge.js';

// Whole names, or a name's last word (`adminPassword`, `apiToken`); not every key that contains "pass" (`passive`).
const SECRET_KEY = /^(pass|passwd|apikey|privatekey)$|passwords?$|secrets?$|tokens?$/i;

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
