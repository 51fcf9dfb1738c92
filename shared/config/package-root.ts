/** Finds files shipped with classicd, whether it runs from `dist/` or from source under vitest. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('classicd: cannot find its package.json above ' + import.meta.url);
    dir = parent;
  }
  cached = dir;
  return dir;
}

export const defaultConfigPath = (): string => join(packageRoot(), 'config', 'default.yaml');
