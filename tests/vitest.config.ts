import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'e2e',
    include: ['*.test.ts'],
    globalSetup: ['../db/test/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // What the browser shows after a live change: its speed is measured by `pnpm bench`, not here.
    expect: { poll: { timeout: 10_000 } },
  },
});
