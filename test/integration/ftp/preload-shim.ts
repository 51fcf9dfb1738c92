/**
 * C shims that a test preloads into classicd's processes (LD_PRELOAD) to stand in for a disk that
 * behaves in some way on demand: slow-pwrite.c, direct-writes.c.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A C compiler: CI installs one (the native addon needs it); a machine without one skips such tests. */
export function hasCompiler(): boolean {
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Compiles `name`.c (beside this file) into a shared object in `dir`; returns its path. */
export function compileShim(name: string, dir: string): string {
  const source = fileURLToPath(new URL(`./${name}.c`, import.meta.url));
  const shim = join(dir, `${name}.so`);
  execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', shim, source, '-ldl']);
  return shim;
}
