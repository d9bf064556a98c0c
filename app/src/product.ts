import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bot } from '@ticketflow/bot/bot';
import { type DatabaseHandle, openDatabase } from '@ticketflow/db/client';
import { installKeys } from '@ticketflow/db/keys';
import { migrateDatabase } from '@ticketflow/db/migrate';
import type { Emulator } from '@ticketflow/emulator/emulator';
import type { DemoWorld } from '@ticketflow/emulator/seed';
import type { App } from '@ticketflow/server/app';
import type { DiscordOptions } from '@ticketflow/server/discord';
import type { Config } from '@ticketflow/shared/config';
import { stopStep } from '@ticketflow/shared/stopping';
import type { Logger } from 'pino';

/** Start-up cannot go on; `message` is the one line printed before exiting 1. */
export class StartError extends Error {
  override name = 'StartError';
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

export type Part = 'all' | 'bot' | 'server';

export interface Product {
  /** Where people open the dashboard (absent for a bot-only process). */
  url?: string;
  database: DatabaseHandle;
  databaseLabel: string;
  keySource: string;
  /** The offline demo's Discord, with the ids of its demo server. */
  demo?: { emulator: Emulator; world: DemoWorld; restored: boolean };
  bot?: Bot;
  app?: App;
  /** Link that adds the bot to a real Discord server with exactly the permissions it needs. */
  inviteUrl?: string;
  /** Stops taking requests, finishes claimed work, closes the gateway, the emulator and the database. */
  stop(): Promise<void>;
}

function describeDatabase(config: Config): string {
  if (config.database.kind === 'pglite') return `embedded PGlite in ${config.database.dataDir}`;
  const url = new URL(config.database.url);
  return `Postgres at ${url.hostname}:${url.port || 5432}${url.pathname}`;
}

/**
 * Claims DATA_DIR for this process with a lock file holding its pid. Returns
 * the release function, or the pid of a live process that holds it (a lock
 * left by a process that is gone is taken over).
 */
export function lockDataDir(dataDir: string): (() => void) | number {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'ticketflow.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(file, 'utf8'));
      if (pid && pid !== process.pid && isAlive(pid)) return pid;
      rmSync(file, { force: true });
    }
  }
  throw new Error(`cannot lock ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Null when Discord accepts the bot token, else why not. */
async function checkBotToken(discord: DiscordOptions): Promise<string | null> {
  const res = await fetch(`${discord.apiUrl}/v10/users/@me`, {
    headers: { authorization: `Bot ${discord.botToken}` },
    signal: AbortSignal.timeout(15_000),
  });
  if (res.ok) return null;
  return res.status === 401
    ? 'An invalid token was provided.' // what discord.js says for the bot's login
    : `Discord answered ${res.status} when checking DISCORD_TOKEN`;
}

/**
 * Starts TicketFlow's parts in this process: `all` (the default of `pnpm
 * start`) runs the server with the dashboard and the bot, and with no Discord
 * configured also the emulator with the demo server; `bot` or `server` run
 * one part for deployments that split them (they then share Postgres).
 * Throws StartError with one readable line when it cannot start.
 */
export async function startProduct(
  config: Config,
  log: Logger,
  options: {
    part?: Part;
    dashboardRoot?: string;
    /** Runs just before the server is built (after every refusal could have happened): the dashboard build. */
    prepareDashboard?: () => Promise<void>;
  } = {},
): Promise<Product> {
  const part = options.part ?? 'all';
  const closers: { step: string; close: () => Promise<void> }[] = [];
  const unwind = async () => {
    for (const { step, close } of closers.reverse())
      await stopStep(log, step, close).catch(() => {});
  };
  const fail = async (line: string): Promise<never> => {
    await unwind();
    throw new StartError(line);
  };

  if (part !== 'all' && config.database.kind !== 'postgres') {
    await fail(
      `DATABASE_URL is required to run the ${part} on its own (the embedded database cannot be shared between processes; \`pnpm start\` runs everything in one)`,
    );
  }
  if (part === 'bot' && config.discord.mode !== 'discord') {
    await fail(
      'DISCORD_TOKEN, DISCORD_CLIENT_ID and DISCORD_CLIENT_SECRET are required to run the bot on its own (`pnpm start` with none of them runs the offline demo)',
    );
  }

  if (config.database.kind === 'pglite') {
    // The embedded database is one process's: a second one on the same folder would corrupt it.
    const held = lockDataDir(config.dataDir);
    if (typeof held === 'number') {
      await fail(
        `${config.dataDir} is in use by another TicketFlow (process ${held}); stop it first, or set DATA_DIR to another folder`,
      );
    }
    closers.push({ step: 'data folder lock', close: async () => (held as () => void)() });
  }

  let keySource = '';
  try {
    keySource = installKeys(config);
  } catch (error) {
    await fail(`Cannot set up encryption: ${reason(error)}`);
  }

  const databaseLabel = describeDatabase(config);
  let database: DatabaseHandle | undefined;
  // A deadlock no lock order foresaw: the change is made all the same, and the log says so.
  const onConflictRetried = (err: unknown) =>
    log.warn({ err }, 'a transaction was run again: Postgres aborted it to break a deadlock');
  try {
    database =
      config.database.kind === 'postgres'
        ? await openDatabase({
            kind: 'postgres',
            url: config.database.url,
            applicationName: `ticketflow-${part}`,
            onConflictRetried,
          })
        : await openDatabase({
            kind: 'pglite',
            dataDir: config.database.dataDir,
            onConflictRetried,
          });
    await migrateDatabase(database);
  } catch (error) {
    await database?.close().catch(() => {});
    await fail(`Cannot open the database (${databaseLabel}): ${reason(error)}`);
  }
  const db = database as DatabaseHandle;
  closers.push({ step: 'database', close: () => db.close() });

  // Discord, or the local one of the offline demo.
  let discord: DiscordOptions | undefined;
  let demo: Product['demo'];
  if (config.discord.mode === 'discord') {
    discord = {
      apiUrl: config.discord.apiUrl,
      oauthUrl: config.discord.oauthUrl,
      clientId: config.discord.clientId,
      clientSecret: config.discord.clientSecret,
      botToken: config.discord.token,
    };
  } else if (part === 'all') {
    // Each part's modules are loaded only when it runs: a process started with
    // `--only bot` holds no server, dashboard or emulator code in memory.
    const { Emulator } = await import('@ticketflow/emulator/emulator');
    const { findDemo, seedDemo } = await import('@ticketflow/emulator/seed');
    let emulator: Emulator | undefined;
    try {
      emulator = await Emulator.start({
        port: config.discord.port,
        host: config.host,
        stateFile: join(config.dataDir, 'emulator.json'),
      });
    } catch (error) {
      await fail(`Cannot start the demo's local Discord: ${reason(error)}`);
    }
    const e = emulator as Emulator;
    closers.push({ step: "demo's local Discord", close: () => e.close() });
    let world: DemoWorld | undefined;
    try {
      world = e.restored ? findDemo(e) : seedDemo(e);
    } catch (error) {
      await fail(`Cannot use the demo's saved Discord: ${reason(error)}`);
    }
    const w = world as DemoWorld;
    demo = { emulator: e, world: w, restored: e.restored };
    discord = {
      apiUrl: e.apiUrl,
      oauthUrl: e.url,
      clientId: w.application.id,
      clientSecret: w.application.clientSecret,
      botToken: w.application.botToken,
    };
  }

  // The bot first: a wrong token stops start-up before anything listens.
  let bot: Bot | undefined;
  if (part !== 'server' && discord) {
    const { startBot } = await import('@ticketflow/bot/bot');
    try {
      bot = await startBot({
        database: db,
        token: discord.botToken,
        apiUrl: discord.apiUrl,
        publicUrl: config.publicUrl,
        log: log.child({ part: 'bot' }),
        ...(config.shards ? { shards: config.shards } : {}),
        memberEvents: config.memberEvents,
      });
    } catch (error) {
      const why = reason(error);
      await fail(
        /disallowed intent/i.test(why) && config.memberEvents
          ? `Cannot log in to Discord: ${why}. DISCORD_MEMBER_EVENTS needs "Server Members Intent" turned on for the application (Discord developer portal → Bot); turn it on, or unset DISCORD_MEMBER_EVENTS`
          : `Cannot log in to Discord: ${why}`,
      );
    }
    const b = bot as Bot;
    closers.push({ step: 'bot', close: () => b.stop() });
  }

  if (part === 'server' && discord) {
    // No gateway here to prove the token: ask Discord who it belongs to.
    const refused = await checkBotToken(discord).catch((error: unknown) => reason(error));
    if (refused) await fail(`Cannot log in to Discord: ${refused}`);
  }

  let app: App | undefined;
  let url: string | undefined;
  if (part !== 'bot') {
    try {
      await options.prepareDashboard?.();
    } catch (error) {
      await fail(`Cannot build the dashboard: ${reason(error)}`);
    }
    const { buildApp } = await import('@ticketflow/server/app');
    const { initSentry } = await import('@ticketflow/server/sentry');
    const built = await buildApp({
      database: db,
      logger: log,
      publicUrl: config.publicUrl,
      dataDir: config.dataDir,
      openApi: config.env !== 'production',
      realtime: { websocketOnly: config.websocketOnly, log },
      ...(discord ? { discord } : {}),
      ...(options.dashboardRoot ? { dashboardRoot: options.dashboardRoot } : {}),
      ...(config.sentryDsn ? { reportError: initSentry(config.sentryDsn, config.env) } : {}),
    });
    // Closed before the bot, so no new reply is queued while the bot finishes its work.
    closers.push({ step: 'server (HTTP and sockets)', close: () => built.close() });
    try {
      await built.listen({ port: config.port, host: config.host });
    } catch (error) {
      await fail(`Cannot listen on ${config.host}:${config.port}: ${reason(error)}`);
    }
    app = built;
    const address = built.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    // PORT=0 picks a free port, which the configured URL cannot know.
    url = config.port === 0 ? `http://localhost:${port}` : config.publicUrl;
  }

  let stopped: Promise<void> | undefined;
  return {
    ...(url ? { url } : {}),
    database: db,
    databaseLabel,
    keySource,
    ...(demo ? { demo } : {}),
    ...(bot ? { bot } : {}),
    ...(app ? { app } : {}),
    ...(config.discord.mode === 'discord' && discord
      ? {
          inviteUrl: new (await import('@ticketflow/server/discord')).DiscordClient(
            discord,
          ).inviteUrl(),
        }
      : {}),
    stop() {
      stopped ??= unwind();
      return stopped;
    },
  };
}
