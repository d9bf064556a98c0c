import { join } from 'node:path';
import { z } from 'zod';

/** Thrown when the environment is unusable; `message` has one line per bad variable. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const snowflake = z.string().regex(/^\d{17,20}$/, 'must be a Discord snowflake (17 to 20 digits)');
const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .transform((u) => u.replace(/\/+$/, ''));
const postgresUrl = z.url({
  protocol: /^postgres(ql)?$/,
  error: 'must be a postgres:// or postgresql:// URL',
});

/** 32 bytes, given as 64 hex characters or base64. */
const aesKey = z.string().transform((value, ctx) => {
  const bytes = /^[0-9a-fA-F]{64}$/.test(value)
    ? Buffer.from(value, 'hex')
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(value)
      ? Buffer.from(value, 'base64')
      : undefined;
  if (bytes?.length !== 32) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be 32 bytes as 64 hex characters or base64 (openssl rand -base64 32)',
    });
    return z.NEVER;
  }
  return bytes;
});

const keyId = /^[A-Za-z0-9_-]{1,16}$/;
/** `id:key,id:key`: the first encrypts, all decrypt (rotation). */
const aesKeyList = z.string().transform((value, ctx) => {
  const keys: { id: string; key: Buffer }[] = [];
  for (const part of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const colon = part.indexOf(':');
    const id = part.slice(0, Math.max(colon, 0));
    if (colon < 0 || !keyId.test(id)) {
      ctx.addIssue({
        code: 'custom',
        message:
          'must be id:key pairs separated by commas (id: 1 to 16 letters, digits, _ or -), the newest first',
      });
      return z.NEVER;
    }
    const key = aesKey.safeParse(part.slice(colon + 1));
    if (!key.success) {
      ctx.addIssue({ code: 'custom', message: `key "${id}" ${key.error.issues[0]?.message}` });
      return z.NEVER;
    }
    if (keys.some((k) => k.id === id)) {
      ctx.addIssue({ code: 'custom', message: `names key "${id}" twice` });
      return z.NEVER;
    }
    keys.push({ id, key: key.data });
  }
  if (keys.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must name at least one key' });
    return z.NEVER;
  }
  return keys;
});

/** A true/false setting, off unless set. */
const flag = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1')
  .default(false);

const shardIds = z
  .string()
  .regex(/^\d+(,\d+)*$/, 'must be a comma-separated list of shard numbers, e.g. 0,1,2')
  .transform((s) => s.split(',').map(Number));

const envSchema = z
  .object({
    NODE_ENV: z
      .enum(['development', 'production', 'test'], {
        error: 'must be development, production or test',
      })
      .default('development'),
    PORT: z.coerce
      .number({ error: 'must be a port number' })
      .int('must be a whole number')
      .min(0, 'must be between 0 and 65535 (0: any free port)')
      .max(65535, 'must be between 0 and 65535 (0: any free port)')
      .default(3000),
    HOST: z.string().min(1).optional(),
    PUBLIC_URL: httpUrl.optional(),
    DATABASE_URL: postgresUrl.optional(),
    DATA_DIR: z.string().min(1).default('./.data'),
    DISCORD_TOKEN: z
      .string()
      .regex(/^[\w-]+\.[\w-]+\.[\w-]+$/, 'must be a bot token (three dot-separated parts)')
      .optional(),
    DISCORD_CLIENT_ID: snowflake.optional(),
    DISCORD_CLIENT_SECRET: z.string().min(16, 'must be the OAuth2 client secret').optional(),
    EMULATOR_PORT: z.coerce
      .number({ error: 'must be a port number' })
      .int('must be a whole number')
      .min(0, 'must be between 0 and 65535 (0: any free port)')
      .max(65535, 'must be between 0 and 65535 (0: any free port)')
      .optional(),
    DISCORD_API_URL: httpUrl.optional(),
    DISCORD_OAUTH_URL: httpUrl.optional(),
    SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    ENCRYPTION_KEY: aesKey.optional(),
    ENCRYPTION_KEYS: aesKeyList.optional(),
    SENTRY_DSN: httpUrl.optional(),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: 'must be one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),
    SHARD_COUNT: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .optional(),
    SHARD_IDS: shardIds.optional(),
    WEBSOCKET_ONLY: flag,
    DISCORD_MEMBER_EVENTS: flag,
    TF_BOT_BUNDLE: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  })
  .superRefine((env, ctx) => {
    const discordVars = ['DISCORD_TOKEN', 'DISCORD_CLIENT_ID', 'DISCORD_CLIENT_SECRET'] as const;
    const given = discordVars.filter((k) => env[k] !== undefined);
    if (given.length > 0 && given.length < discordVars.length) {
      for (const k of discordVars) {
        if (env[k] === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [k],
            message: `is required when ${given.join(' and ')} ${given.length > 1 ? 'are' : 'is'} set (set all three for real Discord, or none for the local emulator)`,
          });
        }
      }
    }
    if (env.NODE_ENV === 'production') {
      if (given.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['DISCORD_TOKEN'],
          message:
            'is required in production, with DISCORD_CLIENT_ID and DISCORD_CLIENT_SECRET (without them TicketFlow runs the offline demo, which is for trying it on your own machine)',
        });
      }
      for (const k of ['SESSION_SECRET', 'PUBLIC_URL'] as const) {
        if (env[k] === undefined) {
          ctx.addIssue({ code: 'custom', path: [k], message: 'is required in production' });
        }
      }
      if (env.ENCRYPTION_KEY === undefined && env.ENCRYPTION_KEYS === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['ENCRYPTION_KEY'],
          message:
            'is required in production (or ENCRYPTION_KEYS): message content and tokens are encrypted at rest with it',
        });
      }
    }
    if (env.ENCRYPTION_KEY !== undefined && env.ENCRYPTION_KEYS !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['ENCRYPTION_KEYS'],
        message:
          'and ENCRYPTION_KEY are both set: use one (ENCRYPTION_KEYS=new:…,k1:<old key> to rotate)',
      });
    }
    if (env.SHARD_IDS && env.SHARD_COUNT === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['SHARD_COUNT'],
        message: 'is required when SHARD_IDS is set',
      });
    }
    if (env.SHARD_IDS && env.SHARD_COUNT !== undefined) {
      const count = env.SHARD_COUNT;
      if (env.SHARD_IDS.some((id) => id >= count)) {
        ctx.addIssue({
          code: 'custom',
          path: ['SHARD_IDS'],
          message: `must only name shards below SHARD_COUNT (${count})`,
        });
      }
    }
  });

export type Env = z.output<typeof envSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  port: number;
  host: string;
  /** Where users reach the dashboard; defaults to http://localhost:PORT. */
  publicUrl: string;
  /** Postgres when DATABASE_URL is set, else embedded PGlite in DATA_DIR/db. */
  database: { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string };
  dataDir: string;
  /** `emulator` when no Discord credentials are configured: the offline demo. */
  discord:
    | {
        mode: 'emulator';
        /** The demo's local Discord: EMULATOR_PORT, else the port after PORT (any free one when PORT is 0). */
        port: number;
        apiUrl?: string;
        oauthUrl?: string;
      }
    | {
        mode: 'discord';
        token: string;
        clientId: string;
        clientSecret: string;
        apiUrl: string;
        oauthUrl: string;
      };
  sessionSecret?: string;
  /** From ENCRYPTION_KEYS, or ENCRYPTION_KEY as key "k1"; the first encrypts. Unset: the demo keeps one in DATA_DIR. */
  encryptionKeys?: { id: string; key: Buffer }[];
  sentryDsn?: string;
  logLevel: Env['LOG_LEVEL'];
  shards?: { count: number; ids: number[] };
  /** Socket.IO without the polling transport: replicas behind a balancer without sticky sessions. */
  websocketOnly: boolean;
  /** The bot asks for the members intent: role changes count at once (DISCORD_MEMBER_EVENTS). */
  memberEvents: boolean;
  /** `--only bot` runs from a bundle with memory settings (app/src/bundle.ts), unless off. */
  botBundle: boolean;
}

/** Parses the process environment into a typed config, or throws ConfigError naming each bad variable. */
export function loadConfig(raw: Record<string, string | undefined> = process.env): Config {
  // An empty value (`FOO=` in a .env file) means "not set".
  const cleaned = Object.fromEntries(
    Object.entries(raw).filter(([, v]) => v !== undefined && v.trim() !== ''),
  );
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const missing = issue.code === 'invalid_type' && cleaned[name] === undefined;
      return `${name} ${missing ? 'is required' : issue.message}`;
    });
    throw new ConfigError([...new Set(problems)]);
  }
  const env = parsed.data;
  const discord: Config['discord'] =
    env.DISCORD_TOKEN && env.DISCORD_CLIENT_ID && env.DISCORD_CLIENT_SECRET
      ? {
          mode: 'discord',
          token: env.DISCORD_TOKEN,
          clientId: env.DISCORD_CLIENT_ID,
          clientSecret: env.DISCORD_CLIENT_SECRET,
          apiUrl: env.DISCORD_API_URL ?? 'https://discord.com/api',
          oauthUrl: env.DISCORD_OAUTH_URL ?? 'https://discord.com',
        }
      : {
          mode: 'emulator',
          port: env.EMULATOR_PORT ?? (env.PORT === 0 || env.PORT === 65535 ? 0 : env.PORT + 1),
          ...(env.DISCORD_API_URL ? { apiUrl: env.DISCORD_API_URL } : {}),
          ...(env.DISCORD_OAUTH_URL ? { oauthUrl: env.DISCORD_OAUTH_URL } : {}),
        };
  return {
    env: env.NODE_ENV,
    port: env.PORT,
    // Containers (production) must listen on every interface; a dev machine only locally.
    host: env.HOST ?? (env.NODE_ENV === 'production' ? '0.0.0.0' : '127.0.0.1'),
    publicUrl: env.PUBLIC_URL ?? `http://localhost:${env.PORT}`,
    database: env.DATABASE_URL
      ? { kind: 'postgres', url: env.DATABASE_URL }
      : { kind: 'pglite', dataDir: join(env.DATA_DIR, 'db') },
    dataDir: env.DATA_DIR,
    discord,
    ...(env.SESSION_SECRET ? { sessionSecret: env.SESSION_SECRET } : {}),
    ...(env.ENCRYPTION_KEYS
      ? { encryptionKeys: env.ENCRYPTION_KEYS }
      : env.ENCRYPTION_KEY
        ? { encryptionKeys: [{ id: 'k1', key: env.ENCRYPTION_KEY }] }
        : {}),
    ...(env.SENTRY_DSN ? { sentryDsn: env.SENTRY_DSN } : {}),
    logLevel: env.LOG_LEVEL,
    websocketOnly: env.WEBSOCKET_ONLY,
    memberEvents: env.DISCORD_MEMBER_EVENTS,
    botBundle: env.TF_BOT_BUNDLE === 'on',
    ...(env.SHARD_COUNT
      ? {
          shards: {
            count: env.SHARD_COUNT,
            ids: env.SHARD_IDS ?? Array.from({ length: env.SHARD_COUNT }, (_, i) => i),
          },
        }
      : {}),
  };
}

/** loadConfig for an entry point: on a bad environment, prints one line per problem and exits 1. */
export function loadConfigOrExit(raw: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const p of error.problems) process.stderr.write(`Configuration error: ${p}\n`);
      process.exit(1);
    }
    throw error;
  }
}
