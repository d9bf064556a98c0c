import { loadConfigOrExit } from '@ticketflow/shared/config';
import { openDatabase } from '../client.ts';
import { migrateDatabase } from '../migrate.ts';

// `pnpm db:migrate`: applies migrations to DATABASE_URL, or to the embedded database in DATA_DIR.
const config = loadConfigOrExit();
const handle = await openDatabase(
  config.database.kind === 'postgres'
    ? { kind: 'postgres', url: config.database.url, max: 2 }
    : { kind: 'pglite', dataDir: config.database.dataDir },
);
try {
  await migrateDatabase(handle);
  process.stdout.write(`Migrations applied (${handle.kind}).\n`);
} finally {
  await handle.close();
}
