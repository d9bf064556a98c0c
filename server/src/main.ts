import { type DatabaseHandle, openDatabase } from '@ticketflow/db/client';
import { installKeys } from '@ticketflow/db/keys';
import { migrateDatabase } from '@ticketflow/db/migrate';
import { loadConfigOrExit } from '@ticketflow/shared/config';
import { buildApp } from './app.ts';
import { createLogger } from './logger.ts';
import { initSentry } from './sentry.ts';

// `pnpm start`: one process, embedded database by default.
const config = loadConfigOrExit();
const logger = createLogger(config.logLevel);

function describeDatabase(): string {
  if (config.database.kind === 'pglite') return `embedded PGlite in ${config.database.dataDir}`;
  const url = new URL(config.database.url);
  return `Postgres at ${url.hostname}:${url.port || 5432}${url.pathname}`;
}

let keySource: string;
try {
  keySource = installKeys(config);
} catch (error) {
  process.stderr.write(
    `Cannot set up encryption: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}

let database: DatabaseHandle;
try {
  database = await openDatabase(
    config.database.kind === 'postgres'
      ? { kind: 'postgres', url: config.database.url }
      : { kind: 'pglite', dataDir: config.database.dataDir },
  );
  await migrateDatabase(database);
} catch (error) {
  process.stderr.write(
    `Cannot open the database (${describeDatabase()}): ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}

const discord = config.discord;
const app = await buildApp({
  database,
  logger,
  publicUrl: config.publicUrl,
  dataDir: config.dataDir,
  openApi: config.env !== 'production',
  realtime: { websocketOnly: config.websocketOnly, log: logger },
  ...(discord.mode === 'discord'
    ? {
        discord: {
          apiUrl: discord.apiUrl,
          oauthUrl: discord.oauthUrl,
          clientId: discord.clientId,
          clientSecret: discord.clientSecret,
          botToken: discord.token,
        },
      }
    : {}),
  ...(config.sentryDsn ? { reportError: initSentry(config.sentryDsn, config.env) } : {}),
});
if (discord.mode !== 'discord') {
  logger.warn(
    'Discord is not configured (DISCORD_TOKEN, DISCORD_CLIENT_ID, DISCORD_CLIENT_SECRET): login and the API are off',
  );
}
try {
  await app.listen({ port: config.port, host: config.host });
} catch (error) {
  process.stderr.write(
    `Cannot listen on ${config.host}:${config.port}: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  await database.close();
  process.exit(1);
}

const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : config.port;
// PORT=0 picks a free port, which the configured URL cannot know.
const url = config.port === 0 ? `http://localhost:${port}` : config.publicUrl;
process.stdout.write(
  `TicketFlow is running: ${url}\nDatabase: ${describeDatabase()}\nEncryption at rest: ${keySource}\n`,
);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  try {
    await app.close();
    await database.close();
    process.exit(0);
  } catch (error) {
    logger.error({ err: error }, 'error during shutdown');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
