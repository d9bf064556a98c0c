import pino, { type DestinationStream, type Logger } from 'pino';
import { scrubText } from './scrub.ts';

/** Log paths that may hold secrets or message content; pino replaces them before writing. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.clientSecret',
  '*.client_secret',
  '*.password',
  '*.content',
];

/** Text before Drizzle's "params:" (the statement's values, which follow it to the end of its message). */
const withoutParams = (text: string) => text.split('\nparams: ')[0] ?? text;

/**
 * A logged error as pino serialises it, without what a failed query carries:
 * Drizzle puts the statement's values (encrypted content, names, hashes) in
 * `params` and after "params:" in its message and stack. They are left out;
 * the statement, the stack's frames and the driver's error that caused it
 * (which pino appends to the stack) are kept, and tokens in the text are
 * scrubbed as for Sentry.
 */
function loggedError(error: unknown): unknown {
  const e = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  if (typeof e !== 'object' || e === null) return e;
  delete e.params;
  if (typeof e.message === 'string') e.message = scrubText(withoutParams(e.message));
  if (typeof e.stack === 'string') {
    const frames = e.stack.search(/\n\s+at /);
    const head = frames < 0 ? e.stack : e.stack.slice(0, frames);
    e.stack = scrubText(withoutParams(head)) + (frames < 0 ? '' : e.stack.slice(frames));
  }
  return e;
}

export function createLogger(
  level: string,
  pretty = process.stdout.isTTY,
  /** Where the lines go instead of standard output (tests). */
  destination?: DestinationStream,
): Logger {
  const options = {
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    serializers: { err: loggedError },
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss' },
          },
        }
      : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}
