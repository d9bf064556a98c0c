import { randomUUID } from 'node:crypto';
import { AppError } from '@ticketflow/shared/errors';
import type { FastifyInstance } from 'fastify';

/**
 * One error handler: typed errors become their 4xx with a readable message,
 * validation failures a 400 with field errors, anything else a 500 that
 * carries only an id to find it in the logs.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof AppError) {
      return reply.status(error.status).send({ error: error.code, message: error.message });
    }
    const err = error as {
      validation?: unknown;
      statusCode?: number;
      message?: string;
      code?: string;
    };
    if (err.validation) {
      return reply
        .status(400)
        .send({ error: 'bad_request', message: err.message, fields: err.validation });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply
        .status(err.statusCode)
        .send({ error: err.code ?? 'bad_request', message: err.message });
    }
    const id = randomUUID();
    request.log.error({ err: error, errorId: id }, 'unhandled error');
    return reply.status(500).send({ error: 'internal', message: 'Something went wrong', id });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({
      error: 'not_found',
      message: `No route for ${request.method} ${request.url.split('?')[0]}`,
    });
  });
}
