import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'bot',
    include: ['test/**/*.test.ts'],
    globalSetup: ['../db/test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
