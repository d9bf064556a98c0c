import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'db',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // PGlite starts in seconds, and concurrency tests take a while on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
