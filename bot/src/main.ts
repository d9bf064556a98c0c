import { openDatabase } from '@ticketflow/db/client';
import { installKeys } from '@ticketflow/db/keys';
import { migrateDatabase } from '@ticketflow/db/migrate';
import { loadConfigOrExit } from '@ticketflow/shared/config';
import pino from 'pino';
import { startBot } from './bot.ts';

// `pnpm start:bot`: the bot alone, for deployments that split bot and server.
const config = loadConfigOrExit();
if (config.discord.mode !== 'discord') {
  process.stderr.write(
    'Configuration error: DISCORD_TOKEN, DISCORD_CLIENT_ID and DISCORD_CLIENT_SECRET are required to run the bot on its own (or use `pnpm start` for the offline demo)\n',
  );
  process.exit(1);
}
if (config.database.kind !== 'postgres') {
  process.stderr.write(
    'Configuration error: DATABASE_URL is required to run the bot on its own (the embedded database cannot be shared between processes)\n',
  );
  process.exit(1);
}
try {
  installKeys(config);
} catch (error) {
  process.stderr.write(
    `Cannot set up encryption: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
const log = pino({ level: config.logLevel, redact: ['*.token', 'token'] });
const database = await openDatabase({
  kind: 'postgres',
  url: config.database.url,
  applicationName: 'ticketflow-bot',
}).catch((error: unknown) => {
  process.stderr.write(
    `Cannot open the database: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
try {
  await migrateDatabase(database);
} catch (error) {
  process.stderr.write(
    `Cannot migrate the database: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
const bot = await startBot({
  database,
  token: config.discord.token,
  apiUrl: config.discord.apiUrl,
  publicUrl: config.publicUrl,
  log,
  ...(config.shards ? { shards: config.shards } : {}),
}).catch((error: unknown) => {
  process.stderr.write(
    `Cannot log in to Discord: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
process.stdout.write(`TicketFlow bot is online as ${bot.client.user.tag}\n`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await bot.stop().catch(() => {});
  await database.close().catch(() => {});
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
