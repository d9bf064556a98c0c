import { ChannelType, RESTJSONErrorCodes } from 'discord-api-types/v10';
import { z } from 'zod';
import type { EmulatorContext } from '../context.ts';
import {
  cannotEditOthersMessage,
  DiscordError,
  missingPermissions,
  unknownChannel,
} from '../errors.ts';
import type { Overwrite } from '../model.ts';
import { channelPermissions, guildPermissions, has, isThread, P } from '../permissions.ts';
import { messageInput, messagePatch } from './messages.ts';
import {
  parse,
  type Router,
  requireChannelPermission,
  requireGuildPermission,
  Status,
  snowflakeString,
} from './router.ts';

const bits = z
  .union([z.string().regex(/^\d+$/), z.number().int().nonnegative()])
  .transform((v) => BigInt(v));

const overwriteSchema = z.object({
  id: snowflakeString,
  type: z
    .union([z.literal(0), z.literal(1), z.literal('role'), z.literal('member')])
    .transform((t) => (t === 'member' || t === 1 ? 1 : 0)),
  allow: bits.optional().default(0n),
  deny: bits.optional().default(0n),
});

const createChannelSchema = z.object({
  name: z.string().min(1).max(100),
  type: z
    .union([
      z.literal(ChannelType.GuildText),
      z.literal(ChannelType.GuildCategory),
      z.literal(ChannelType.GuildAnnouncement),
      z.literal(ChannelType.GuildForum),
    ])
    .optional(),
  topic: z.string().max(1024).nullish(),
  parent_id: snowflakeString.nullish(),
  position: z.number().int().optional(),
  permission_overwrites: z.array(overwriteSchema).max(100).optional(),
  nsfw: z.boolean().optional(),
  rate_limit_per_user: z.number().int().optional(),
});

const patchChannelSchema = z.object({
  name: z.string().min(1).max(100).optional(),
  topic: z.string().max(1024).nullish(),
  parent_id: snowflakeString.nullish(),
  position: z.number().int().nullish(),
  permission_overwrites: z.array(overwriteSchema).max(100).nullish(),
  archived: z.boolean().optional(),
  locked: z.boolean().optional(),
  invitable: z.boolean().optional(),
  nsfw: z.boolean().optional(),
  rate_limit_per_user: z.number().int().optional(),
});

const listQuery = z.object({
  before: snowflakeString.optional(),
  after: snowflakeString.optional(),
  around: snowflakeString.optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

const threadSchema = z.object({
  name: z.string().min(1).max(100),
  type: z
    .union([
      z.literal(ChannelType.PublicThread),
      z.literal(ChannelType.PrivateThread),
      z.literal(ChannelType.AnnouncementThread),
    ])
    .optional(),
  invitable: z.boolean().optional(),
  auto_archive_duration: z.number().int().optional(),
  rate_limit_per_user: z.number().int().optional(),
});

const webhookSchema = z.object({
  name: z.string().min(1).max(80),
  avatar: z.string().nullish(),
});

/**
 * A bot may only allow or deny in overwrites what it holds itself (unless it
 * is an administrator), as in Discord.
 */
function checkOverwriteGrant(
  ctx: EmulatorContext,
  guildId: string,
  userId: string,
  overwrites: Overwrite[],
) {
  const perms = guildPermissions(ctx.state.guild(guildId), userId);
  if (has(perms, P.Administrator)) return;
  for (const o of overwrites) {
    if ((o.allow | o.deny) & ~perms) throw missingPermissions();
  }
}

export function channelRoutes(r: Router, ctx: EmulatorContext) {
  const { state, serializer } = ctx;

  r.route('GET', '/channels/:channelId', 'either', ({ caller, params }) => {
    const channel = state.channel(params.channelId as string);
    requireChannelPermission(ctx, caller, channel, P.ViewChannel);
    return serializer.channel(channel);
  });

  r.route('POST', '/guilds/:guildId/channels', 'bot', ({ caller, params, body }) => {
    const guild = state.guild(params.guildId as string);
    requireGuildPermission(caller, guild, P.ManageChannels);
    const input = parse(createChannelSchema, body);
    const overwrites = (input.permission_overwrites ?? []) as Overwrite[];
    if (overwrites.length > 0) {
      requireGuildPermission(caller, guild, P.ManageRoles);
      checkOverwriteGrant(ctx, guild.id, caller.userId as string, overwrites);
    }
    if (input.parent_id) {
      const parent = guild.channels.get(input.parent_id);
      if (!parent || parent.type !== ChannelType.GuildCategory) {
        throw new DiscordError(
          400,
          RESTJSONErrorCodes.InvalidFormBodyOrContentType,
          'Invalid Form Body',
          {
            parent_id: { _errors: [{ code: 'CHANNEL_PARENT_INVALID', message: 'Not a category' }] },
          },
        );
      }
    }
    const channel = state.createChannel(guild.id, {
      name: input.name,
      type: input.type ?? ChannelType.GuildText,
      parentId: input.parent_id ?? null,
      topic: input.topic ?? null,
      ...(input.position === undefined ? {} : { position: input.position }),
      overwrites,
    });
    return new Status(201, serializer.channel(channel));
  });

  r.route('PATCH', '/channels/:channelId', 'bot', ({ caller, params, body }) => {
    const channel = state.channel(params.channelId as string);
    const input = parse(patchChannelSchema, body);
    if (isThread(channel)) {
      requireChannelPermission(ctx, caller, channel, P.ViewChannel);
      const own = channel.ownerId === caller.userId;
      const guild = state.guild(channel.guildId as string);
      if (
        !own &&
        !has(channelPermissions(guild, channel, caller.userId as string), P.ManageThreads)
      ) {
        throw missingPermissions();
      }
    } else {
      requireChannelPermission(ctx, caller, channel, P.ManageChannels);
      if (input.permission_overwrites) {
        requireChannelPermission(ctx, caller, channel, P.ManageRoles);
        checkOverwriteGrant(
          ctx,
          channel.guildId as string,
          caller.userId as string,
          input.permission_overwrites as Overwrite[],
        );
      }
    }
    const updated = state.updateChannel(channel.id, {
      ...(input.name === undefined ? {} : { name: input.name }),
      ...(input.topic === undefined ? {} : { topic: input.topic }),
      ...(input.parent_id === undefined ? {} : { parentId: input.parent_id }),
      ...(input.position == null ? {} : { position: input.position }),
      ...(input.archived === undefined ? {} : { archived: input.archived }),
      ...(input.locked === undefined ? {} : { locked: input.locked }),
      ...(input.invitable === undefined ? {} : { invitable: input.invitable }),
      ...(input.permission_overwrites
        ? { overwrites: input.permission_overwrites as Overwrite[] }
        : {}),
    });
    return serializer.channel(updated);
  });

  r.route('DELETE', '/channels/:channelId', 'bot', ({ caller, params }) => {
    const channel = state.channel(params.channelId as string);
    requireChannelPermission(
      ctx,
      caller,
      channel,
      isThread(channel) ? P.ManageThreads : P.ManageChannels,
    );
    return serializer.channel(state.deleteChannel(channel.id));
  });

  r.route(
    'PUT',
    '/channels/:channelId/permissions/:overwriteId',
    'bot',
    ({ caller, params, body }) => {
      const channel = state.channel(params.channelId as string);
      if (!channel.guildId || isThread(channel)) throw unknownChannel();
      requireChannelPermission(ctx, caller, channel, P.ManageRoles);
      const o = parse(overwriteSchema, { ...(body as object), id: params.overwriteId });
      checkOverwriteGrant(ctx, channel.guildId, caller.userId as string, [o as Overwrite]);
      state.setOverwrite(channel.id, o as Overwrite);
      return undefined;
    },
  );

  r.route(
    'DELETE',
    '/channels/:channelId/permissions/:overwriteId',
    'bot',
    ({ caller, params }) => {
      const channel = state.channel(params.channelId as string);
      requireChannelPermission(ctx, caller, channel, P.ManageRoles);
      state.deleteOverwrite(channel.id, params.overwriteId as string);
      return undefined;
    },
  );

  r.route('POST', '/channels/:channelId/typing', 'bot', ({ caller, params }) => {
    requireChannelPermission(
      ctx,
      caller,
      state.channel(params.channelId as string),
      P.SendMessages,
    );
    return undefined;
  });

  // --- messages -------------------------------------------------------------------

  r.route('GET', '/channels/:channelId/messages', 'bot', ({ caller, params, query }) => {
    const channel = state.channel(params.channelId as string);
    requireChannelPermission(ctx, caller, channel, P.ReadMessageHistory);
    const q = parse(listQuery, query);
    return state.listMessages(channel.id, q).map((m) => serializer.message(m));
  });

  r.route('GET', '/channels/:channelId/messages/:messageId', 'bot', ({ caller, params }) => {
    const channel = state.channel(params.channelId as string);
    requireChannelPermission(ctx, caller, channel, P.ReadMessageHistory);
    const message = state.message(channel.id, params.messageId as string);
    if (message.visibleTo)
      throw new DiscordError(404, RESTJSONErrorCodes.UnknownMessage, 'Unknown Message');
    return serializer.message(message);
  });

  r.route('POST', '/channels/:channelId/messages', 'bot', ({ caller, params, body, files }) => {
    const channel = state.channel(params.channelId as string);
    requireChannelPermission(
      ctx,
      caller,
      channel,
      isThread(channel) ? P.SendMessagesInThreads : P.SendMessages,
    );
    if (isThread(channel) && channel.locked) throw missingPermissions();
    const input = messageInput(body, files, caller.userId as string);
    if (input.nonce && input.enforceNonce) {
      // Discord's dedupe: the same nonce from the same author within minutes returns the first message.
      const recent = Date.now() - 5 * 60_000;
      const existing = (state.messages.get(channel.id) ?? []).find(
        (m) =>
          m.nonce === input.nonce &&
          m.authorId === input.authorId &&
          Date.parse(m.timestamp) > recent,
      );
      if (existing) return serializer.message(existing);
    }
    const message = state.createMessage(channel.id, {
      ...input,
      flags: 0,
      applicationId: caller.app?.id ?? null,
    });
    return serializer.message(message);
  });

  r.route(
    'PATCH',
    '/channels/:channelId/messages/:messageId',
    'bot',
    ({ caller, params, body, files }) => {
      const channel = state.channel(params.channelId as string);
      requireChannelPermission(ctx, caller, channel, P.ViewChannel);
      const message = state.message(channel.id, params.messageId as string);
      if (message.authorId !== caller.userId) throw cannotEditOthersMessage();
      return serializer.message(
        state.editMessage(channel.id, message.id, messagePatch(body, files)),
      );
    },
  );

  r.route('DELETE', '/channels/:channelId/messages/:messageId', 'bot', ({ caller, params }) => {
    const channel = state.channel(params.channelId as string);
    const message = state.message(channel.id, params.messageId as string);
    requireChannelPermission(
      ctx,
      caller,
      channel,
      message.authorId === caller.userId ? P.ViewChannel : P.ManageMessages,
    );
    state.deleteMessage(channel.id, message.id);
    return undefined;
  });

  r.route(
    'POST',
    '/channels/:channelId/messages/bulk-delete',
    'bot',
    ({ caller, params, body }) => {
      const channel = state.channel(params.channelId as string);
      requireChannelPermission(ctx, caller, channel, P.ManageMessages);
      const { messages } = parse(
        z.object({ messages: z.array(snowflakeString).min(2).max(100) }),
        body,
      );
      state.bulkDeleteMessages(channel.id, messages);
      return undefined;
    },
  );

  // --- threads --------------------------------------------------------------------

  r.route('POST', '/channels/:channelId/threads', 'bot', ({ caller, params, body }) => {
    const parent = state.channel(params.channelId as string);
    const input = parse(threadSchema, body);
    const type = input.type ?? ChannelType.PrivateThread;
    requireChannelPermission(
      ctx,
      caller,
      parent,
      type === ChannelType.PrivateThread ? P.CreatePrivateThreads : P.CreatePublicThreads,
    );
    const thread = state.createThread(parent.id, {
      name: input.name,
      type,
      ownerId: caller.userId as string,
      ...(input.invitable === undefined ? {} : { invitable: input.invitable }),
    });
    return new Status(201, serializer.channel(thread));
  });

  r.route(
    'POST',
    '/channels/:channelId/messages/:messageId/threads',
    'bot',
    ({ caller, params, body }) => {
      const parent = state.channel(params.channelId as string);
      const message = state.message(parent.id, params.messageId as string);
      requireChannelPermission(ctx, caller, parent, P.CreatePublicThreads);
      const input = parse(threadSchema, body);
      const thread = state.createThread(parent.id, {
        // A thread started from a message shares its id, as in Discord.
        id: message.id,
        name: input.name,
        type: ChannelType.PublicThread,
        ownerId: caller.userId as string,
      });
      return new Status(201, serializer.channel(thread));
    },
  );

  const threadMember =
    (add: boolean) =>
    ({ caller, params }: Parameters<Parameters<Router['route']>[3]>[0]) => {
      const thread = state.channel(params.channelId as string);
      if (!isThread(thread)) throw unknownChannel();
      const userId =
        params.userId === '@me' ? (caller.userId as string) : (params.userId as string);
      requireChannelPermission(
        ctx,
        caller,
        thread,
        userId === caller.userId ? P.ViewChannel : P.SendMessagesInThreads,
      );
      if (!add && userId !== caller.userId && thread.ownerId !== caller.userId) {
        requireChannelPermission(ctx, caller, thread, P.ManageThreads);
      }
      state.member(thread.guildId as string, userId);
      if (add) state.addThreadMember(thread.id, userId);
      else state.removeThreadMember(thread.id, userId);
      return undefined;
    };
  r.route('PUT', '/channels/:channelId/thread-members/:userId', 'bot', threadMember(true));
  r.route('DELETE', '/channels/:channelId/thread-members/:userId', 'bot', threadMember(false));

  r.route('GET', '/channels/:channelId/thread-members', 'bot', ({ caller, params }) => {
    const thread = state.channel(params.channelId as string);
    requireChannelPermission(ctx, caller, thread, P.ViewChannel);
    return [...thread.threadMembers].map((userId) => ({
      id: thread.id,
      user_id: userId,
      join_timestamp: thread.createdAt,
      flags: 0,
    }));
  });

  r.route('GET', '/guilds/:guildId/threads/active', 'bot', ({ caller, params }) => {
    const guild = state.guild(params.guildId as string);
    requireGuildPermission(caller, guild, 0n);
    const threads = [...guild.channels.values()].filter(
      (c) =>
        isThread(c) &&
        !c.archived &&
        has(channelPermissions(guild, c, caller.userId as string), P.ViewChannel),
    );
    return { threads: threads.map((t) => serializer.channel(t)), members: [] };
  });

  // --- channel webhooks -----------------------------------------------------------

  r.route('POST', '/channels/:channelId/webhooks', 'bot', ({ caller, params, body }) => {
    const channel = state.channel(params.channelId as string);
    requireChannelPermission(ctx, caller, channel, P.ManageWebhooks);
    const input = parse(webhookSchema, body);
    const webhook = state.createWebhook({
      channelId: channel.id,
      name: input.name,
      avatar: input.avatar ?? null,
      creatorId: caller.userId,
      applicationId: caller.app?.id ?? null,
    });
    return serializer.webhook(webhook);
  });

  r.route('GET', '/channels/:channelId/webhooks', 'bot', ({ caller, params }) => {
    const channel = state.channel(params.channelId as string);
    requireChannelPermission(ctx, caller, channel, P.ManageWebhooks);
    return [...state.webhooks.values()]
      .filter((w) => w.channelId === channel.id)
      .map((w) => serializer.webhook(w));
  });
}
