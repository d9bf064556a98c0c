import { BOT_PERMISSIONS } from '@ticketflow/shared/permissions';
import { ChannelType } from 'discord-api-types/v10';
import type { Emulator } from './emulator.ts';
import type { ApplicationRecord } from './model.ts';
import { P } from './permissions.ts';

export { BOT_PERMISSIONS };

export interface DemoWorld {
  application: { id: string; botToken: string; clientSecret: string; botUserId: string };
  guildId: string;
  users: Record<'owner' | 'admin' | 'support' | 'billing' | 'member' | 'member2', string>;
  roles: Record<'admin' | 'support' | 'billing', string>;
  channels: Record<'welcome' | 'panel' | 'ticketsCategory', string>;
}

const applicationIds = (app: ApplicationRecord): DemoWorld['application'] => ({
  id: app.id,
  botToken: app.botToken,
  clientSecret: app.clientSecret,
  botUserId: app.botUserId,
});

/**
 * The demo server: an owner, an admin, Support and Billing staff, two members,
 * a channel for the ticket panel and a category for tickets, with the
 * TicketFlow application installed.
 */
export function seedDemo(
  emulator: Emulator,
  options: { applicationName?: string; clientSecret?: string; redirectUris?: string[] } = {},
): DemoWorld {
  const { state } = emulator;
  const app = state.createApplication({
    name: options.applicationName ?? 'TicketFlow',
    ...(options.clientSecret ? { clientSecret: options.clientSecret } : {}),
    ...(options.redirectUris ? { redirectUris: options.redirectUris } : {}),
  });
  const user = (username: string, globalName: string) =>
    state.createUser({ username, globalName }).id;
  const users = {
    owner: user('olivia', 'Olivia (owner)'),
    admin: user('adam', 'Adam (admin)'),
    support: user('sam', 'Sam (support)'),
    billing: user('bea', 'Bea (billing)'),
    member: user('mia', 'Mia (member)'),
    member2: user('max', 'Max (member)'),
  };
  const guild = state.createGuild({ name: 'TicketFlow Demo', ownerId: users.owner });
  const roles = {
    admin: state.createRole(guild.id, {
      name: 'Admins',
      permissions: P.Administrator,
      color: 0xe74c3c,
    }).id,
    support: state.createRole(guild.id, { name: 'Support', permissions: 0n, color: 0x3498db }).id,
    billing: state.createRole(guild.id, { name: 'Billing', permissions: 0n, color: 0x2ecc71 }).id,
  };
  state.addMember(guild.id, users.admin, [roles.admin]);
  state.addMember(guild.id, users.support, [roles.support]);
  state.addMember(guild.id, users.billing, [roles.billing]);
  state.addMember(guild.id, users.member);
  state.addMember(guild.id, users.member2);
  const botRole = state.addBot(guild.id, app.id, BOT_PERMISSIONS);
  const welcome = state.createChannel(guild.id, { name: 'welcome', topic: 'Say hello' });
  const panel = state.createChannel(guild.id, {
    name: 'open-a-ticket',
    topic: 'Press a button to open a ticket',
    // Members read the panel but do not chat there; the bot posts it.
    overwrites: [
      { id: guild.id, type: 0, allow: 0n, deny: P.SendMessages },
      { id: botRole.id, type: 0, allow: P.SendMessages, deny: 0n },
    ],
  });
  const ticketsCategory = state.createChannel(guild.id, {
    name: 'Tickets',
    type: ChannelType.GuildCategory,
  });
  return {
    application: applicationIds(app),
    guildId: guild.id,
    users,
    roles,
    channels: { welcome: welcome.id, panel: panel.id, ticketsCategory: ticketsCategory.id },
  };
}

/** The demo's ids in a world read back from a state file (seedDemo ran when it was first made). */
export function findDemo(emulator: Emulator): DemoWorld {
  const { state } = emulator;
  const missing = (what: string): never => {
    throw new Error(
      `the saved emulator world has no ${what} of the demo (start over with --reset)`,
    );
  };
  const app = [...state.applications.values()][0] ?? missing('application');
  const guild =
    [...state.guilds.values()].find((g) => g.members.has(app.botUserId)) ??
    [...state.guilds.values()][0] ??
    missing('server');
  const userNamed = (username: string) =>
    [...state.users.values()].find((u) => u.username === username && !u.bot)?.id ??
    missing(`user "${username}"`);
  const roleNamed = (name: string) =>
    [...guild.roles.values()].find((r) => r.name === name)?.id ?? missing(`role "${name}"`);
  const channelNamed = (name: string) =>
    [...guild.channels.values()].find((c) => c.name === name)?.id ?? missing(`channel #${name}`);
  return {
    application: applicationIds(app),
    guildId: guild.id,
    users: {
      owner: userNamed('olivia'),
      admin: userNamed('adam'),
      support: userNamed('sam'),
      billing: userNamed('bea'),
      member: userNamed('mia'),
      member2: userNamed('max'),
    },
    roles: {
      admin: roleNamed('Admins'),
      support: roleNamed('Support'),
      billing: roleNamed('Billing'),
    },
    channels: {
      welcome: channelNamed('welcome'),
      panel: channelNamed('open-a-ticket'),
      ticketsCategory: channelNamed('Tickets'),
    },
  };
}
