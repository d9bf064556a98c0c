import type { DatabaseHandle } from '@ticketflow/db/client';
import { useTestDatabase } from '@ticketflow/db/testing';
import { Emulator } from '@ticketflow/emulator/emulator';
import { afterAll, beforeAll } from 'vitest';
import { type App, type AppOptions, buildApp } from '../src/app.ts';
import { discordOptions, seedWorld, type World } from './world.ts';

export * from './world.ts';

export interface ServerBox {
  emulator: Emulator;
  world: World;
  database: DatabaseHandle;
  /** The test database's URL (Postgres only). */
  databaseUrl?: string;
  app: App;
  /** http://127.0.0.1:PORT when listening. */
  url: string;
  build(options?: Partial<AppOptions>): Promise<App>;
  /** Another instance on the same database and emulator, listening on a port of its own (public URL: the first's). */
  listening(options?: Partial<AppOptions>): Promise<{ app: App; url: string }>;
}

/**
 * For a test file: a database, the emulator with the demo world, and the
 * server built on both (listening, so sockets and OAuth redirects work).
 */
export function useServer(options: Partial<AppOptions> = {}) {
  const db = useTestDatabase();
  const box = {} as ServerBox;
  const built: App[] = [];
  beforeAll(async () => {
    box.emulator = await Emulator.start();
    box.database = db.handle;
    if (db.url) box.databaseUrl = db.url;
    box.world = await seedWorld(box.emulator, db.handle);
    box.build = async (extra = {}) => {
      const app = await buildApp({
        database: db.handle,
        discord: discordOptions(box.emulator, box.world),
        rateLimits: { perMinute: 100_000, authPerMinute: 100_000 },
        ...options,
        ...extra,
      });
      built.push(app);
      return app;
    };
    box.listening = async (extra = {}) => {
      const app = await box.build({ publicUrl: box.url, ...extra });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      return {
        app,
        url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
      };
    };
    // The public URL must be known before listening: take a free port first.
    const probe = await buildApp({ database: db.handle, realtime: false });
    await probe.listen({ port: 0, host: '127.0.0.1' });
    const address = probe.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await probe.close();
    box.url = `http://127.0.0.1:${port}`;
    box.app = await box.build({ publicUrl: box.url });
    await box.app.listen({ port, host: '127.0.0.1' });
  });
  afterAll(async () => {
    for (const app of built) await app.close();
    await box.emulator?.close();
  });
  return box;
}
