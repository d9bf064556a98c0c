// One Discord client in its own process, so its RSS is its own: either the
// TicketFlow bot as a deployment runs it (the product's bot part: its caches,
// workers and database pool), or a discord.js client with default caches and
// the member intent, the way many bots are written, or only the bot's modules
// loaded. Each mode loads only its own modules. Reports RSS and heap once
// every guild has arrived.
import { z } from 'zod';

const args = z
  .tuple([
    z.enum(['ticketflow', 'default', 'idle']),
    z.string(), // REST API URL
    z.string(), // bot token
    z.coerce.number().int(), // guilds to wait for
    z.string(), // the production bot's environment, as JSON (memory.ts's botEnv)
  ])
  .parse(process.argv.slice(2));
const [mode, apiUrl, token, guildCount, botEnv] = args;

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
  // The product's bot part from the TypeScript sources, configured as the
  // deployment's `pnpm start:bot` is (memory.ts's botEnv).
  const { loadConfig } = await import('@ticketflow/shared/config');
  const { startProduct } = await import('../src/product.ts');
  const { default: pino } = await import('pino');
  const config = loadConfig(z.record(z.string(), z.string()).parse(JSON.parse(botEnv)));
  const product = await startProduct(config, pino({ level: 'silent' }), { part: 'bot' });
  const bot = product.bot;
  if (!bot) throw new Error('the bot part did not start');
  await waitFor(() => bot.client.guilds.cache.size >= guildCount);
  await bot.lastBackfill();
  stop = () => product.stop();
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
