import type { DatabaseHandle } from '@ticketflow/db/client';
import type { FastifyInstance } from 'fastify';

/** `GET /healthz`: 200 when the database answers, 503 when it does not (Railway's health check). */
export function registerHealthRoutes(app: FastifyInstance, database: DatabaseHandle): void {
  app.get('/healthz', async (request, reply) => {
    try {
      await database.query('select 1');
      return { status: 'ok', database: database.kind };
    } catch (error) {
      request.log.warn({ err: error }, 'health check: database unavailable');
      return reply.status(503).send({ status: 'unavailable', database: database.kind });
    }
  });
}
