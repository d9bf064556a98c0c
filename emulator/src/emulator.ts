import type { AddressInfo } from 'node:net';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import type { EmulatorContext, RequestLogEntry } from './context.ts';
import { Control } from './control.ts';
import { registerControlRoutes } from './control-routes.ts';
import { Gateway, type GatewayOptions } from './gateway.ts';
import { Faults } from './http/faults.ts';
import { RateLimiter } from './http/ratelimit.ts';
import { registerOAuth } from './oauth.ts';
import { OAuthStore } from './oauth-store.ts';
import { StatePersister } from './persist.ts';
import { channelRoutes } from './rest/channels.ts';
import { guildRoutes } from './rest/guilds.ts';
import { interactionRoutes } from './rest/interactions.ts';
import { Router } from './rest/router.ts';
import { userRoutes } from './rest/users.ts';
import { Serializer } from './serialize.ts';
import { DiscordState } from './state.ts';
import { registerWebClient } from './web/client.ts';

export interface EmulatorOptions {
  port?: number;
  host?: string;
  gateway?: GatewayOptions;
  /** Per-route bucket size; Infinity (the default) sends headers but never limits. */
  rateLimit?: { limit: number; windowMs: number };
  /** Keep the world in this JSON file: read at start when it exists, saved as it changes and at close. */
  stateFile?: string;
}

/**
 * A local Discord in one process: REST under `/api/v10`, the gateway at
 * `/gateway`, OAuth2, the control API under `/_emulator` and a small web
 * client at `/app`.
 */
export class Emulator {
  readonly state = new DiscordState();
  readonly control: Control;
  readonly gateway: Gateway;
  private readonly http: FastifyInstance;
  private readonly ctx: EmulatorContext;
  private address = '';
  private readonly persister: StatePersister | undefined;
  /** True when the world was read from `stateFile` (so it must not be seeded again). */
  readonly restored: boolean = false;

  private constructor(options: EmulatorOptions) {
    const serializer = new Serializer(this.state, () => this.url);
    this.gateway = new Gateway(this.state, serializer, () => this.url, options.gateway);
    const requestLog: RequestLogEntry[] = [];
    this.ctx = {
      state: this.state,
      serializer,
      gateway: this.gateway,
      oauth: new OAuthStore(),
      faults: new Faults(),
      limiter: new RateLimiter(
        options.rateLimit ?? { limit: Number.POSITIVE_INFINITY, windowMs: 1000 },
      ),
      requestLog,
      baseUrl: () => this.url,
    };
    this.control = new Control(this.ctx);
    if (options.stateFile) {
      this.persister = new StatePersister(this.state, this.ctx.oauth, options.stateFile);
      this.restored = this.persister.load();
    }
    this.http = Fastify({
      logger: false,
      bodyLimit: 25 * 1024 * 1024,
      // The web client's live stream never ends by itself; closing must not wait for it.
      forceCloseConnections: true,
      // discord.js percent-encodes `@me`; Discord's router treats both the same.
      rewriteUrl: (request) => (request.url ?? '/').replace(/%40me\b/gi, '@me'),
    });
  }

  /** Starts the emulator; `port: 0` (the default) picks a free port. */
  static async start(options: EmulatorOptions = {}): Promise<Emulator> {
    const emulator = new Emulator(options);
    try {
      await emulator.listen(options.port ?? 0, options.host ?? '127.0.0.1');
    } catch (error) {
      emulator.gateway.close();
      await emulator.http.close();
      emulator.persister?.close();
      throw error;
    }
    return emulator;
  }

  /** Base URL, e.g. http://127.0.0.1:4123 */
  get url(): string {
    return this.address;
  }

  /** What discord.js takes as `rest.api`. */
  get apiUrl(): string {
    return `${this.address}/api`;
  }

  /** The web client for playing a member. */
  get clientUrl(): string {
    return `${this.address}/app`;
  }

  private async listen(port: number, host: string) {
    const app = this.http;
    await app.register(formbody);
    await app.register(multipart, { limits: { fileSize: 25 * 1024 * 1024, files: 10 } });
    for (const prefix of ['/api/v10', '/api']) {
      await app.register(
        async (scope) => {
          const router = new Router(scope, this.ctx, prefix);
          userRoutes(router, this.ctx);
          guildRoutes(router, this.ctx);
          channelRoutes(router, this.ctx);
          interactionRoutes(router, this.ctx);
          scope.setNotFoundHandler((_request, reply) =>
            reply.status(404).send({ message: '404: Not Found', code: 0 }),
          );
        },
        { prefix },
      );
    }
    registerOAuth(app, this.ctx);
    registerControlRoutes(app, this.ctx, this.control);
    registerWebClient(app, this.ctx);
    app.get<{ Params: { channelId: string; attachmentId: string } }>(
      '/attachments/:channelId/:attachmentId/:filename',
      async (request, reply) => {
        const messages = this.state.messages.get(request.params.channelId) ?? [];
        for (const m of messages) {
          const a = m.attachments.find((x) => x.id === request.params.attachmentId);
          if (a) return reply.type(a.contentType ?? 'application/octet-stream').send(a.data);
        }
        return reply.status(404).send({ message: '404: Not Found', code: 0 });
      },
    );
    app.server.on('upgrade', (request, socket, head) => {
      if ((request.url ?? '').startsWith('/gateway'))
        this.gateway.handleUpgrade(request, socket, head);
      else socket.destroy();
    });
    await app.listen({ port, host });
    const { port: actual } = app.server.address() as AddressInfo;
    this.address = `http://${host}:${actual}`;
  }

  async close(): Promise<void> {
    this.gateway.close();
    await this.http.close();
    this.persister?.close();
  }
}
