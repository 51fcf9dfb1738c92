import { describe, expect, it } from 'vitest';
import { workerExecArgv } from '../../../shared/supervisor/worker-pool.js';

describe('workerExecArgv', () => {
  it("passes the primary's flags on, but not its semi-space size", () => {
    expect(workerExecArgv(4, ['--max-semi-space-size=1', '--enable-source-maps'])).toEqual([
      '--enable-source-maps',
      '--max-semi-space-size=4',
    ]);
    expect(workerExecArgv(2, ['--max_semi_space_size=8'])).toEqual(['--max-semi-space-size=2']);
  });

  it("leaves V8's default with 0", () => {
    expect(workerExecArgv(0, ['--max-semi-space-size=1', '--cpu-prof'])).toEqual(['--cpu-prof']);
  });
});
