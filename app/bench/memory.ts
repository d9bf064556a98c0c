// Bot memory with many guilds: the emulator (in this process) holds
// `guilds` × `channels` × `members`; each client runs in its own child
// process and reports its RSS once every GUILD_CREATE has arrived.
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DatabaseHandle } from '@ticketflow/db/client';
import { createTestDatabase } from '@ticketflow/db/testing';
import { Emulator } from '@ticketflow/emulator/emulator';
import { seedDemo } from '@ticketflow/emulator/seed';
import { BOT_PERMISSIONS } from '@ticketflow/shared/permissions';
import { eventually } from '@ticketflow/shared/testing';
import { botRuntime } from '../src/bundle.ts';
import { botEnv, spawnStartBot } from './start-bot.ts';

const MB = 2 ** 20;

/** How a client process is started: V8 flags, and environment for the C allocator. */
interface Setup {
  label: string;
  flags: string[];
  env: Record<string, string>;
}

const defaults: Setup = { label: "Node's defaults", flags: [], env: {} };
/** `pnpm start:bot`'s V8 flags and environment, as the benchmark tables name them. */
export const botRuntimeLabel = [
  ...botRuntime.flags,
  ...Object.entries(botRuntime.env).map(([k, v]) => `${k}=${v}`),
]
  .map((s) => `\`${s}\``)
  .join(' ');
const startBotSettings: Setup = {
  label: botRuntimeLabel,
  flags: botRuntime.flags,
  env: botRuntime.env,
};

const rssOf = (pid: number) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) * 1024;
};

/**
 * The bot exactly as `pnpm start:bot` starts it (it bundles itself and
 * becomes the bundle with its memory settings, same pid), in production mode
 * on the benchmark's database. Its RSS is read from /proc once every guild is
 * stored and 30 s have passed (V8 shrinks its heap once allocation calms
 * down, as in a bot that has been running a while): the median of ten
 * readings over 5 s. Nothing forces a garbage collection in it, unlike in the other
 * rows, so this reading is if anything high.
 */
async function measureStartBot(
  env: Record<string, string>,
  database: DatabaseHandle,
  guilds: number,
): Promise<{ rss: number }> {
  const bot = spawnStartBot(env);
  try {
    // Every guild stored (within 5 minutes), unless the process ended first.
    await eventually(
      async () => {
        bot.assertRunning();
        const rows = await database.query<{ n: number }>(
          'select count(*)::int as n from guilds where left_at is null',
        );
        return (rows[0]?.n ?? 0) >= guilds;
      },
      300_000,
      200,
    );
    await sleep(30_000);
    const readings: number[] = [];
    for (let i = 0; i < 10; i++) {
      readings.push(rssOf(bot.pid));
      await sleep(500);
    }
    readings.sort((a, b) => a - b);
    return { rss: readings[5] ?? 0 };
  } finally {
    await bot.stop();
  }
}

function measure(
  mode: string,
  args: string[],
  setup: Setup,
): Promise<{ rss: number; heapUsed: number }> {
  const child = fork(new URL('./memory-child.ts', import.meta.url), [mode, ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, '--expose-gc', ...setup.flags],
    env: { ...process.env, ...setup.env },
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${mode} client exited with ${code}`)));
    child.once('message', (m: { rss: number; heapUsed: number }) => {
      child.removeAllListeners('exit');
      child.once('exit', () => resolve(m));
      child.send({ type: 'stop' });
    });
  });
}

export async function memoryBench(
  options = { guilds: 1000, channels: 20, members: 50 },
): Promise<string[]> {
  const emulator = await Emulator.start();
  const world = seedDemo(emulator);
  const dataDir = mkdtempSync(join(tmpdir(), 'tf-memory-'));
  const database = await createTestDatabase();
  try {
    for (let g = 0; g < options.guilds; g++) {
      const owner = emulator.control.createUser({ username: `owner${g}` });
      const guild = emulator.control.createGuild({ name: `Guild ${g}`, ownerId: owner.id });
      emulator.control.addBot(guild.id, world.application.id, BOT_PERMISSIONS);
      for (let c = 0; c < options.channels; c++)
        emulator.control.createChannel(guild.id, { name: `channel-${c}` });
      // The owner, the bot and the rest up to `members` people.
      for (let m = 2; m < options.members; m++) {
        emulator.control.addMember(
          guild.id,
          emulator.control.createUser({ username: `m${g}-${m}` }).id,
        );
      }
    }
    const expected = options.guilds + 1; // and the demo guild
    const env = botEnv(emulator, world, database.url, dataDir);
    const common = [
      emulator.apiUrl,
      world.application.botToken,
      String(expected),
      JSON.stringify(env),
    ];
    const size = `${options.guilds.toLocaleString('en')} guilds × ${options.channels} channels × ${options.members} members`;
    const rows: string[] = [];
    const mb = (m: { rss: number }) => `${(m.rss / MB).toFixed(0)} MB`;
    const heap = (m: { heapUsed: number }) => `${(m.heapUsed / MB).toFixed(0)} MB`;
    // A bot part on its own needs Postgres (it refuses the embedded database, which one process owns).
    if (!database.url) {
      rows.push(
        '| TicketFlow bot (`pnpm start:bot`, and from the sources) not measured: a bot on its own needs Postgres (TEST_DATABASE_URL) | – | – | – |',
      );
    } else {
      const started = await measureStartBot(env, database.handle, expected);
      const sources = await measure('ticketflow', common, defaults);
      rows.push(
        `| TicketFlow bot as \`pnpm start:bot\` runs it (bundled; ${startBotSettings.label}), ${size} | ${mb(started)} | – | ${started.rss <= 150 * MB ? '≤ 150 MB: **met**' : '≤ 150 MB: **missed**'} |`,
        `| the same bot part from its TypeScript sources with Node's defaults (\`TF_BOT_BUNDLE=off\`, or \`pnpm start\`) | ${mb(sources)} | ${heap(sources)} | – |`,
      );
    }
    const idle = await measure('idle', common, defaults);
    const plain = await measure('default', common, defaults);
    const plainSmall = await measure('default', common, startBotSettings);
    rows.push(
      `| its modules from the sources loaded, not connected (Node's defaults) | ${mb(idle)} | ${heap(idle)} | – |`,
      `| discord.js, default caches + member intent, same guilds (Node's defaults) | ${mb(plain)} | ${heap(plain)} | – |`,
      `| discord.js, default caches + member intent, same guilds (${startBotSettings.label}) | ${mb(plainSmall)} | ${heap(plainSmall)} | – |`,
    );
    return rows;
  } finally {
    await database[Symbol.asyncDispose]();
    rmSync(dataDir, { recursive: true, force: true });
    await emulator.close();
  }
}
