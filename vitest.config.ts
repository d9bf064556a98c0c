import { defineConfig } from 'vitest/config';

// One root run over every package; each package keeps its own config.
export default defineConfig({
  test: {
    projects: ['shared', 'db', 'server', 'emulator', 'bot', 'dashboard', 'app', 'tests'],
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
