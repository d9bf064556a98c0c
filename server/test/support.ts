import type { DatabaseHandle } from '@ticketflow/db/client';
import { createCategory } from '@ticketflow/db/repositories/categories';
import { upsertGuild } from '@ticketflow/db/repositories/guilds';
import { createTicket } from '@ticketflow/db/repositories/tickets';
import { useTestDatabase } from '@ticketflow/db/testing';
import { Emulator } from '@ticketflow/emulator/emulator';
import { BOT_PERMISSIONS, type DemoWorld, seedDemo } from '@ticketflow/emulator/seed';
import { afterAll, beforeAll } from 'vitest';
import { type App, type AppOptions, buildApp } from '../src/app.ts';
import type { DiscordOptions } from '../src/discord.ts';

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

export function discordOptions(emulator: Emulator, world: DemoWorld): DiscordOptions {
  return {
    apiUrl: emulator.apiUrl,
    oauthUrl: emulator.url,
    clientId: world.application.id,
    clientSecret: world.application.clientSecret,
    botToken: world.application.botToken,
  };
}

export interface ServerBox {
  emulator: Emulator;
  world: World;
  database: DatabaseHandle;
  app: App;
  /** http://127.0.0.1:PORT when listening. */
  url: string;
  build(options?: Partial<AppOptions>): Promise<App>;
}

/**
 * For a test file: a database, the emulator with the demo world, and the
 * server built on both (listening, so sockets and OAuth redirects work).
 */
export function useServer(options: Partial<AppOptions> = {}) {
  const db = useTestDatabase();
  const box = {} as ServerBox;
  const built: App[] = [];
  beforeAll(async () => {
    box.emulator = await Emulator.start();
    box.database = db.handle;
    box.world = await seedWorld(box.emulator, db.handle);
    box.build = async (extra = {}) => {
      const app = await buildApp({
        database: db.handle,
        discord: discordOptions(box.emulator, box.world),
        rateLimits: { perMinute: 100_000, authPerMinute: 100_000 },
        ...options,
        ...extra,
      });
      built.push(app);
      return app;
    };
    // The public URL must be known before listening: take a free port first.
    const probe = await buildApp({ database: db.handle, realtime: false });
    await probe.listen({ port: 0, host: '127.0.0.1' });
    const address = probe.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await probe.close();
    box.url = `http://127.0.0.1:${port}`;
    box.app = await box.build({ publicUrl: box.url });
    await box.app.listen({ port, host: '127.0.0.1' });
  });
  afterAll(async () => {
    for (const app of built) await app.close();
    await box.emulator?.close();
  });
  return box;
}

/**
 * Logs in through the emulator's OAuth page the way a browser does: the
 * server's login redirect (with its state cookie), the authorise form, the
 * callback. Returns the session cookie ("name=value").
 */
export async function login(
  box: ServerBox,
  userId: string,
  app: App = box.app,
  /** The browser's current session cookie, if it has one. */
  existing?: string,
): Promise<string> {
  const start = await app.inject('/auth/login');
  if (start.statusCode !== 302) throw new Error(`login start answered ${start.statusCode}`);
  const authorize = new URL(String(start.headers.location));
  const stateCookie = cookiesOf(start.headers['set-cookie']);
  const form = new URLSearchParams({
    client_id: authorize.searchParams.get('client_id') ?? '',
    redirect_uri: authorize.searchParams.get('redirect_uri') ?? '',
    response_type: 'code',
    scope: authorize.searchParams.get('scope') ?? '',
    state: authorize.searchParams.get('state') ?? '',
    decision: 'allow',
    user_id: userId,
  });
  const decided = await fetch(`${box.emulator.url}/oauth2/authorize`, {
    method: 'POST',
    body: form,
    redirect: 'manual',
  });
  const back = new URL(decided.headers.get('location') ?? '');
  const callback = await app.inject({
    url: `${back.pathname}${back.search}`,
    headers: { cookie: existing ? `${stateCookie}; ${existing}` : stateCookie },
  });
  if (callback.statusCode !== 302 || callback.headers.location !== '/') {
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
  box: ServerBox,
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
