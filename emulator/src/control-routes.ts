import { ChannelType } from 'discord-api-types/v10';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { type ZodType, z } from 'zod';
import type { EmulatorContext } from './context.ts';
import type { Control } from './control.ts';
import { DiscordError } from './errors.ts';
import { faultSchema } from './http/faults.ts';
import type { ChannelRecord } from './model.ts';
import { channelPermissions, has, P } from './permissions.ts';
import type { StateEvent } from './state.ts';

const id = z.string().regex(/^\d{1,21}$/);
const bits = z
  .union([z.string().regex(/^\d+$/), z.number().int().nonnegative()])
  .transform((v) => BigInt(v));
const overwrite = z.object({
  id,
  type: z.union([z.literal(0), z.literal(1)]),
  allow: bits.default(0n),
  deny: bits.default(0n),
});

function body<T extends ZodType>(schema: T, value: unknown): z.output<T> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    throw new DiscordError(
      400,
      50035,
      parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    );
  }
  return parsed.data;
}

/** JSON with bigints as strings (permission bitfields). */
function json(reply: FastifyReply, value: unknown, status = 200) {
  return reply
    .status(status)
    .type('application/json')
    .send(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
}

/**
 * The control API over HTTP, under `/_emulator`: the same operations as the
 * in-process Control, for other processes and for the web client.
 */
export function registerControlRoutes(
  app: FastifyInstance,
  ctx: EmulatorContext,
  control: Control,
) {
  const { state } = ctx;

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof DiscordError) return reply.status(error.status).send(error.body());
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    return reply.status(status).send({ code: 0, message: (error as Error).message });
  });

  app.get('/_emulator/world', async (_request, reply) =>
    json(reply, {
      applications: [...state.applications.values()].map((a) => ({
        id: a.id,
        name: a.name,
        botUserId: a.botUserId,
        botToken: a.botToken,
        clientSecret: a.clientSecret,
      })),
      users: [...state.users.values()],
      guilds: [...state.guilds.values()].map((g) => ({
        id: g.id,
        name: g.name,
        ownerId: g.ownerId,
        roles: [...g.roles.values()],
        members: [...g.members.values()],
        channels: [...g.channels.values()].map((c) => ({
          id: c.id,
          name: c.name,
          type: c.type,
          parentId: c.parentId,
        })),
      })),
    }),
  );

  app.post('/_emulator/users', async (request, reply) => {
    const b = body(
      z.object({ username: z.string().min(1).max(32), globalName: z.string().optional() }),
      request.body,
    );
    return json(reply, control.createUser(b), 201);
  });

  app.post('/_emulator/guilds', async (request, reply) => {
    const b = body(z.object({ name: z.string().min(1).max(100), ownerId: id }), request.body);
    state.user(b.ownerId);
    const g = control.createGuild(b);
    return json(reply, { id: g.id, name: g.name, ownerId: g.ownerId }, 201);
  });

  app.post<{ Params: { guildId: string } }>(
    '/_emulator/guilds/:guildId/roles',
    async (request, reply) => {
      const b = body(
        z.object({
          name: z.string().min(1),
          permissions: bits.default(0n),
          color: z.number().int().optional(),
        }),
        request.body,
      );
      return json(reply, control.createRole(request.params.guildId, b), 201);
    },
  );

  app.post<{ Params: { guildId: string } }>(
    '/_emulator/guilds/:guildId/members',
    async (request, reply) => {
      const b = body(z.object({ userId: id, roleIds: z.array(id).default([]) }), request.body);
      return json(reply, control.addMember(request.params.guildId, b.userId, b.roleIds), 201);
    },
  );

  app.put<{ Params: { guildId: string; userId: string } }>(
    '/_emulator/guilds/:guildId/members/:userId/roles',
    async (request, reply) => {
      const b = body(z.object({ roleIds: z.array(id) }), request.body);
      return json(
        reply,
        control.setMemberRoles(request.params.guildId, request.params.userId, b.roleIds),
      );
    },
  );

  app.post<{ Params: { guildId: string } }>(
    '/_emulator/guilds/:guildId/channels',
    async (request, reply) => {
      const b = body(
        z.object({
          name: z.string().min(1).max(100),
          type: z.nativeEnum(ChannelType).optional(),
          parentId: id.nullish(),
          topic: z.string().nullish(),
          overwrites: z.array(overwrite).default([]),
        }),
        request.body,
      );
      const c = control.createChannel(request.params.guildId, b);
      return json(reply, ctx.serializer.channel(c), 201);
    },
  );

  app.post<{ Params: { guildId: string } }>(
    '/_emulator/guilds/:guildId/bots',
    async (request, reply) => {
      const b = body(z.object({ applicationId: id, permissions: bits }), request.body);
      return json(
        reply,
        control.addBot(request.params.guildId, b.applicationId, b.permissions),
        201,
      );
    },
  );

  app.delete<{ Params: { guildId: string; applicationId: string } }>(
    '/_emulator/guilds/:guildId/bots/:applicationId',
    async (request, reply) => {
      control.removeBot(request.params.guildId, request.params.applicationId);
      return reply.status(204).send();
    },
  );

  app.delete<{ Params: { channelId: string } }>(
    '/_emulator/channels/:channelId',
    async (request, reply) => json(reply, control.deleteChannelByHand(request.params.channelId)),
  );

  // --- acting as a user ---------------------------------------------------------------

  app.get<{ Params: { userId: string } }>(
    '/_emulator/users/:userId/guilds',
    async (request, reply) =>
      json(
        reply,
        [...state.guilds.values()]
          .filter((g) => g.members.has(request.params.userId))
          .map((g) => ({ id: g.id, name: g.name, icon: g.icon })),
      ),
  );

  app.get<{ Params: { userId: string; guildId: string } }>(
    '/_emulator/users/:userId/guilds/:guildId/channels',
    async (request, reply) =>
      json(reply, control.visibleChannels(request.params.userId, request.params.guildId)),
  );

  app.get<{ Params: { userId: string } }>('/_emulator/users/:userId/dms', async (request, reply) =>
    json(reply, control.dmChannels(request.params.userId)),
  );

  app.get<{ Params: { userId: string; channelId: string } }>(
    '/_emulator/users/:userId/channels/:channelId/messages',
    async (request, reply) => {
      const q = body(
        z.object({
          before: id.optional(),
          after: id.optional(),
          limit: z.coerce.number().int().min(1).max(100).optional(),
        }),
        request.query,
      );
      return json(reply, control.readMessages(request.params.userId, request.params.channelId, q));
    },
  );

  app.post<{ Params: { userId: string; channelId: string } }>(
    '/_emulator/users/:userId/channels/:channelId/messages',
    async (request, reply) => {
      const b = body(z.object({ content: z.string().max(2000) }), request.body);
      return json(
        reply,
        control.sendMessage(request.params.userId, request.params.channelId, b.content),
        201,
      );
    },
  );

  app.patch<{ Params: { userId: string; channelId: string; messageId: string } }>(
    '/_emulator/users/:userId/channels/:channelId/messages/:messageId',
    async (request, reply) => {
      const b = body(z.object({ content: z.string().min(1).max(2000) }), request.body);
      const p = request.params;
      return json(reply, control.editMessage(p.userId, p.channelId, p.messageId, b.content));
    },
  );

  app.delete<{ Params: { userId: string; channelId: string; messageId: string } }>(
    '/_emulator/users/:userId/channels/:channelId/messages/:messageId',
    async (request, reply) => {
      const p = request.params;
      control.deleteMessage(p.userId, p.channelId, p.messageId);
      return reply.status(204).send();
    },
  );

  const outcome = async (reply: FastifyReply, started: ReturnType<Control['clickButton']>) => {
    try {
      return json(reply, await started.response(10_000));
    } catch {
      return json(reply, { interactionId: started.interaction.id, type: 0, timedOut: true }, 202);
    }
  };

  app.post<{ Params: { userId: string } }>(
    '/_emulator/users/:userId/interactions/button',
    async (request, reply) => {
      const b = body(
        z.object({ channelId: id, messageId: id, customId: z.string() }),
        request.body,
      );
      return outcome(
        reply,
        control.clickButton(request.params.userId, b.channelId, b.messageId, b.customId),
      );
    },
  );

  app.post<{ Params: { userId: string } }>(
    '/_emulator/users/:userId/interactions/select',
    async (request, reply) => {
      const b = body(
        z.object({
          channelId: id,
          messageId: id,
          customId: z.string(),
          values: z.array(z.string()).min(1),
        }),
        request.body,
      );
      return outcome(
        reply,
        control.chooseOptions(
          request.params.userId,
          b.channelId,
          b.messageId,
          b.customId,
          b.values,
        ),
      );
    },
  );

  app.post<{ Params: { userId: string } }>(
    '/_emulator/users/:userId/interactions/modal',
    async (request, reply) => {
      const b = body(
        z.object({ interactionId: id, values: z.record(z.string(), z.string()) }),
        request.body,
      );
      return outcome(reply, control.submitModal(request.params.userId, b.interactionId, b.values));
    },
  );

  app.post<{ Params: { userId: string } }>(
    '/_emulator/users/:userId/interactions/command',
    async (request, reply) => {
      const b = body(
        z.object({
          channelId: id,
          name: z.string(),
          subcommand: z.string().optional(),
          options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
        }),
        request.body,
      );
      return outcome(
        reply,
        control.runCommand(request.params.userId, b.channelId, b.name, {
          ...(b.subcommand ? { subcommand: b.subcommand } : {}),
          ...(b.options ? { options: b.options } : {}),
        }),
      );
    },
  );

  // --- faults, gateway, log, OAuth ----------------------------------------------------

  app.post('/_emulator/gateway/drop', async (request, reply) => {
    const b = body(z.object({ resumable: z.boolean().default(true) }), request.body);
    return json(reply, { dropped: control.dropGateway(b) });
  });

  app.get('/_emulator/gateway/sessions', async (_request, reply) =>
    json(reply, ctx.gateway.connectedSessions()),
  );

  app.post('/_emulator/faults', async (request, reply) =>
    json(reply, { id: control.addFault(body(faultSchema, request.body)) }, 201),
  );
  app.delete('/_emulator/faults', async (_request, reply) => {
    control.clearFaults();
    return reply.status(204).send();
  });
  app.delete<{ Params: { faultId: string } }>(
    '/_emulator/faults/:faultId',
    async (request, reply) => {
      control.clearFaults(Number(request.params.faultId));
      return reply.status(204).send();
    },
  );

  app.put('/_emulator/rate-limit', async (request, reply) => {
    const b = body(
      z.object({
        limit: z.number().positive().or(z.literal('off')),
        windowMs: z.number().int().positive().default(1000),
      }),
      request.body,
    );
    control.setRateLimit(b.limit === 'off' ? Number.POSITIVE_INFINITY : b.limit, b.windowMs);
    return reply.status(204).send();
  });

  app.get('/_emulator/requests', async (request, reply) => {
    const q = body(
      z.object({
        method: z.string().optional(),
        route: z.string().optional(),
        since: z.coerce.number().optional(),
      }),
      request.query,
    );
    return json(reply, control.requests(q));
  });

  app.put('/_emulator/oauth/preselect', async (request, reply) => {
    const b = body(z.object({ userId: id.nullable() }), request.body);
    control.preselectOAuthUser(b.userId);
    return reply.status(204).send();
  });

  // --- live updates for the web client (server-sent events) ------------------------------

  app.get<{ Querystring: { userId?: string } }>('/_emulator/live', (request, reply) => {
    const userId = request.query.userId ?? '';
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.write(': connected\n\n');
    const canSee = (channel: ChannelRecord | undefined) => {
      if (!channel) return false;
      if (channel.type === ChannelType.DM) return channel.recipients.includes(userId);
      const guild = channel.guildId ? state.guilds.get(channel.guildId) : undefined;
      return Boolean(guild && has(channelPermissions(guild, channel, userId), P.ViewChannel));
    };
    const onEvent = (event: StateEvent) => {
      let note: { t: string; channelId?: string; guildId?: string | null } | null = null;
      if (event.t === 'MESSAGE_CREATE' || event.t === 'MESSAGE_UPDATE') {
        const m = event.message;
        if (
          (m.visibleTo === null || m.visibleTo === userId) &&
          canSee(state.channels.get(m.channelId))
        ) {
          note = { t: event.t, channelId: m.channelId, guildId: m.guildId };
        }
      } else if (event.t === 'MESSAGE_DELETE' || event.t === 'MESSAGE_DELETE_BULK') {
        note = { t: event.t, channelId: event.channelId, guildId: event.guildId };
      } else if ('channel' in event) {
        note = { t: event.t, channelId: event.channel.id, guildId: event.channel.guildId };
      } else if (event.t === 'GUILD_MEMBER_UPDATE' || event.t === 'GUILD_ROLE_UPDATE') {
        note = { t: event.t, guildId: event.guildId };
      }
      if (note) res.write(`data: ${JSON.stringify(note)}\n\n`);
    };
    state.on('event', onEvent);
    const keepAlive = setInterval(() => res.write(': ping\n\n'), 15_000);
    request.raw.on('close', () => {
      clearInterval(keepAlive);
      state.off('event', onEvent);
    });
  });
}
