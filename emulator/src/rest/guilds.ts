import { z } from 'zod';
import type { EmulatorContext } from '../context.ts';
import { missingAccess, missingPermissions, unknownRole } from '../errors.ts';
import { guildPermissions, has, P } from '../permissions.ts';
import { parse, type Router, requireGuildPermission, snowflakeString } from './router.ts';

const bits = z
  .union([z.string().regex(/^\d+$/), z.number().int().nonnegative()])
  .transform((v) => BigInt(v));

const roleSchema = z.object({
  name: z.string().max(100).optional(),
  permissions: bits.optional(),
  color: z.number().int().nullish(),
  hoist: z.boolean().optional(),
  mentionable: z.boolean().optional(),
});

/** The highest role position a member holds: one may only manage roles below it. */
function topPosition(ctx: EmulatorContext, guildId: string, userId: string): number {
  const guild = ctx.state.guild(guildId);
  if (guild.ownerId === userId) return Number.POSITIVE_INFINITY;
  const member = ctx.state.member(guildId, userId);
  return Math.max(0, ...member.roles.map((r) => guild.roles.get(r)?.position ?? 0));
}

export function guildRoutes(r: Router, ctx: EmulatorContext) {
  const { state, serializer } = ctx;

  r.route('GET', '/guilds/:guildId', 'either', ({ caller, params, query }) => {
    const guild = state.guild(params.guildId as string);
    if (!caller.userId || !guild.members.has(caller.userId)) throw missingAccess();
    return {
      ...serializer.guild(guild),
      ...(query.with_counts === 'true'
        ? { approximate_member_count: guild.members.size, approximate_presence_count: 0 }
        : {}),
    };
  });

  r.route('GET', '/guilds/:guildId/channels', 'bot', ({ caller, params }) => {
    const guild = state.guild(params.guildId as string);
    requireGuildPermission(caller, guild, 0n);
    return [...guild.channels.values()]
      .filter((c) => c.type !== 11 && c.type !== 12 && c.type !== 10)
      .map((c) => serializer.channel(c));
  });

  r.route('GET', '/guilds/:guildId/members/:userId', 'bot', ({ caller, params }) => {
    const guild = state.guild(params.guildId as string);
    requireGuildPermission(caller, guild, 0n);
    return serializer.member(state.member(guild.id, params.userId as string));
  });

  r.route('GET', '/guilds/:guildId/members', 'bot', ({ caller, params, query }) => {
    const guild = state.guild(params.guildId as string);
    requireGuildPermission(caller, guild, 0n);
    const q = parse(
      z.object({
        limit: z.coerce.number().int().min(1).max(1000).default(1),
        after: z.string().regex(/^\d+$/).default('0'),
      }),
      query,
    );
    const after = BigInt(q.after);
    return [...guild.members.values()]
      .filter((m) => BigInt(m.userId) > after)
      .sort((a, b) => (BigInt(a.userId) < BigInt(b.userId) ? -1 : 1))
      .slice(0, q.limit)
      .map((m) => serializer.member(m));
  });

  r.route('GET', '/guilds/:guildId/members/search', 'bot', ({ caller, params, query }) => {
    const guild = state.guild(params.guildId as string);
    requireGuildPermission(caller, guild, 0n);
    const q = parse(
      z.object({ query: z.string(), limit: z.coerce.number().int().min(1).max(1000).default(1) }),
      query,
    );
    const needle = q.query.toLowerCase();
    return [...guild.members.values()]
      .filter((m) => {
        const u = state.user(m.userId);
        return (
          u.username.toLowerCase().startsWith(needle) ||
          (m.nick ?? '').toLowerCase().startsWith(needle)
        );
      })
      .slice(0, q.limit)
      .map((m) => serializer.member(m));
  });

  const memberRole = (add: boolean) =>
    (({ caller, params }) => {
      const guild = state.guild(params.guildId as string);
      requireGuildPermission(caller, guild, P.ManageRoles);
      const role = guild.roles.get(params.roleId as string);
      if (!role || role.id === guild.id) throw unknownRole();
      if (role.managed || role.position >= topPosition(ctx, guild.id, caller.userId as string)) {
        throw missingPermissions();
      }
      const member = state.member(guild.id, params.userId as string);
      const roles = add ? [...member.roles, role.id] : member.roles.filter((id) => id !== role.id);
      state.setMemberRoles(guild.id, member.userId, roles);
      return undefined;
    }) satisfies Parameters<Router['route']>[3];
  r.route('PUT', '/guilds/:guildId/members/:userId/roles/:roleId', 'bot', memberRole(true));
  r.route('DELETE', '/guilds/:guildId/members/:userId/roles/:roleId', 'bot', memberRole(false));

  r.route('GET', '/guilds/:guildId/roles', 'bot', ({ caller, params }) => {
    const guild = state.guild(params.guildId as string);
    requireGuildPermission(caller, guild, 0n);
    return [...guild.roles.values()].map((role) => serializer.role(role));
  });

  r.route('POST', '/guilds/:guildId/roles', 'bot', ({ caller, params, body }) => {
    const guild = state.guild(params.guildId as string);
    requireGuildPermission(caller, guild, P.ManageRoles);
    const input = parse(roleSchema, body);
    const perms = guildPermissions(guild, caller.userId as string);
    if (input.permissions && !has(perms, P.Administrator) && input.permissions & ~perms) {
      throw missingPermissions();
    }
    const role = state.createRole(guild.id, {
      name: input.name ?? 'new role',
      permissions: input.permissions ?? 0n,
      color: input.color ?? 0,
      hoist: input.hoist ?? false,
      mentionable: input.mentionable ?? false,
    });
    return serializer.role(role);
  });

  r.route('PATCH', '/guilds/:guildId/roles/:roleId', 'bot', ({ caller, params, body }) => {
    const guild = state.guild(params.guildId as string);
    requireGuildPermission(caller, guild, P.ManageRoles);
    const role = guild.roles.get(params.roleId as string);
    if (!role) throw unknownRole();
    if (role.position >= topPosition(ctx, guild.id, caller.userId as string))
      throw missingPermissions();
    const input = parse(roleSchema, body);
    return serializer.role(
      state.updateRole(guild.id, role.id, {
        ...(input.name === undefined ? {} : { name: input.name }),
        ...(input.permissions === undefined ? {} : { permissions: input.permissions }),
        ...(input.color == null ? {} : { color: input.color }),
        ...(input.hoist === undefined ? {} : { hoist: input.hoist }),
        ...(input.mentionable === undefined ? {} : { mentionable: input.mentionable }),
      }),
    );
  });

  r.route('DELETE', '/guilds/:guildId/roles/:roleId', 'bot', ({ caller, params }) => {
    const guild = state.guild(params.guildId as string);
    requireGuildPermission(caller, guild, P.ManageRoles);
    const role = guild.roles.get(params.roleId as string);
    if (!role || role.id === guild.id) throw unknownRole();
    if (role.managed || role.position >= topPosition(ctx, guild.id, caller.userId as string)) {
      throw missingPermissions();
    }
    state.deleteRole(guild.id, role.id);
    return undefined;
  });

  r.route('DELETE', '/users/@me/guilds/:guildId', 'bot', ({ caller, params }) => {
    const guild = state.guild(params.guildId as string);
    if (!caller.app || !guild.members.has(caller.app.botUserId)) throw missingAccess();
    state.removeBot(guild.id, caller.app.id);
    return undefined;
  });

  r.route('POST', '/users/@me/channels', 'bot', ({ caller, body }) => {
    const { recipient_id } = parse(z.object({ recipient_id: snowflakeString }), body);
    return serializer.channel(state.dmChannel(caller.userId as string, recipient_id));
  });
}
