import type { DatabaseHandle } from '@ticketflow/db/client';
import { createCategory } from '@ticketflow/db/repositories/categories';
import { upsertGuild } from '@ticketflow/db/repositories/guilds';
import { upsertMessage } from '@ticketflow/db/repositories/messages';
import { createTicket } from '@ticketflow/db/repositories/tickets';
import type { Emulator } from '@ticketflow/emulator/emulator';
import { BOT_PERMISSIONS, type DemoWorld, seedDemo } from '@ticketflow/emulator/seed';
import { approveAs } from '@ticketflow/emulator/test/oauth-client';
import { mintSnowflake } from '@ticketflow/shared/snowflake';
import type { App } from '../src/app.ts';
import type { DiscordOptions } from '../src/discord.ts';

// The demo world for server tests and benchmarks (no test-runner imports here).

export type Identity = 'member' | 'otherStaff' | 'staff' | 'admin' | 'otherAdmin';

export interface World extends DemoWorld {
  /** A second guild with the bot, whose owner has nothing to do with the demo guild. */
  otherGuildId: string;
  otherAdminId: string;
  categories: { support: string; billing: string };
}

/** Who each identity is: a member, Billing staff, Support staff, an admin, another guild's admin. */
export function userOf(world: World, who: Identity): string {
  return {
    member: world.users.member,
    otherStaff: world.users.billing,
    staff: world.users.support,
    admin: world.users.admin,
    otherAdmin: world.otherAdminId,
  }[who];
}

/** The demo world in the emulator and in the database: guilds, categories for Support and Billing. */
export async function seedWorld(emulator: Emulator, database: DatabaseHandle): Promise<World> {
  const demo = seedDemo(emulator);
  const otherAdminId = emulator.control.createUser({ username: 'otto', globalName: 'Otto' }).id;
  const other = emulator.control.createGuild({ name: 'Elsewhere', ownerId: otherAdminId });
  emulator.control.addBot(other.id, demo.application.id, BOT_PERMISSIONS);
  for (const g of [
    { id: demo.guildId, name: 'TicketFlow Demo', ownerId: demo.users.owner },
    { id: other.id, name: 'Elsewhere', ownerId: otherAdminId },
  ]) {
    await upsertGuild(database.db, g);
  }
  const support = await createCategory(database.db, {
    guildId: demo.guildId,
    name: 'Support',
    staffRoleIds: [demo.roles.support],
    discordCategoryId: demo.channels.ticketsCategory,
  });
  const billing = await createCategory(database.db, {
    guildId: demo.guildId,
    name: 'Billing',
    staffRoleIds: [demo.roles.billing],
  });
  return {
    ...demo,
    otherGuildId: other.id,
    otherAdminId,
    categories: { support: support.id, billing: billing.id },
  };
}

/** A message from the demo member in a ticket, stored the way the bot stores it. */
export function memberWrites(
  box: { database: DatabaseHandle; world: DemoWorld },
  ticketId: string,
  content: string,
) {
  return upsertMessage(box.database.db, {
    id: mintSnowflake(),
    guildId: box.world.guildId,
    ticketId,
    authorId: box.world.users.member,
    content,
    createdAt: new Date(),
  });
}

export function discordOptions(
  emulator: Pick<Emulator, 'url' | 'apiUrl'>,
  world: DemoWorld,
): DiscordOptions {
  return {
    apiUrl: emulator.apiUrl,
    oauthUrl: emulator.url,
    clientId: world.application.id,
    clientSecret: world.application.clientSecret,
    botToken: world.application.botToken,
  };
}

/**
 * Logs in through the emulator's OAuth page the way a browser does: the
 * server's login redirect (with its state cookie), the authorise form, the
 * callback. Returns the session cookie ("name=value").
 */
export async function login(
  box: { emulator: Pick<Emulator, 'url'>; app: App },
  userId: string,
  app: App = box.app,
  /** The browser's current session cookie, if it has one. */
  existing?: string,
  /** The `next` path given to /auth/login, and so where the callback must send the browser. */
  next?: string,
): Promise<string> {
  const start = await app.inject(
    next ? `/auth/login?next=${encodeURIComponent(next)}` : '/auth/login',
  );
  if (start.statusCode !== 302) throw new Error(`login start answered ${start.statusCode}`);
  const authorize = new URL(String(start.headers.location));
  const stateCookie = cookiesOf(start.headers['set-cookie']);
  const back = await approveAs(authorize, userId);
  const callback = await app.inject({
    url: `${back.pathname}${back.search}`,
    headers: { cookie: existing ? `${stateCookie}; ${existing}` : stateCookie },
  });
  if (callback.statusCode !== 302 || callback.headers.location !== (next ?? '/')) {
    throw new Error(`login callback went to ${callback.headers.location}`);
  }
  const session = cookiesOf(callback.headers['set-cookie'])
    .split('; ')
    .find((c) => c.startsWith('tf_session='));
  if (!session) throw new Error('no session cookie');
  return session;
}

/** "a=1; b=2" from Set-Cookie headers. */
export function cookiesOf(setCookie: string | string[] | undefined): string {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  return list.map((c) => c.split(';')[0]).join('; ');
}

/** A ticket in a category, as the bot would store it (with a channel in the emulator). */
export async function seedTicket(
  box: { emulator: Emulator; database: DatabaseHandle; world: World },
  categoryId: string,
  openerId = box.world.users.member,
) {
  const channel = box.emulator.control.createChannel(box.world.guildId, {
    name: `ticket-${Math.random().toString(36).slice(2, 8)}`,
    parentId: box.world.channels.ticketsCategory,
  });
  const { ticket } = await createTicket(box.database.db, {
    guildId: box.world.guildId,
    openerId,
    categoryId,
    channelId: channel.id,
    topic: 'Cannot log in',
  });
  return ticket;
}
