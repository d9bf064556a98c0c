// One Discord client in its own process, so its RSS is its own: either the
// TicketFlow bot as a deployment runs it (the product's bot part: its caches,
// workers and database pool), or a discord.js client with default caches and
// the member intent, the way many bots are written, or only the bot's modules
// loaded. Each mode loads only its own modules. Reports RSS and heap once
// every guild has arrived.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

const args = z
  .tuple([
    z.enum(['ticketflow', 'default', 'idle']),
    z.string(), // REST API URL
    z.string(), // bot token
    z.string(), // application (client) id
    z.string(), // client secret
    z.coerce.number().int(), // guilds to wait for
    z.string(), // database URL, or "pglite:<dir>"
  ])
  .parse(process.argv.slice(2));
const [mode, apiUrl, token, clientId, clientSecret, guildCount, databaseUrl] = args;

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
  // What a deployment's bot process runs (`pnpm start:bot`): the product with
  // only its bot part, configured from the environment as in production.
  const dataDir = mkdtempSync(join(tmpdir(), 'tf-memory-bot-'));
  const { loadConfig } = await import('@ticketflow/shared/config');
  const { testEncryptionKey } = await import('@ticketflow/db/test-key');
  const { startProduct } = await import('../src/product.ts');
  const { default: pino } = await import('pino');
  const config = loadConfig({
    NODE_ENV: 'production',
    DATA_DIR: dataDir,
    ...(databaseUrl.startsWith('pglite:') ? {} : { DATABASE_URL: databaseUrl }),
    DISCORD_TOKEN: token,
    DISCORD_CLIENT_ID: clientId,
    DISCORD_CLIENT_SECRET: clientSecret,
    DISCORD_API_URL: apiUrl,
    ENCRYPTION_KEY: testEncryptionKey.key.toString('base64'),
    SESSION_SECRET: 'memory-benchmark-session-secret-0123456789',
    PUBLIC_URL: 'https://tickets.example.com',
  });
  const product = await startProduct(config, pino({ level: 'silent' }), { part: 'bot' });
  const bot = product.bot;
  if (!bot) throw new Error('the bot part did not start');
  await waitFor(() => bot.client.guilds.cache.size >= guildCount);
  await bot.lastBackfill();
  stop = async () => {
    await product.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
} else if (mode === 'idle') {
  // The same modules, loaded and not started.
  await import('../src/product.ts');
  await import('@ticketflow/bot/bot');
} else if (mode === 'default') {
  const { Client, GatewayIntentBits } = await import('discord.js');
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
