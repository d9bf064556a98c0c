import type { DatabaseHandle } from '@ticketflow/db/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerDashboard } from './plugins/dashboard.ts';
import { registerErrorHandler } from './plugins/errors.ts';
import { registerHealthRoutes } from './routes/health/index.ts';

export interface AppOptions {
  database: DatabaseHandle;
  logger?: Logger | false;
  /** Folder of the dashboard build; defaults to dashboard/dist. */
  dashboardRoot?: string;
}

/** Builds the Fastify app without listening, so tests can `inject` into it. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger
      ? { loggerInstance: options.logger as FastifyBaseLogger }
      : { logger: false }),
    trustProxy: true,
    bodyLimit: 1024 * 1024,
  });
  registerErrorHandler(app);
  registerHealthRoutes(app, options.database);
  await registerDashboard(app, options.dashboardRoot);
  return app;
}
