import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ZodType, z } from 'zod';
import type { EmulatorContext } from '../context.ts';
import {
  DiscordError,
  invalidFormBody,
  missingAccess,
  missingPermissions,
  unauthorized,
} from '../errors.ts';
import { randomToken, snowflake } from '../ids.ts';
import type { ApplicationRecord, AttachmentRecord, ChannelRecord, GuildRecord } from '../model.ts';
import { channelPermissions, guildPermissions, has, P } from '../permissions.ts';

export type AuthKind = 'bot' | 'bearer' | 'either' | 'none';

export interface Caller {
  kind: 'bot' | 'bearer' | 'none';
  app: ApplicationRecord | null;
  /** The bot user for a bot token, the user for a bearer token. */
  userId: string | null;
  scopes: string[];
}

export interface RouteContext {
  caller: Caller;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  body: unknown;
  files: AttachmentRecord[];
  reply: FastifyReply;
}

type Handler = (ctx: RouteContext) => unknown | Promise<unknown>;

/** Returned by a handler for a status other than 200 (204 when there is no body). */
export class Status {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body?: unknown) {
    this.status = status;
    this.body = body;
  }
}

/** Parses a request part with zod; a failure is Discord's 50035 with its field errors. */
export function parse<T extends ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw invalidFormBody(
    result.error.issues.map((i) => ({
      path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
      message: i.message,
    })),
  );
}

export const snowflakeString = z.string().regex(/^\d{1,20}$/, 'Value "is not snowflake."');

function callerFor(ctx: EmulatorContext, header: string | undefined): Caller {
  const none: Caller = { kind: 'none', app: null, userId: null, scopes: [] };
  if (!header) return none;
  const [scheme, token] = header.split(' ', 2);
  if (scheme === 'Bot' && token) {
    const app = ctx.state.applicationByToken(token);
    return app ? { kind: 'bot', app, userId: app.botUserId, scopes: ['bot'] } : none;
  }
  if (scheme === 'Bearer' && token) {
    const grant = ctx.oauth.bearer(token);
    if (!grant) return none;
    return {
      kind: 'bearer',
      app: ctx.state.applications.get(grant.appId) ?? null,
      userId: grant.userId,
      scopes: grant.scopes,
    };
  }
  return none;
}

/** Throws 50001 when the caller cannot see the channel, 50013 when it lacks `needed` there. */
export function requireChannelPermission(
  ctx: EmulatorContext,
  caller: Caller,
  channel: ChannelRecord,
  needed: bigint,
): void {
  if (!caller.userId) throw unauthorized();
  if (!channel.guildId) {
    if (!channel.recipients.includes(caller.userId)) throw missingAccess();
    return;
  }
  const guild = ctx.state.guild(channel.guildId);
  const perms = channelPermissions(guild, channel, caller.userId);
  if (!has(perms, P.ViewChannel)) throw missingAccess();
  if (!has(perms, needed)) throw missingPermissions();
}

/** Throws 50001 when the caller is not in the guild, 50013 when it lacks `needed` there. */
export function requireGuildPermission(caller: Caller, guild: GuildRecord, needed: bigint): void {
  if (!caller.userId || !guild.members.has(caller.userId)) throw missingAccess();
  if (!has(guildPermissions(guild, caller.userId), needed)) throw missingPermissions();
}

const MAJOR = ['channelId', 'guildId', 'webhookId', 'interactionId'];

/**
 * Registers Discord REST routes on a Fastify scope: authentication, the
 * request log, injected faults, rate-limit headers and 429s, Discord's error
 * shape. Handlers see parsed params, query, JSON or multipart body.
 */
export class Router {
  private readonly app: FastifyInstance;
  private readonly ctx: EmulatorContext;
  private readonly prefix: string;

  constructor(app: FastifyInstance, ctx: EmulatorContext, prefix: string) {
    this.app = app;
    this.ctx = ctx;
    this.prefix = prefix;
  }

  route(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    auth: AuthKind,
    handler: Handler,
  ) {
    this.app.route({
      method,
      url: path,
      handler: (request, reply) => this.run(method, path, auth, handler, request, reply),
    });
  }

  private async run(
    method: string,
    route: string,
    auth: AuthKind,
    handler: Handler,
    request: FastifyRequest,
    reply: FastifyReply,
  ) {
    const params = request.params as Record<string, string>;
    const caller = callerFor(this.ctx, request.headers.authorization);
    const path = request.url.split('?')[0]?.slice(this.prefix.length) ?? '';
    const entry = {
      at: Date.now(),
      method,
      path,
      route,
      status: 0,
      auth: caller.kind,
    } as EmulatorContext['requestLog'][number];
    this.ctx.requestLog.push(entry);
    if (this.ctx.requestLog.length > 20_000) this.ctx.requestLog.splice(0, 5_000);

    const fault = this.ctx.faults.match(method, route, path);
    if (fault?.kind === 'reset') {
      entry.fault = 'reset';
      // A TCP reset, as a dropped connection looks to the client (ECONNRESET).
      request.raw.socket.resetAndDestroy();
      return reply.hijack();
    }
    if (fault?.kind === 'slow') {
      entry.fault = 'slow';
      await new Promise((r) => setTimeout(r, fault.delayMs));
    }
    const major = MAJOR.map((k) => params[k]).find(Boolean) ?? '';
    const limit = this.ctx.limiter.take(method, route, major);
    reply.headers(limit.headers);
    if (fault?.kind === 'rate_limit' || limit.limited) {
      const retryAfter = fault?.kind === 'rate_limit' ? fault.retryAfter : limit.retryAfter;
      const global = fault?.kind === 'rate_limit' && fault.global;
      entry.fault = fault ? 'rate_limit' : undefined;
      entry.status = 429;
      reply.header('retry-after', retryAfter.toFixed(3));
      reply.header('x-ratelimit-scope', global ? 'global' : 'user');
      if (global) reply.header('x-ratelimit-global', 'true');
      return reply.status(429).send({
        message: 'You are being rate limited.',
        retry_after: retryAfter,
        global,
        ...(global ? {} : { code: 0 }),
      });
    }
    if (fault?.kind === 'server_error') {
      entry.fault = 'server_error';
      entry.status = fault.status;
      return reply.status(fault.status).send({ message: 'Internal Server Error', code: 0 });
    }

    try {
      if (auth !== 'none') {
        const ok =
          (auth === 'bot' && caller.kind === 'bot') ||
          (auth === 'bearer' && caller.kind === 'bearer') ||
          (auth === 'either' && caller.kind !== 'none');
        if (!ok) throw unauthorized();
      }
      const { body, files } = await this.readBody(request);
      entry.body = body;
      const result = await handler({
        caller,
        params,
        query: request.query as Record<string, string | undefined>,
        body,
        files,
        reply,
      });
      if (result instanceof Status) {
        entry.status = result.status;
        return result.body === undefined
          ? reply.status(result.status).send()
          : reply.status(result.status).send(result.body);
      }
      if (result === undefined) {
        entry.status = 204;
        return reply.status(204).send();
      }
      entry.status = 200;
      return reply.status(200).send(result);
    } catch (error) {
      if (error instanceof DiscordError) {
        entry.status = error.status;
        return reply.status(error.status).send(error.body());
      }
      throw error;
    }
  }

  /** JSON, or multipart with `payload_json` and `files[n]` the way discord.js sends files. */
  private async readBody(
    request: FastifyRequest,
  ): Promise<{ body: unknown; files: AttachmentRecord[] }> {
    if (!request.isMultipart()) return { body: request.body, files: [] };
    let body: unknown = {};
    const files: AttachmentRecord[] = [];
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const data = await part.toBuffer();
        files.push({
          id: snowflake(),
          filename: part.filename || `file-${randomToken(4)}`,
          size: data.length,
          contentType: part.mimetype || null,
          data,
        });
      } else if (part.fieldname === 'payload_json') {
        try {
          body = JSON.parse(String(part.value));
        } catch {
          throw invalidFormBody([{ path: ['payload_json'], message: 'Invalid JSON' }]);
        }
      }
    }
    return { body, files };
  }
}
