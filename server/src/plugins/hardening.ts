import rateLimit from '@fastify/rate-limit';
import { ForbiddenError } from '@ticketflow/shared/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import type { ServerContext } from '../context.ts';

export interface RateLimits {
  /** Requests per minute per session (or address when logged out). */
  perMinute: number;
  /** Login attempts per minute per address. */
  authPerMinute: number;
}

export const defaultRateLimits: RateLimits = { perMinute: 600, authPerMinute: 30 };

const mutating = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * CSRF per DESIGN.md: a mutating request from a browser must come from our
 * own origin. Browsers send Sec-Fetch-Site (and Origin); a request without
 * either is not from a browser page, and the SameSite=Lax cookie already
 * keeps cross-site form posts from carrying the session.
 */
export function isCrossSite(request: FastifyRequest, publicOrigin: string): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') return site !== 'same-origin' && site !== 'none';
  const origin = request.headers.origin;
  if (typeof origin === 'string') return origin !== publicOrigin;
  return false;
}

export async function registerHardening(
  app: FastifyInstance,
  ctx: ServerContext,
  limits: RateLimits,
): Promise<void> {
  // Helmet's middleware, built once: @fastify/helmet builds it again on every
  // request (parsing the CSP each time), which cost a quarter of the board's
  // requests per second (docs/decisions.md).
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // The dashboard's inline style attributes (virtualised lists, drag overlays).
        styleSrc: ["'self'", "'unsafe-inline'"],
        // Avatars and attachments come from Discord's CDN (or the emulator).
        imgSrc: [
          "'self'",
          'data:',
          'https://cdn.discordapp.com',
          'https://media.discordapp.net',
          new URL(ctx.discord.options.apiUrl).origin,
        ],
        connectSrc: ["'self'", ctx.publicUrl.replace(/^http/, 'ws')],
        fontSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'", ctx.discord.options.oauthUrl],
      },
    },
    // Discord avatars are cross-origin images.
    crossOriginEmbedderPolicy: false,
    hsts: ctx.secure,
  });
  app.addHook('onRequest', (request, reply, done) => {
    securityHeaders(request.raw, reply.raw, (error?: unknown) =>
      error ? done(error as Error) : done(),
    );
  });

  await app.register(rateLimit, {
    max: limits.perMinute,
    timeWindow: '1 minute',
    keyGenerator: (request) => request.session?.idHash ?? request.ip,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: 'rate_limited',
      message: `Too many requests; try again in ${Math.ceil(context.ttl / 1000)} s`,
    }),
  });

  const publicOrigin = new URL(ctx.publicUrl).origin;
  app.addHook('onRequest', async (request) => {
    if (mutating.has(request.method) && isCrossSite(request, publicOrigin)) {
      throw new ForbiddenError('Cross-site request refused');
    }
  });
}

/** The stricter limit for the login routes, applied as route config. */
export const authRateLimit = (limits: RateLimits) => ({
  rateLimit: {
    max: limits.authPerMinute,
    timeWindow: '1 minute',
    keyGenerator: (r: FastifyRequest) => r.ip,
  },
});
