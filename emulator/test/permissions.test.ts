import {
  ChannelType,
  Events,
  type Guild,
  type Message,
  OverwriteType,
  PermissionFlagsBits,
} from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBot, eventually, useEmulator } from './support.ts';

describe('private channels and permission checks', () => {
  const t = useEmulator();
  let client: Awaited<ReturnType<typeof connectBot>>;
  let guild: Guild;
  beforeAll(async () => {
    client = await connectBot(t.emulator, t.world);
    guild = client.guilds.cache.get(t.world.guildId) as Guild;
  });
  afterAll(async () => {
    await client?.destroy();
  });

  it('creates a private ticket channel that only the opener, staff and the bot can see', async () => {
    const { member, member2, support, billing } = t.world.users;
    const channel = await guild.channels.create({
      name: 'ticket-1',
      type: ChannelType.GuildText,
      parent: t.world.channels.ticketsCategory,
      permissionOverwrites: [
        { id: guild.id, type: OverwriteType.Role, deny: [PermissionFlagsBits.ViewChannel] },
        {
          id: member,
          type: OverwriteType.Member,
          allow: [PermissionFlagsBits.ViewChannel, PermissionFlagsBits.SendMessages],
        },
        {
          id: t.world.roles.support,
          type: OverwriteType.Role,
          allow: [PermissionFlagsBits.ViewChannel],
        },
        {
          id: client.user.id,
          type: OverwriteType.Member,
          allow: [PermissionFlagsBits.ViewChannel],
        },
      ],
    });
    expect(channel.parentId).toBe(t.world.channels.ticketsCategory);

    t.emulator.control.sendMessage(member, channel.id, 'my order is missing');
    expect(t.emulator.control.readMessages(support, channel.id).map((m) => m.content)).toEqual([
      'my order is missing',
    ]);
    expect(() => t.emulator.control.readMessages(member2, channel.id)).toThrow(/Missing Access/);
    expect(() => t.emulator.control.readMessages(billing, channel.id)).toThrow(/Missing Access/);
    expect(() => t.emulator.control.sendMessage(member2, channel.id, 'let me in')).toThrow(
      /Missing Access/,
    );
    expect(
      t.emulator.control.visibleChannels(member2, t.world.guildId).map((c) => c.id),
    ).not.toContain(channel.id);
    expect(t.emulator.control.visibleChannels(member, t.world.guildId).map((c) => c.id)).toContain(
      channel.id,
    );
  });

  it('does not dispatch messages of a channel the bot cannot see', async () => {
    const hidden = t.emulator.control.createChannel(t.world.guildId, {
      name: 'staff-only',
      overwrites: [
        { id: t.world.guildId, type: 0, allow: 0n, deny: PermissionFlagsBits.ViewChannel },
      ],
    });
    const seen: Message[] = [];
    client.on(Events.MessageCreate, (m) => seen.push(m));
    t.emulator.control.sendMessage(t.world.users.owner, hidden.id, 'not for the bot');
    t.emulator.control.sendMessage(t.world.users.owner, t.world.channels.welcome, 'for the bot');
    await eventually(() => seen.some((m) => m.content === 'for the bot'));
    expect(seen.map((m) => m.content)).not.toContain('not for the bot');
  });

  it('refuses a channel to a bot without Manage Channels with 50013 Missing Permissions', async () => {
    const botRole = [
      ...(t.emulator.state.guild(t.world.guildId).members.get(client.user.id)?.roles ?? []),
    ][0] as string;
    const role = t.emulator.state.guild(t.world.guildId).roles.get(botRole);
    if (!role) throw new Error('no bot role');
    const before = role.permissions;
    role.permissions = before & ~PermissionFlagsBits.ManageChannels;
    try {
      await expect(guild.channels.create({ name: 'nope' })).rejects.toMatchObject({
        code: 50013,
        status: 403,
        rawError: { message: 'Missing Permissions', code: 50013 },
      });
    } finally {
      role.permissions = before;
    }
  });

  it('refuses overwrites that grant a permission the bot does not hold', async () => {
    await expect(
      guild.channels.create({
        name: 'too-generous',
        permissionOverwrites: [
          { id: t.world.users.member, allow: [PermissionFlagsBits.Administrator] },
        ],
      }),
    ).rejects.toMatchObject({ code: 50013 });
  });

  it('adds and removes a person on a channel with permission overwrites', async () => {
    const { member2 } = t.world.users;
    const channel = await guild.channels.create({
      name: 'ticket-2',
      permissionOverwrites: [
        { id: guild.id, deny: [PermissionFlagsBits.ViewChannel] },
        { id: client.user.id, allow: [PermissionFlagsBits.ViewChannel] },
      ],
    });
    expect(() => t.emulator.control.readMessages(member2, channel.id)).toThrow(/Missing Access/);
    await channel.permissionOverwrites.edit(member2, {
      ViewChannel: true,
      SendMessages: true,
      ReadMessageHistory: true,
    });
    expect(t.emulator.control.readMessages(member2, channel.id)).toEqual([]);
    await channel.permissionOverwrites.delete(member2);
    expect(() => t.emulator.control.readMessages(member2, channel.id)).toThrow(/Missing Access/);
  });

  it('keeps a private thread to its members, and the bot adds a member to it', async () => {
    const { member, member2 } = t.world.users;
    const parent = guild.channels.cache.get(t.world.channels.welcome);
    if (!parent?.isTextBased() || parent.type !== ChannelType.GuildText)
      throw new Error('no text channel');
    const thread = await parent.threads.create({
      name: 'ticket-3',
      type: ChannelType.PrivateThread,
      invitable: false,
    });
    expect(() => t.emulator.control.readMessages(member, thread.id)).toThrow(/Missing Access/);
    await thread.members.add(member);
    t.emulator.control.sendMessage(member, thread.id, 'hello in the thread');
    expect(() => t.emulator.control.readMessages(member2, thread.id)).toThrow(/Missing Access/);
    await eventually(
      async () =>
        (await thread.messages.fetch({ limit: 1 })).first()?.content === 'hello in the thread',
    );
  });

  it('tells the bot when an admin deletes a channel by hand', async () => {
    const channel = await guild.channels.create({ name: 'to-delete' });
    const deleted: string[] = [];
    client.on(Events.ChannelDelete, (c) => deleted.push(c.id));
    t.emulator.control.deleteChannelByHand(channel.id);
    await eventually(() => deleted.includes(channel.id));
    await expect(client.channels.fetch(channel.id, { force: true })).rejects.toMatchObject({
      code: 10003,
    });
  });
});
