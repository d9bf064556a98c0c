import fastifySwagger from '@fastify/swagger';
import type { DatabaseHandle } from '@ticketflow/db/client';
import { keyCount } from '@ticketflow/db/crypto';
import { scheduleJob } from '@ticketflow/db/repositories/jobs';
import { stopStep } from '@ticketflow/shared/stopping';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
} from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { AccessService } from './access.ts';
import type { ServerContext } from './context.ts';
import { createDataJobWorker, REENCRYPT_JOB, RETENTION_JOB } from './data-jobs.ts';
import { DiscordClient, type DiscordOptions } from './discord.ts';
import { registerAuthRoutes, registerSessions } from './plugins/auth.ts';
import { registerConnectionTracking } from './plugins/connections.ts';
import { registerDashboard } from './plugins/dashboard.ts';
import { registerErrorHandler } from './plugins/errors.ts';
import { defaultRateLimits, type RateLimits, registerHardening } from './plugins/hardening.ts';
import { attachRealtime, type RealtimeOptions } from './realtime.ts';
import { registerDataRoutes } from './routes/api/data.ts';
import { registerGuildRoutes } from './routes/api/guilds.ts';
import { registerSettingsRoutes } from './routes/api/settings.ts';
import { registerTicketRoutes } from './routes/api/tickets.ts';
import { registerHealthRoutes } from './routes/health/index.ts';

export interface AppOptions {
  database: DatabaseHandle;
  logger?: Logger | false;
  /** Folder of the dashboard build; defaults to dashboard/dist. */
  dashboardRoot?: string;
  /** Discord (or the emulator). Without it only health and the dashboard are served. */
  discord?: DiscordOptions;
  /** Where people reach the dashboard (cookies, CSRF, OAuth redirect). */
  publicUrl?: string;
  rateLimits?: RateLimits;
  /** Socket.IO; false: none (tests of plain HTTP). */
  realtime?: RealtimeOptions | false;
  /** How long member roles are cached (at most a minute). */
  accessTtlMs?: number;
  /** Keep serialised boards until the guild's seq moves (default on; the benchmark turns it off to compare). */
  boardCache?: boolean;
  /** Serve /api/openapi.json (development). */
  openApi?: boolean;
  /** Where export archives are written (DATA_DIR); default ./.data. */
  dataDir?: string;
  /** Run the data jobs (exports, purges, retention, re-encryption) in this process (default on). */
  dataJobs?: boolean | { pollMs?: number };
  /** Where 500s are reported (Sentry), with the id the client was given. */
  reportError?: (error: unknown, id: string, request: FastifyRequest) => void;
}

export type App = FastifyInstance & {
  realtime?: ReturnType<typeof attachRealtime>;
  /** Every route registered (method and URL pattern): the authorisation matrix test checks it covers them. */
  routeList: { method: string; url: string }[];
};

/** Builds the Fastify app without listening, so tests can `inject` into it. */
export async function buildApp(options: AppOptions): Promise<App> {
  const app = Fastify({
    ...(options.logger
      ? { loggerInstance: options.logger as FastifyBaseLogger }
      : { logger: false }),
    trustProxy: true,
    bodyLimit: 1024 * 1024,
  }) as unknown as App;
  app.routeList = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') app.routeList.push({ method, url: route.url });
    }
  });
  registerConnectionTracking(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app, options.reportError);
  registerHealthRoutes(app, options.database);

  if (options.discord) {
    const publicUrl = (options.publicUrl ?? 'http://localhost:3000').replace(/\/+$/, '');
    const secure = publicUrl.startsWith('https://');
    const discord = new DiscordClient(options.discord);
    const ctx: ServerContext = {
      database: options.database,
      db: options.database.db,
      discord,
      access: new AccessService(options.database.db, discord, options.accessTtlMs),
      publicUrl,
      secure,
      cookieName: secure ? '__Host-tf_session' : 'tf_session',
    };
    const limits = options.rateLimits ?? defaultRateLimits;
    if (options.openApi ?? true) {
      await app.register(fastifySwagger, {
        openapi: {
          info: { title: 'TicketFlow API', version: '0.1.0' },
          components: {
            securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: ctx.cookieName } },
          },
        },
        transform: jsonSchemaTransform,
      });
    }
    await registerSessions(app, ctx);
    await registerHardening(app, ctx, limits);
    await registerAuthRoutes(app, ctx, limits);
    registerGuildRoutes(app, ctx);
    registerTicketRoutes(app, ctx, { boardCache: options.boardCache ?? true });
    registerSettingsRoutes(app, ctx);
    registerDataRoutes(app, ctx);
    if (options.dataJobs !== false) {
      const worker = createDataJobWorker({
        database: options.database,
        dataDir: options.dataDir ?? './.data',
        log: options.logger || { error: () => {}, info: () => {} },
        workerId: `server-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
        ...(typeof options.dataJobs === 'object' ? options.dataJobs : {}),
      });
      app.addHook('onReady', async () => {
        // The daily purge runs at start-up and every day after; after a key
        // rotation (more than one key), the re-encryption too.
        await scheduleJob(ctx.db, { ...RETENTION_JOB, runAt: new Date() });
        if (keyCount() > 1) await scheduleJob(ctx.db, { ...REENCRYPT_JOB, runAt: new Date() });
        await worker.start();
      });
      app.addHook('preClose', async () => {
        await stopStep(options.logger || undefined, 'server: data jobs', () => worker.stop());
      });
    }
    if (options.openApi ?? true) {
      app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    }
    if (options.realtime !== false) {
      const realtime = attachRealtime(app, ctx, {
        ...(options.logger ? { log: options.logger } : {}),
        ...(options.realtime ?? {}),
      });
      app.realtime = realtime;
      app.addHook('onReady', async () => {
        await realtime.ready;
      });
      app.addHook('preClose', async () => {
        await realtime.close();
      });
    }
  }
  await registerDashboard(app, options.dashboardRoot);
  return app;
}
