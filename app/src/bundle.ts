// The bot part as one JavaScript file, for `pnpm start:bot`. A bot process
// that loads hundreds of TypeScript modules (type-stripped at load) holds
// their sources, module records and the loader's garbage for its whole life;
// one bundled file, started with a small young generation and a C allocator
// that hands freed memory back, keeps a bot on 1,000 servers under 150 MB
// (BENCHMARKS.md). The server and the demo's Discord are not in the bundle:
// they stay imports of their packages, loaded only by the parts that run them.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the bundle is written (inside the app package, so its imports of packages resolve). */
export const bundleFile = fileURLToPath(new URL('../dist/start.mjs', import.meta.url));

/** How the bundled bot process is started: V8 flags and environment. */
export const botRuntime = {
  // A 1 MB young generation (Node 24 keeps the one it grew while loading) and
  // V8 preferring size to speed: about a quarter less mirroring throughput,
  // still well above what a bot needs (BENCHMARKS.md).
  flags: ['--max-semi-space-size=1', '--optimize-for-size'],
  // glibc: one malloc arena (not one per thread) and freed memory returned to the system.
  env: { MALLOC_ARENA_MAX: '1', MALLOC_TRIM_THRESHOLD_: '131072' },
};

/** Writes the bundle of `app/src/start.ts` (about a second); returns its path. */
export async function bundleStart(): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({
    write: false,
    entryPoints: [fileURLToPath(new URL('./start.ts', import.meta.url))],
    outfile: bundleFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    logLevel: 'error',
    define: {
      TF_BUNDLE: 'true',
      // db/src/migrate.ts finds the migrations relative to its own file.
      TF_BUNDLED_MIGRATIONS: JSON.stringify('../../db/drizzle'),
    },
    // CommonJS dependencies inside an ES module bundle still call require().
    banner: {
      js: "import { createRequire as __tfCreateRequire } from 'node:module'; const require = __tfCreateRequire(import.meta.url);",
    },
    external: [
      // Other parts, loaded from their packages when they run.
      '@ticketflow/server/app',
      '@ticketflow/server/sentry',
      '@ticketflow/emulator/*',
      '@ticketflow/app/dashboard-build',
      '@ticketflow/app/bundle',
      // Loaded from their packages: files of their own (pino's transport
      // worker, PGlite's WebAssembly), or optional native add-ons.
      'pino',
      'pino-pretty',
      '@electric-sql/pglite',
      'esbuild',
      'zlib-sync',
      'bufferutil',
      'utf-8-validate',
      'pg-native',
    ],
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild wrote nothing');
  // Written aside and renamed: a second bot starting at the same time never runs a half-written file.
  mkdirSync(dirname(bundleFile), { recursive: true });
  const partial = `${bundleFile}.${process.pid}.tmp`;
  writeFileSync(partial, output.contents);
  renameSync(partial, bundleFile);
  return bundleFile;
}
