import { z } from 'zod';
import type { EmulatorContext } from '../context.ts';
import { DiscordError, missingAccess, unauthorized } from '../errors.ts';
import { guildPermissions } from '../permissions.ts';
import { parse, type Router } from './router.ts';

const commandOption = z.looseObject({
  type: z.number().int(),
  name: z.string().regex(/^[-_\p{L}\p{N}]{1,32}$/u),
  description: z.string().max(100).optional(),
});
const commandSchema = z.looseObject({
  name: z.string().regex(/^[-_\p{L}\p{N}]{1,32}$/u, 'Command name is invalid'),
  description: z.string().max(100).default(''),
  type: z.number().int().min(1).max(4).default(1),
  options: z.array(commandOption).max(25).default([]),
  default_member_permissions: z.string().nullish(),
});

export function userRoutes(r: Router, ctx: EmulatorContext) {
  const { state, serializer } = ctx;
  const gatewayInfo = () => ({
    url: ctx.gateway.url,
    shards: 1,
    session_start_limit: {
      total: 1000,
      remaining: 999,
      reset_after: 14_400_000,
      max_concurrency: 1,
    },
  });

  r.route('GET', '/gateway', 'none', () => ({ url: ctx.gateway.url }));
  r.route('GET', '/gateway/bot', 'bot', gatewayInfo);

  r.route('GET', '/users/@me', 'either', ({ caller }) => {
    const user = serializer.user(state.user(caller.userId as string));
    if (caller.kind === 'bot')
      return { ...user, verified: true, mfa_enabled: false, locale: 'en-US' };
    if (!caller.scopes.includes('identify')) throw unauthorized();
    return { ...user, mfa_enabled: false, locale: 'en-US', premium_type: 0 };
  });

  r.route('GET', '/users/:userId', 'bot', ({ params }) =>
    serializer.user(state.user(params.userId as string)),
  );

  r.route('GET', '/users/@me/guilds', 'either', ({ caller }) => {
    if (caller.kind === 'bearer' && !caller.scopes.includes('guilds')) throw unauthorized();
    const userId = caller.userId as string;
    return [...state.guilds.values()]
      .filter((g) => g.members.has(userId))
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))
      .map((g) => ({
        id: g.id,
        name: g.name,
        icon: g.icon,
        banner: null,
        owner: g.ownerId === userId,
        permissions: guildPermissions(g, userId).toString(),
        features: [],
      }));
  });

  r.route('GET', '/applications/@me', 'bot', ({ caller }) => {
    const app = caller.app;
    if (!app) throw unauthorized();
    return {
      id: app.id,
      name: app.name,
      icon: null,
      description: '',
      summary: '',
      type: null,
      bot_public: true,
      bot_require_code_grant: false,
      verify_key: '0'.repeat(64),
      flags: (1 << 15) | (1 << 19) | (1 << 13),
      hook: true,
      is_monetized: false,
      is_verified: false,
      is_discoverable: false,
      bot: serializer.user(state.user(app.botUserId)),
      owner: serializer.user(state.user(app.botUserId)),
      team: null,
      redirect_uris: app.redirectUris,
      interactions_endpoint_url: null,
      approximate_guild_count: [...state.guilds.values()].filter((g) =>
        g.members.has(app.botUserId),
      ).length,
    };
  });

  // --- application commands -------------------------------------------------------

  const serializeCommand = (c: ReturnType<typeof state.listCommands>[number]) => ({
    id: c.id,
    application_id: c.applicationId,
    version: c.version,
    default_member_permissions: c.defaultMemberPermissions,
    type: c.type,
    name: c.name,
    description: c.description,
    dm_permission: true,
    contexts: null,
    integration_types: [0],
    options: c.options,
    nsfw: false,
    ...(c.guildId ? { guild_id: c.guildId } : {}),
  });

  const ownApp = (caller: { app: { id: string } | null }, appId: string | undefined) => {
    if (!caller.app || caller.app.id !== appId) throw missingAccess();
    return caller.app.id;
  };

  const overwrite = (guild: boolean) =>
    (({ caller, params, body }) => {
      const appId = ownApp(caller, params.applicationId);
      const guildId = guild ? state.guild(params.guildId as string).id : null;
      const commands = parse(z.array(commandSchema).max(100), body);
      const names = new Set<string>();
      for (const c of commands) {
        const key = `${c.type}:${c.name}`;
        if (names.has(key)) {
          throw new DiscordError(400, 50035, 'Invalid Form Body', {
            _errors: [
              {
                code: 'APPLICATION_COMMANDS_DUPLICATE_NAME',
                message: `Application command names must be unique: ${c.name}`,
              },
            ],
          });
        }
        names.add(key);
      }
      return state
        .overwriteCommands(
          appId,
          guildId,
          commands.map((c) => ({
            name: c.name,
            description: c.description,
            type: c.type,
            options: c.options,
            defaultMemberPermissions: c.default_member_permissions ?? null,
          })),
        )
        .map(serializeCommand);
    }) satisfies Parameters<Router['route']>[3];

  r.route('PUT', '/applications/:applicationId/commands', 'bot', overwrite(false));
  r.route('PUT', '/applications/:applicationId/guilds/:guildId/commands', 'bot', overwrite(true));
  r.route('GET', '/applications/:applicationId/commands', 'bot', ({ caller, params }) =>
    state.listCommands(ownApp(caller, params.applicationId), null).map(serializeCommand),
  );
  r.route(
    'GET',
    '/applications/:applicationId/guilds/:guildId/commands',
    'bot',
    ({ caller, params }) =>
      state
        .listCommands(
          ownApp(caller, params.applicationId),
          state.guild(params.guildId as string).id,
        )
        .map(serializeCommand),
  );
}
