import type { DatabaseHandle, Executor } from '@ticketflow/db/client';
import { auditLog } from '@ticketflow/db/schema';
import { UnauthorizedError } from '@ticketflow/shared/errors';
import type { FastifyRequest } from 'fastify';
import type { AccessService } from './access.ts';
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
  }
}

export function requireSession(request: FastifyRequest): Session {
  if (!request.session) throw new UnauthorizedError();
  return request.session;
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
