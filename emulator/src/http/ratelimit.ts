import { createHash } from 'node:crypto';

export interface RateLimitOptions {
  /** Requests per window per bucket; Infinity turns enforcement off (headers are still sent). */
  limit: number;
  windowMs: number;
}

interface Bucket {
  remaining: number;
  resetAt: number;
}

/**
 * Discord-style per-route buckets: every answer carries X-RateLimit-* headers,
 * and a caller that exceeds a bucket gets 429 with `retry_after`.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private options: RateLimitOptions;
  constructor(options: RateLimitOptions) {
    this.options = options;
  }

  /** New limits apply at once: existing buckets are forgotten. */
  configure(options: RateLimitOptions): void {
    this.options = options;
    this.buckets.clear();
  }

  /** Counts one call; returns the headers to send and whether it is over the limit. */
  take(method: string, route: string, majorParameter: string) {
    const key = `${method}:${route}:${majorParameter}`;
    const now = Date.now();
    const { limit, windowMs } = this.options;
    let bucket = this.buckets.get(key);
    if (!bucket || bucket.resetAt <= now) {
      bucket = { remaining: Number.isFinite(limit) ? limit : 1_000_000, resetAt: now + windowMs };
      this.buckets.set(key, bucket);
    }
    const limited = bucket.remaining <= 0;
    if (!limited) bucket.remaining -= 1;
    const resetAfter = Math.max(0, bucket.resetAt - now) / 1000;
    const headers: Record<string, string> = {
      'x-ratelimit-limit': String(Number.isFinite(limit) ? limit : 1_000_000),
      'x-ratelimit-remaining': String(bucket.remaining),
      'x-ratelimit-reset': (bucket.resetAt / 1000).toFixed(3),
      'x-ratelimit-reset-after': resetAfter.toFixed(3),
      'x-ratelimit-bucket': createHash('sha1')
        .update(`${method}:${route}`)
        .digest('hex')
        .slice(0, 16),
    };
    return { limited, headers, retryAfter: resetAfter };
  }
}
