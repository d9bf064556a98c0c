import type { DatabaseHandle, Executor } from '@ticketflow/db/client';
import type { GuildAccessFacts } from '@ticketflow/db/repositories/guilds';
import { auditLog } from '@ticketflow/db/schema';
import type { AccessRole } from '@ticketflow/shared/api';
import { UnauthorizedError } from '@ticketflow/shared/errors';
import type { FastifyRequest } from 'fastify';
import type { Access, AccessService } from './access.ts';
import type { DiscordClient } from './discord.ts';
import type { Session } from './sessions.ts';

/** What every route and the socket layer share. */
export interface ServerContext {
  database: DatabaseHandle;
  db: Executor;
  discord: DiscordClient;
  access: AccessService;
  /** Where people reach the dashboard; its origin is the only one mutating requests may come from. */
  publicUrl: string;
  /** Behind HTTPS: `__Host-` cookies with Secure. */
  secure: boolean;
  cookieName: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    session: Session | null;
    /** The access facts of the guild in the URL, read with the session (auth.ts). */
    prefetchedGuild: { guildId: string; facts: GuildAccessFacts | undefined } | null;
  }
}

export function requireSession(request: FastifyRequest): Session {
  if (!request.session) throw new UnauthorizedError();
  return request.session;
}

/**
 * The signed-in user's access to a guild (404 without it, or without `role`).
 * The guild's facts come from the session lookup when the URL names this
 * guild; they are used once, so a later check in the same request reads anew.
 */
export function requireAccess(
  ctx: ServerContext,
  request: FastifyRequest,
  guildId: string,
  role: AccessRole = 'staff',
): Promise<Access> {
  const session = requireSession(request);
  const prefetched = request.prefetchedGuild;
  request.prefetchedGuild = null;
  return ctx.access.require(
    session.user.id,
    guildId,
    role,
    prefetched?.guildId === guildId ? { facts: prefetched.facts } : undefined,
  );
}

/** One audit row: who did what to which thing, from where. */
export async function audit(
  db: Executor,
  request: FastifyRequest,
  entry: {
    guildId: string | null;
    action: string;
    targetType?: string;
    targetId?: string;
    data?: Record<string, unknown>;
    actorId?: string | null;
  },
): Promise<void> {
  await db.insert(auditLog).values({
    guildId: entry.guildId,
    actorId: entry.actorId ?? request.session?.user.id ?? null,
    action: entry.action,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    ip: request.ip,
    userAgent: request.headers['user-agent']?.slice(0, 200) ?? null,
    data: entry.data ?? {},
  });
}
