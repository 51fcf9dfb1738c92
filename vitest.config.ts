import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real processes; on a busy 2-core machine they need room, not speed.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Each file forks its own classicd; two at a time keeps a 2-core machine responsive.
    maxWorkers: 2,
  },
});
