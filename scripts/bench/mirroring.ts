import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { botEnv, spawnStartBot } from '@ticketflow/app/bench/start-bot';
import { startTestBot } from '@ticketflow/bot/test/support';
import type { DatabaseHandle } from '@ticketflow/db/client';
import { upsertGuild } from '@ticketflow/db/repositories/guilds';
import { createTicket } from '@ticketflow/db/repositories/tickets';
import { createTestDatabase } from '@ticketflow/db/testing';
import { Emulator } from '@ticketflow/emulator/emulator';
import { type DemoWorld, seedDemo } from '@ticketflow/emulator/seed';
import { eventually } from '@ticketflow/shared/testing';
import { rawLoop } from './storage.ts';

async function ticketChannels(
  emulator: Emulator,
  world: DemoWorld,
  db: DatabaseHandle,
  count: number,
) {
  const guild = emulator.state.guild(world.guildId);
  await upsertGuild(db.db, { id: guild.id, name: guild.name, ownerId: guild.ownerId });
  const out: { channelId: string; ticketId: string }[] = [];
  for (let i = 0; i < count; i++) {
    const channel = emulator.control.createChannel(world.guildId, {
      name: `bench-${i}`,
      overwrites: [
        { id: world.guildId, type: 0, allow: 0n, deny: 1024n },
        { id: world.users.member, type: 1, allow: 1024n | 2048n | 65536n, deny: 0n },
        { id: world.application.botUserId, type: 1, allow: 1024n | 2048n | 65536n, deny: 0n },
      ],
    });
    const { ticket } = await createTicket(db.db, {
      guildId: world.guildId,
      openerId: world.users.member,
      channelId: channel.id,
    });
    out.push({ channelId: channel.id, ticketId: ticket.id });
  }
  return out;
}

async function countMessages(db: DatabaseHandle): Promise<number> {
  const [row] = await db.query<{ n: number }>('select count(*)::int as n from messages');
  return row?.n ?? 0;
}

/** Sends `count` member messages round-robin over `channels` and waits until all are stored. */
async function sendAndWait(
  emulator: Emulator,
  world: DemoWorld,
  db: DatabaseHandle,
  channels: { channelId: string }[],
  count: number,
  assertRunning: () => void,
): Promise<void> {
  const goal = (await countMessages(db)) + count;
  for (let i = 0; i < count; i++) {
    const target = channels[i % channels.length];
    if (target) emulator.control.sendMessage(world.users.member, target.channelId, `bench ${i}`);
    if (i % 50 === 49) await new Promise((r) => setImmediate(r));
  }
  // All stored (within 5 minutes), unless the bot's process ended first.
  await eventually(
    async () => {
      assertRunning();
      return (await countMessages(db)) >= goal;
    },
    300_000,
    20,
  );
}

/** Where the bot runs during the mirroring benchmark. */
export type MirroringBot =
  /** `startBot` in this process, beside the emulator. */
  | { kind: 'in-process' }
  /** `pnpm start:bot`'s own command in its own process; `env` adds to the production environment. */
  | { kind: 'start:bot'; env: Record<string, string> };

/**
 * Messages per second from the emulator's dispatch to a committed row, beside
 * the raw loop in the same run. 300 messages go through first, so the figure is
 * the bot's steady pace rather than its first JIT compilations and connections.
 */
export async function mirroringBench(
  messages = 3000,
  how = '',
  where: MirroringBot = { kind: 'in-process' },
): Promise<string[]> {
  const t = await createTestDatabase();
  const emulator = await Emulator.start();
  const world = seedDemo(emulator);
  const dataDir = mkdtempSync(join(tmpdir(), 'tf-mirroring-'));
  try {
    const channels = await ticketChannels(emulator, world, t.handle, 20);
    let bot: { stop(): Promise<void> };
    let assertRunning = () => {};
    if (where.kind === 'in-process') {
      bot = await startTestBot({ emulator, world }, t.handle);
    } else {
      if (!t.url)
        return [
          `| mirroring${how} not measured: a bot on its own needs Postgres (TEST_DATABASE_URL) | – | – | – |`,
        ];
      const started = spawnStartBot({ ...botEnv(emulator, world, t.url, dataDir), ...where.env });
      bot = started;
      assertRunning = started.assertRunning;
      // Connected, so the warm-up goes through the gateway rather than the backfill at READY.
      await eventually(
        () => {
          started.assertRunning();
          return emulator.gateway.connectedSessions().some((s) => s.appId === world.application.id);
        },
        120_000,
        50,
      );
    }
    try {
      await sendAndWait(emulator, world, t.handle, channels, 300, assertRunning);
      const started = performance.now();
      await sendAndWait(emulator, world, t.handle, channels, messages, assertRunning);
      const mirrored = messages / ((performance.now() - started) / 1000);
      const raw4 = await rawLoop(t.handle, 4);
      const raw20 = await rawLoop(t.handle, 20);
      return [
        `| Discord → committed row (gateway packet, ticket lookup, upsert, event, notify; 20 channels)${how} | ${mirrored.toFixed(0)} msg/s | raw loop, 4 conns: ${raw4.toFixed(0)} rows/s; 20 conns: ${raw20.toFixed(0)} rows/s | ${(mirrored / raw4).toFixed(2)} of the 4-connection loop: ${mirrored / raw4 >= 0.7 ? 'met' : 'missed'} |`,
      ];
    } finally {
      await bot.stop();
    }
  } finally {
    await emulator.close();
    await t[Symbol.asyncDispose]();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** 10,000 messages across 100 tickets written while the bot was away, read back at start. */
export async function backfillBench(tickets = 100, perTicket = 100): Promise<string[]> {
  const t = await createTestDatabase();
  const emulator = await Emulator.start();
  const world = seedDemo(emulator);
  try {
    const channels = await ticketChannels(emulator, world, t.handle, tickets);
    for (const { channelId } of channels) {
      for (let i = 0; i < perTicket; i++)
        emulator.control.sendMessage(world.users.member, channelId, `old ${i}`);
    }
    const started = performance.now();
    const bot = await startTestBot({ emulator, world }, t.handle);
    try {
      const result = await bot.lastBackfill();
      const seconds = (performance.now() - started) / 1000;
      const stored = await countMessages(t.handle);
      if (stored !== tickets * perTicket)
        throw new Error(`backfill stored ${stored} of ${tickets * perTicket}`);
      return [
        `| backfill of ${result.messages.toLocaleString('en')} messages across ${tickets} tickets (login included), emulator rate limits off | ${seconds.toFixed(2)} s | target ≤ 5 s | ${seconds <= 5 ? 'met' : 'missed'} |`,
      ];
    } finally {
      await bot.stop();
    }
  } finally {
    await emulator.close();
    await t[Symbol.asyncDispose]();
  }
}
