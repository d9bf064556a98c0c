// One Discord client in its own process, so its RSS is its own: either the
// TicketFlow bot (its caches and workers, on a real database) or a
// discord.js client with default caches and the member intent, the way many
// bots are written. Reports RSS and heap once every guild has arrived.
import { openDatabase } from '@ticketflow/db/client';
import { useKeyring } from '@ticketflow/db/crypto';
import { migrateDatabase } from '@ticketflow/db/migrate';
import { testEncryptionKey } from '@ticketflow/db/test-key';
import { Client, GatewayIntentBits } from 'discord.js';
import pino from 'pino';
import { z } from 'zod';
import { startBot } from '../src/bot.ts';

const args = z
  .tuple([
    z.enum(['ticketflow', 'default', 'idle']),
    z.string(), // REST API URL
    z.string(), // bot token
    z.coerce.number().int(), // guilds to wait for
    z.string(), // database URL, or "pglite:<dir>"
  ])
  .parse(process.argv.slice(2));
const [mode, apiUrl, token, guildCount, databaseUrl] = args;

const settle = async () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 500));
  }
};

const waitFor = async (ready: () => boolean) => {
  const deadline = Date.now() + 300_000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('the guilds did not all arrive in 5 minutes');
    await new Promise((r) => setTimeout(r, 100));
  }
};

let stop = async () => {};
if (mode === 'ticketflow') {
  // The tests' key, from its own module (db/testing would load Vitest here).
  useKeyring([testEncryptionKey]);
  const database = await openDatabase(
    databaseUrl.startsWith('pglite:')
      ? { kind: 'pglite', dataDir: databaseUrl.slice('pglite:'.length) }
      : { kind: 'postgres', url: databaseUrl, max: 5 },
  );
  if (database.kind === 'pglite') await migrateDatabase(database);
  const bot = await startBot({ database, token, apiUrl, log: pino({ level: 'silent' }) });
  await waitFor(() => bot.client.guilds.cache.size >= guildCount);
  await bot.lastBackfill();
  stop = async () => {
    await bot.stop();
    await database.close();
  };
} else if (mode === 'default') {
  const client = new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMembers,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.MessageContent,
    ],
    rest: { api: apiUrl },
  });
  await client.login(token);
  await waitFor(() => client.guilds.cache.size >= guildCount);
  stop = async () => {
    await client.destroy();
  };
}
await settle();
const usage = process.memoryUsage();
process.send?.({ type: 'memory', rss: usage.rss, heapUsed: usage.heapUsed });
process.on('message', async () => {
  await stop();
  process.exit(0);
});
