import { hostname } from 'node:os';
import type { DatabaseHandle } from '@ticketflow/db/client';
import { isTransientDatabaseError } from '@ticketflow/db/errors';
import type { QueueWorker } from '@ticketflow/db/queue-worker';
import { stopStep } from '@ticketflow/shared/stopping';
import { Client, Events, GatewayIntentBits, Options } from 'discord.js';
import type { Logger } from 'pino';
import { backfill } from './backfill.ts';
import { commandDefinitions } from './commands.ts';
import { dashboardActions } from './dashboard-actions.ts';
import { guildEventHandler } from './guild-events.ts';
import { registerInteractions } from './interactions.ts';
import { createJobWorker, defaultJobHandlers, type JobHandler } from './jobs-worker.ts';
import { Mirror } from './mirror.ts';
import { createOutboxWorker, defaultActions, type OutboxAction } from './outbox-worker.ts';
import { AUTO_CLOSE_SWEEP, autoCloseSweep, scheduleAutoCloseSweep } from './tickets/auto-close.ts';
import { closeRequestJob } from './tickets/close-request.ts';
import { TicketDirectory } from './tickets-by-channel.ts';

export interface BotOptions {
  database: DatabaseHandle;
  token: string;
  /** discord.js `rest.api`, e.g. the emulator's `http://127.0.0.1:4100/api`. */
  apiUrl?: string;
  log: Logger;
  /** The dashboard's address for links posted in Discord (the transcript link on close). */
  publicUrl?: string;
  shards?: { count: number; ids: number[] };
  /**
   * Ask for the privileged members intent, so a member's role given or taken
   * in Discord changes their dashboard access at once (it must be enabled for
   * the application in Discord's developer portal; without it, within a minute).
   */
  memberEvents?: boolean;
  outbox?: { pollMs?: number; baseDelayMs?: number; actions?: Record<string, OutboxAction> };
  jobs?: { pollMs?: number; handlers?: Record<string, JobHandler>; autoCloseSweepMs?: number };
}

export interface Bot {
  client: Client<true>;
  mirror: Mirror;
  outbox: QueueWorker<{ id: number; kind: string; attempts: number }>;
  jobs: QueueWorker<{ id: number; kind: string; attempts: number }>;
  /** Resolves with the last backfill's counts once it has run. */
  lastBackfill(): Promise<Awaited<ReturnType<typeof backfill>>>;
  stop(): Promise<void>;
}

/**
 * The Discord side of TicketFlow: logs in, mirrors ticket channels from raw
 * gateway packets, backfills on every (re)connect, records guild joins and
 * leaves, and delivers the outbox.
 */
export async function startBot(options: BotOptions): Promise<Bot> {
  const { database, log } = options;
  const client = new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.MessageContent,
      ...(options.memberEvents ? [GatewayIntentBits.GuildMembers] : []),
    ],
    // Messages are read from raw packets and stored in Postgres, so discord.js keeps none;
    // members and users only for the bot itself.
    makeCache: Options.cacheWithLimits({
      ...Options.DefaultMakeCacheSettings,
      MessageManager: 0,
      PresenceManager: 0,
      ReactionManager: 0,
      ReactionUserManager: 0,
      GuildEmojiManager: 0,
      GuildStickerManager: 0,
      VoiceStateManager: 0,
      GuildInviteManager: 0,
      StageInstanceManager: 0,
      GuildScheduledEventManager: 0,
      GuildBanManager: 0,
      AutoModerationRuleManager: 0,
      ThreadMemberManager: 0,
      GuildMemberManager: {
        maxSize: 0,
        keepOverLimit: (member) => member.id === member.client.user.id,
      },
      UserManager: { maxSize: 0, keepOverLimit: (user) => user.id === user.client.user.id },
    }),
    ...(options.shards ? { shards: options.shards.ids, shardCount: options.shards.count } : {}),
    rest: options.apiUrl ? { api: options.apiUrl } : {},
  });
  const tickets = new TicketDirectory(database.db);
  const mirror = new Mirror(database.db, tickets, log);
  const workerId = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const ctx = {
    db: database.db,
    client: client as Client<true>,
    log,
    tickets,
    publicUrl: options.publicUrl?.replace(/\/$/, '') ?? null,
  };
  const outbox = createOutboxWorker({
    db: database.db,
    bus: database.bus,
    rest: client.rest,
    log,
    workerId,
    ...options.outbox,
    actions: { ...defaultActions, ...dashboardActions(ctx), ...options.outbox?.actions },
  });
  const jobs = createJobWorker({
    db: database.db,
    bus: database.bus,
    rest: client.rest,
    log,
    workerId,
    ...(options.jobs?.pollMs ? { pollMs: options.jobs.pollMs } : {}),
    handlers: {
      ...defaultJobHandlers,
      'close-request': closeRequestJob(ctx),
      [AUTO_CLOSE_SWEEP.kind]: autoCloseSweep(ctx, options.jobs?.autoCloseSweepMs ?? 5 * 60_000),
      ...options.jobs?.handlers,
    },
  });
  const interactions = registerInteractions(ctx);

  const guildEvents = guildEventHandler(database.db, log);
  client.on(Events.Raw, (packet: { t?: string | null; d?: unknown }) => {
    void guildEvents.handle(packet.t, packet.d);
    void mirror.handle(packet.t, packet.d);
  });
  client.on(Events.Error, (error) => log.error({ err: error }, 'discord.js error'));

  let backfilled: Promise<Awaited<ReturnType<typeof backfill>>> | null = null;
  let firstDone: (result: Promise<Awaited<ReturnType<typeof backfill>>>) => void = () => {};
  const firstBackfill = new Promise<Awaited<ReturnType<typeof backfill>>>((resolve) => {
    firstDone = resolve;
  });
  let stopping = false;
  let retryCatchUp: NodeJS.Timeout | undefined;
  const catchUp = (shardId: number, attempt = 1) => {
    const guildIds = client.guilds.cache.filter((g) => g.shardId === shardId).map((g) => g.id);
    backfilled = backfill({ db: database.db, rest: client.rest, mirror, log, guildIds });
    firstDone(backfilled);
    backfilled.then(
      (r) => log.info({ shardId, ...r }, 'backfill done'),
      (error: unknown) => {
        // The database could not be reached to list the open tickets: what was
        // missed is still in Discord, so the catch-up runs again until it can.
        if (isTransientDatabaseError(error) && !stopping) {
          log.warn({ err: error, shardId }, 'backfill waits for the database');
          retryCatchUp = setTimeout(
            () => catchUp(shardId, attempt + 1),
            Math.min(30_000, 500 * 2 ** (attempt - 1)),
          );
        } else log.error({ err: error, shardId }, 'backfill failed');
      },
    );
  };
  client.on(Events.ShardReady, (shardId) => catchUp(shardId));
  client.on(Events.ShardResume, (shardId) => catchUp(shardId));

  const ready = new Promise<void>((resolve, reject) => {
    client.once(Events.ClientReady, () => resolve());
    client.once(Events.Error, reject);
  });
  await client.login(options.token);
  await ready;
  await (client as Client<true>).application.commands.set(commandDefinitions);
  await outbox.start();
  await jobs.start();
  await scheduleAutoCloseSweep(ctx);

  return {
    client: client as Client<true>,
    mirror,
    outbox,
    jobs,
    lastBackfill: () => backfilled ?? firstBackfill,
    async stop() {
      // Work waiting for the database is given up on (the next start catches up from Discord).
      stopping = true;
      clearTimeout(retryCatchUp);
      mirror.stop();
      guildEvents.stop();
      client.removeAllListeners(Events.InteractionCreate);
      const step = (name: string, work: () => Promise<unknown>) => stopStep(log, name, work);
      await step('bot: interactions being answered', () => interactions.idle());
      await step('bot: outbox items being carried out', () => outbox.stop());
      await step('bot: jobs being run', () => jobs.stop());
      // A catch-up still reading must finish before the client (and its token) goes.
      await step('bot: catch-up reading Discord', async () => backfilled?.catch(() => {}));
      await step('bot: gateway connection', () => client.destroy());
      await step('bot: messages being stored', () => mirror.idle());
      await step('bot: server events being stored', () => guildEvents.idle());
    },
  };
}
