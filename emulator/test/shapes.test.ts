import { ChannelType, Routes } from 'discord.js';
import {
  ApplicationCommandResponseSchema,
  GuildChannelResponseSchema,
  GuildIncomingWebhookResponseSchema,
  GuildMemberResponseSchema,
  GuildRoleResponseSchema,
  GuildWithCountsResponseSchema,
  MessageResponseSchema,
  MyGuildResponseSchema,
  PrivateChannelResponseSchema,
  ThreadResponseSchema,
  UserPIIResponseSchema,
  UserResponseSchema,
} from 'discord-api-spec/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBot, useEmulator } from './support.ts';

/** Parses with a schema from Discord's OpenAPI description and fails with every issue listed. */
function conforms(
  schema: { safeParse(v: unknown): { success: boolean; error?: { issues: unknown[] } } },
  value: unknown,
) {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new Error(
      `does not match Discord's schema: ${JSON.stringify(result.error?.issues, null, 1).slice(0, 3000)}`,
    );
  }
  return true;
}

describe("REST responses against Discord's OpenAPI description (discord-api-spec)", () => {
  const t = useEmulator();
  let client: Awaited<ReturnType<typeof connectBot>>;
  beforeAll(async () => {
    client = await connectBot(t.emulator, t.world);
  });
  afterAll(async () => {
    await client?.destroy();
  });

  it('messages: plain, with embeds and components, with a file, and from a webhook', async () => {
    const channel = t.world.channels.welcome;
    const plain = await client.rest.post(Routes.channelMessages(channel), {
      body: { content: `hi <@${t.world.users.member}>` },
    });
    expect(conforms(MessageResponseSchema, plain)).toBe(true);
    const rich = await client.rest.post(Routes.channelMessages(channel), {
      body: {
        embeds: [
          {
            title: 'Ticket #1',
            description: 'Opened',
            fields: [{ name: 'Topic', value: 'Refund' }],
          },
        ],
        components: [
          { type: 1, components: [{ type: 2, style: 1, label: 'Close', custom_id: 'close' }] },
        ],
      },
    });
    expect(conforms(MessageResponseSchema, rich)).toBe(true);
    const withFile = await client.rest.post(Routes.channelMessages(channel), {
      body: { content: 'file' },
      files: [{ name: 'a.txt', data: Buffer.from('x') }],
    });
    expect(conforms(MessageResponseSchema, withFile)).toBe(true);
    const fromMember = t.emulator.control.sendMessage(
      t.world.users.member,
      channel,
      'member message',
    );
    expect(
      conforms(
        MessageResponseSchema,
        await client.rest.get(Routes.channelMessage(channel, fromMember.id)),
      ),
    ).toBe(true);
    const listed = (await client.rest.get(Routes.channelMessages(channel))) as unknown[];
    for (const m of listed) expect(conforms(MessageResponseSchema, m)).toBe(true);

    const webhook = (await client.rest.post(Routes.channelWebhooks(channel), {
      body: { name: 'TicketFlow' },
    })) as { id: string; token: string };
    expect(conforms(GuildIncomingWebhookResponseSchema, webhook)).toBe(true);
    const posted = await client.rest.post(Routes.webhook(webhook.id, webhook.token), {
      body: { content: 'from the dashboard', username: 'Sam (support)' },
      query: new URLSearchParams({ wait: 'true' }),
      auth: false,
    });
    expect(conforms(MessageResponseSchema, posted)).toBe(true);
  });

  it('channels: text, category, private thread and DM', async () => {
    const text = await client.rest.get(Routes.channel(t.world.channels.panel));
    expect(conforms(GuildChannelResponseSchema, text)).toBe(true);
    const category = await client.rest.get(Routes.channel(t.world.channels.ticketsCategory));
    expect(conforms(GuildChannelResponseSchema, category)).toBe(true);
    const created = await client.rest.post(Routes.guildChannels(t.world.guildId), {
      body: {
        name: 'ticket-9',
        parent_id: t.world.channels.ticketsCategory,
        permission_overwrites: [
          { id: t.world.guildId, type: 0, deny: '1024' },
          { id: client.user.id, type: 1, allow: '1024' },
        ],
      },
    });
    expect(conforms(GuildChannelResponseSchema, created)).toBe(true);
    const thread = await client.rest.post(Routes.threads(t.world.channels.welcome), {
      body: { name: 'ticket-10', type: ChannelType.PrivateThread },
    });
    expect(conforms(ThreadResponseSchema, thread)).toBe(true);
    const dm = await client.rest.post(Routes.userChannels(), {
      body: { recipient_id: t.world.users.member },
    });
    expect(conforms(PrivateChannelResponseSchema, dm)).toBe(true);
  });

  it('guild, members, roles, users and commands', async () => {
    expect(
      conforms(
        GuildWithCountsResponseSchema,
        await client.rest.get(Routes.guild(t.world.guildId), {
          query: new URLSearchParams({ with_counts: 'true' }),
        }),
      ),
    ).toBe(true);
    expect(
      conforms(
        GuildMemberResponseSchema,
        await client.rest.get(Routes.guildMember(t.world.guildId, t.world.users.support)),
      ),
    ).toBe(true);
    const members = (await client.rest.get(Routes.guildMembers(t.world.guildId), {
      query: new URLSearchParams({ limit: '100' }),
    })) as unknown[];
    expect(members).toHaveLength(7);
    for (const m of members) expect(conforms(GuildMemberResponseSchema, m)).toBe(true);
    const roles = (await client.rest.get(Routes.guildRoles(t.world.guildId))) as unknown[];
    for (const r of roles) expect(conforms(GuildRoleResponseSchema, r)).toBe(true);
    expect(conforms(UserPIIResponseSchema, await client.rest.get(Routes.user('@me')))).toBe(true);
    expect(
      conforms(UserResponseSchema, await client.rest.get(Routes.user(t.world.users.member))),
    ).toBe(true);
    const commands = (await client.rest.put(Routes.applicationCommands(client.user.id), {
      body: [
        {
          name: 'ticket',
          description: 'Tickets',
          options: [{ type: 1, name: 'close', description: 'Close' }],
        },
      ],
    })) as unknown[];
    for (const c of commands) expect(conforms(ApplicationCommandResponseSchema, c)).toBe(true);
  });

  it('the guild list of an OAuth user', async () => {
    t.emulator.control.preselectOAuthUser(t.world.users.owner);
    try {
      const redirect = 'http://localhost/cb';
      const res = await fetch(
        `${t.emulator.url}/oauth2/authorize?client_id=${t.world.application.id}&redirect_uri=${encodeURIComponent(redirect)}&response_type=code&scope=identify%20guilds`,
        { redirect: 'manual' },
      );
      const code = new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? '';
      const token = (await (
        await fetch(`${t.emulator.apiUrl}/oauth2/token`, {
          method: 'POST',
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code,
            redirect_uri: redirect,
            client_id: t.world.application.id,
            client_secret: t.world.application.clientSecret,
          }),
        })
      ).json()) as { access_token: string };
      const guilds = (await (
        await fetch(`${t.emulator.apiUrl}/v10/users/@me/guilds`, {
          headers: { authorization: `Bearer ${token.access_token}` },
        })
      ).json()) as unknown[];
      for (const g of guilds) expect(conforms(MyGuildResponseSchema, g)).toBe(true);
      expect(guilds).toHaveLength(1);
    } finally {
      t.emulator.control.preselectOAuthUser(null);
    }
  });
});
