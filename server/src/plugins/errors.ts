import { randomUUID } from 'node:crypto';
import {
  isLostConflict,
  isTransientDatabaseError,
  LOST_CONFLICT_ANSWER,
} from '@ticketflow/db/errors';
import { AppError, FieldError } from '@ticketflow/shared/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isResponseSerializationError } from 'fastify-type-provider-zod';

interface ValidationItem {
  instancePath?: string;
  message?: string;
}

/**
 * One error handler: typed errors become their 4xx with a readable message,
 * validation failures a 400 with field errors, the database out of reach a
 * 503 that says to try again (and, for a change Postgres aborted for a
 * deadlock on every try, that it clashed with another), anything else a 500
 * that carries only an id to find it in the logs.
 */
export function registerErrorHandler(
  app: FastifyInstance,
  report: (error: unknown, id: string, request: FastifyRequest) => void = () => {},
): void {
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof AppError) {
      return reply.status(error.status).send({
        error: error.code,
        message: error.message,
        ...(error instanceof FieldError ? { fields: error.fields } : {}),
      });
    }
    const err = error as {
      validation?: ValidationItem[];
      validationContext?: string;
      statusCode?: number;
      message?: string;
      code?: string;
    };
    if (err.validation && !isResponseSerializationError(error)) {
      const where = err.validationContext ?? 'request';
      const fields = err.validation.map((v) => ({
        path: `${where}${(v.instancePath ?? '').replaceAll('/', '.').replace(/\.$/, '')}`,
        message: v.message ?? 'is invalid',
      }));
      return reply.status(400).send({
        error: 'bad_request',
        message:
          `Invalid ${where}: ${fields.map((f) => `${f.path} ${f.message}`).join('; ')}`.slice(
            0,
            500,
          ),
        fields,
      });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      const code = err.statusCode === 429 ? 'rate_limited' : 'bad_request';
      return reply.status(err.statusCode).send({ error: code, message: err.message });
    }
    if (isLostConflict(error)) {
      // Run three times (client.ts) and aborted each time: nothing was changed.
      request.log.warn({ err: error }, 'a change lost a deadlock on every try');
      return reply.status(503).header('retry-after', '1').send({
        error: 'conflict_busy',
        message: LOST_CONFLICT_ANSWER,
      });
    }
    if (isTransientDatabaseError(error)) {
      // An outage, not a fault in this request: the client may simply try again.
      request.log.warn({ err: error }, 'the database could not be reached');
      return reply.status(503).header('retry-after', '5').send({
        error: 'database_unavailable',
        message: 'The database cannot be reached just now; try again in a moment.',
      });
    }
    const id = randomUUID();
    request.log.error({ err: error, errorId: id }, 'unhandled error');
    report(error, id, request);
    return reply.status(500).send({ error: 'internal', message: 'Something went wrong', id });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({
      error: 'not_found',
      message: `No route for ${request.method} ${request.url.split('?')[0]}`,
    });
  });
}
