/**
 * The deepest of `path` and the directories above it that exists (following links): where a
 * file that is not there yet would be made, or the directories above it (mkdir -p).
 */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function nearestExisting(path: string): Promise<string> {
  let current = path;
  while (current !== dirname(current) && !(await exists(current))) current = dirname(current);
  return current;
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
