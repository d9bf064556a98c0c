import * as Sentry from '@sentry/node';
import type { FastifyRequest } from 'fastify';
import { scrubText } from './scrub.ts';

const secretKey = /token|secret|password|cookie|authorization|content|answers|session/i;

function scrubObject(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') {
    return typeof value === 'string' ? scrubText(value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => scrubObject(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = secretKey.test(k) ? '[scrubbed]' : scrubObject(v, depth + 1);
  }
  return out;
}

/**
 * Sentry's `beforeSend`: no cookies, authorization headers, tokens, request
 * bodies or message content leave the process.
 */
export function scrubEvent<E extends Sentry.ErrorEvent>(event: E): E {
  if (event.request) {
    const { headers } = event.request;
    event.request.cookies = {};
    delete event.request.data;
    delete event.request.query_string;
    if (event.request.url) event.request.url = scrubText(event.request.url.split('?')[0] ?? '');
    if (headers) {
      event.request.headers = Object.fromEntries(
        Object.entries(headers).filter(([k]) => !secretKey.test(k)),
      );
    }
  }
  if (event.message) event.message = scrubText(event.message);
  for (const ex of event.exception?.values ?? []) {
    if (ex.value) ex.value = scrubText(ex.value);
    for (const frame of ex.stacktrace?.frames ?? []) {
      // Source lines around a frame can hold literals (tests keep fake tokens there).
      delete frame.vars;
      delete frame.pre_context;
      delete frame.context_line;
      delete frame.post_context;
    }
  }
  if (event.extra) event.extra = scrubObject(event.extra) as typeof event.extra;
  if (event.contexts) event.contexts = scrubObject(event.contexts) as typeof event.contexts;
  if (event.breadcrumbs) {
    event.breadcrumbs = event.breadcrumbs.map((b) => ({
      ...b,
      ...(b.message ? { message: scrubText(b.message) } : {}),
      data: scrubObject(b.data) as Record<string, unknown>,
    }));
  }
  delete event.user;
  return event;
}

/** Sentry, only when a DSN is configured; returns how the server reports a 500. */
export function initSentry(dsn: string, environment: string) {
  Sentry.init({
    dsn,
    environment,
    // 500s are reported once, by the error handler, with the id the client saw.
    integrations: (defaults) => defaults.filter((i) => i.name !== 'Fastify'),
    beforeSend: (event) => scrubEvent(event),
    beforeBreadcrumb: (crumb) => ({
      ...crumb,
      data: scrubObject(crumb.data) as Record<string, unknown>,
    }),
  });
  return (error: unknown, id: string, request?: FastifyRequest) => {
    Sentry.withScope((scope) => {
      scope.setTag('error_id', id);
      if (request) {
        scope.setSDKProcessingMetadata({
          normalizedRequest: {
            method: request.method,
            url: request.url,
            headers: Object.fromEntries(
              Object.entries(request.headers).map(([k, v]) => [k, String(v)]),
            ),
          },
        });
      }
      Sentry.captureException(error);
    });
  };
}

export const flushSentry = (ms = 2000) => Sentry.flush(ms);
