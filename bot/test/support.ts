import type { DatabaseHandle } from '@ticketflow/db/client';
import { upsertGuild } from '@ticketflow/db/repositories/guilds';
import { createTicket } from '@ticketflow/db/repositories/tickets';
import { guilds } from '@ticketflow/db/schema';
import { Emulator } from '@ticketflow/emulator/emulator';
import { type DemoWorld, seedDemo } from '@ticketflow/emulator/seed';
import { eventually } from '@ticketflow/shared/testing';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { type Bot, type BotOptions, startBot } from '../src/bot.ts';

export { eventually } from '@ticketflow/shared/testing';

export const quietLog = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** For a test file: the demo world on an emulator, closed at the end. */
export function useEmulator() {
  const box = {} as { emulator: Emulator; world: DemoWorld };
  beforeAll(async () => {
    box.emulator = await Emulator.start();
    box.world = seedDemo(box.emulator);
  });
  afterAll(async () => {
    await box.emulator?.close();
  });
  return box;
}

/**
 * A ticket the way the bot opens one: a private channel in the emulator for
 * the opener, staff and the bot, and its row in the database.
 */
export async function openTicketChannel(
  emulator: Emulator,
  world: DemoWorld,
  database: DatabaseHandle,
  name: string,
  openerId = world.users.member,
) {
  const guild = emulator.state.guild(world.guildId);
  await upsertGuild(database.db, { id: guild.id, name: guild.name, ownerId: guild.ownerId });
  const channel = emulator.control.createChannel(world.guildId, {
    name,
    parentId: world.channels.ticketsCategory,
    overwrites: [
      { id: world.guildId, type: 0, allow: 0n, deny: 1024n },
      { id: openerId, type: 1, allow: 1024n | 2048n | 65536n, deny: 0n },
      { id: world.roles.support, type: 0, allow: 1024n | 2048n | 65536n, deny: 0n },
      { id: world.application.botUserId, type: 1, allow: 1024n | 2048n | 65536n, deny: 0n },
    ],
  });
  const { ticket } = await createTicket(database.db, {
    guildId: world.guildId,
    openerId,
    channelId: channel.id,
  });
  return { channel, ticket };
}

/** The real bot against a test file's emulator and database; `options` go on top of these. */
export function startTestBot(
  box: { emulator: Emulator; world: DemoWorld },
  database: DatabaseHandle,
  options: Partial<BotOptions> = {},
): Promise<Bot> {
  return startBot({
    database,
    token: box.world.application.botToken,
    apiUrl: box.emulator.apiUrl,
    log: quietLog,
    ...options,
  });
}

/**
 * Resolves once the bot has stored the guild (from its GUILD_CREATE, which it
 * handles beside start-up, not before startBot resolves).
 */
export async function guildStored(database: DatabaseHandle, guildId: string): Promise<void> {
  await eventually(
    async () =>
      (await database.db.select().from(guilds).where(eq(guilds.id, guildId))).length === 1,
  );
}

/** For a test file: that bot running from before its first test until after its last. */
export function useBot(
  box: { emulator: Emulator; world: DemoWorld },
  db: { handle: DatabaseHandle },
  options: Partial<BotOptions> = {},
): void {
  let bot: Bot | undefined;
  beforeAll(async () => {
    bot = await startTestBot(box, db.handle, options);
  });
  afterAll(async () => {
    await bot?.stop();
  });
}
