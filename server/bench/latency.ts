// Issue #6's latency figures: Discord → dashboard (emulator dispatch → a
// Socket.IO client receives the event) beside a raw pipeline with the same
// clients, and dashboard → Discord (reply POST → the emulator has the message).
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { createTestDatabase } from '@ticketflow/db/testing';
import pg from 'pg';
import pino from 'pino';
import { Server } from 'socket.io';
import { buildApp } from '../src/app.ts';
import { discordOptions, login, type World } from '../test/world.ts';
import { epochNow, freePort, ms, paced, quantile, sleep } from './stack.ts';

const RATE = 100;
const SECONDS = 5;

interface Clients {
  /** Latencies of the sent messages (id → epoch ms), once every client has them or 10 s have passed. */
  measure(sent: Map<string, number>): Promise<Latency & { sample: Record<string, unknown> }>;
}

/** Starts `count` Socket.IO clients in a child process and waits until all have joined. */
async function startClients(options: {
  url: string;
  count: number;
  cookie?: string;
  mode: 'ticketflow' | 'raw';
  guildId: string;
}): Promise<Clients> {
  const child = fork(new URL('./clients.ts', import.meta.url), [JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', (m: { type: string }) => (m.type === 'ready' ? resolve() : undefined));
    child.once('exit', (code) => reject(new Error(`clients exited with ${code}`)));
  });
  return {
    measure: async (sent) => {
      const { arrivals, sample } = await new Promise<{
        arrivals: Map<string, number[]>;
        sample: Record<string, unknown>;
      }>((resolve) => {
        child.on(
          'message',
          (m: {
            type: string;
            arrivals?: [string, number[]][];
            sample?: Record<string, unknown>;
          }) => {
            if (m.type === 'arrivals')
              resolve({ arrivals: new Map(m.arrivals), sample: m.sample ?? {} });
          },
        );
        child.send({ type: 'collect', expected: sent.size * options.count, timeoutMs: 10_000 });
      });
      return { ...latencies(sent, arrivals, options.count), sample };
    },
  };
}

interface Latency {
  p50: number;
  p99: number;
  /** (message, client) pairs that never arrived. */
  missing: number;
}

function latencies(
  sent: Map<string, number>,
  arrivals: Map<string, number[]>,
  clients: number,
): Latency {
  const all: number[] = [];
  let missing = 0;
  for (const [id, at] of sent) {
    const times = arrivals.get(id) ?? [];
    missing += clients - times.length;
    for (const t of times) all.push(t - at);
  }
  return { p50: quantile(all, 0.5), p99: quantile(all, 0.99), missing };
}

/** The Discord side (emulator + bot) in a child process; see discord-side.ts. */
async function startDiscordSide(databaseUrl: string) {
  const child = fork(new URL('./discord-side.ts', import.meta.url), [databaseUrl], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: { type: string }) => {
        if (m.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', reject);
        resolve(m as T);
      };
      child.on('message', onMessage);
      child.once('exit', reject);
    });
  const ready = await next<{
    emulator: { url: string; apiUrl: string };
    world: World;
    ticketIds: string[];
  }>('ready');
  return {
    ...ready,
    async send(count: number, perSecond: number) {
      const answer = next<{ sent: [string, number][] }>('sent');
      child.send({ type: 'send', count, perSecond });
      return new Map((await answer).sent);
    },
    async replies() {
      const answer = next<{ replies: [number, number][] }>('replies');
      child.send({ type: 'replies' });
      return new Map((await answer).replies);
    },
    async [Symbol.asyncDispose]() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      await exited;
    },
  };
}
type DiscordSide = Awaited<ReturnType<typeof startDiscordSide>>;

/** The whole product: emulator → bot → Postgres → NOTIFY → server → Socket.IO. */
async function ticketflowLatency(
  server: Server_,
  discord: DiscordSide,
  clients: number,
  seconds = SECONDS,
) {
  const c = await startClients({
    url: server.url,
    count: clients,
    cookie: server.cookie,
    mode: 'ticketflow',
    guildId: discord.world.guildId,
  });
  const sent = await discord.send(RATE * seconds, RATE);
  return c.measure(sent);
}

/**
 * The floor: INSERT + NOTIFY → one LISTEN connection → Socket.IO room emit,
 * same clients. It emits the id alone, or (with `template`) a copy of a
 * TicketFlow event carrying the id: every client parses what it receives, and
 * with hundreds of clients in one process on these 2 cores that parsing, not
 * the pipeline, can set the pace.
 */
let rawRuns = 0;
async function rawLatency(
  databaseUrl: string,
  clients: number,
  template?: Record<string, unknown>,
  seconds = SECONDS,
  /** Load the row by the notified id before emitting, as DESIGN.md has servers do. */
  load = false,
) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  await pool.query('create table if not exists bench_raw (id text primary key, content text)');
  const listener = new pg.Client({ connectionString: databaseUrl });
  await listener.connect();
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'] });
  io.on('connection', (socket) => {
    socket.on('join', (room: string, ack: () => void) => {
      void socket.join(room);
      ack();
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  listener.on('notification', (n) => {
    if (!load) {
      io.to('guild:raw').emit('event', { ...template, id: n.payload });
      return;
    }
    void pool
      .query({
        name: 'bench_raw_load',
        text: 'select id, content from bench_raw where id = $1',
        values: [n.payload],
      })
      .then((r) => io.to('guild:raw').emit('event', { ...template, ...r.rows[0] }));
  });
  await listener.query('listen bench_raw');
  try {
    const c = await startClients({
      url: `http://127.0.0.1:${port}`,
      count: clients,
      mode: 'raw',
      guildId: 'raw',
    });
    const sent = new Map<string, number>();
    const run = ++rawRuns;
    await paced(RATE * seconds, RATE, (i) => {
      const id = `${run}-${clients}-${template ? 'copy' : 'id'}${load ? '-loaded' : ''}-${i}`;
      sent.set(id, epochNow());
      void pool.query(
        "with row as (insert into bench_raw (id, content) values ($1, $2) returning id) select pg_notify('bench_raw', id) from row",
        [id, `m ${i}`],
      );
    });
    return c.measure(sent);
  } finally {
    io.close();
    await listener.end();
    await pool.end();
  }
}

/** Reply POST → the bot's outbox worker → the emulator stores the message. */
async function replyLatency(server: Server_, discord: DiscordSide, count = 100, perSecond = 10) {
  const sent = new Map<number, number>();
  const failures: string[] = [];
  await paced(count, perSecond, (i) => {
    const ticketId = discord.ticketIds[i % discord.ticketIds.length];
    sent.set(i, epochNow());
    void fetch(`${server.url}/api/guilds/${discord.world.guildId}/tickets/${ticketId}/messages`, {
      method: 'POST',
      headers: { cookie: server.cookie, 'content-type': 'application/json', origin: server.url },
      body: JSON.stringify({ content: `bench-reply-${i}` }),
    }).then((res) => {
      if (!res.ok) failures.push(String(res.status));
    });
  });
  let arrived = await discord.replies();
  const deadline = Date.now() + 15_000;
  while (arrived.size < count && Date.now() < deadline) {
    await sleep(100);
    arrived = await discord.replies();
  }
  if (failures.length) throw new Error(`replies answered ${failures.join(', ')}`);
  const times = [...sent].flatMap(([i, at]) => {
    const got = arrived.get(i);
    return got === undefined ? [] : [got - at];
  });
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99), missing: count - times.length };
}

const ratio = (ours: Latency, raw: Latency) =>
  `${(ours.p50 / raw.p50).toFixed(2)}× · ${(ours.p99 / raw.p99).toFixed(2)}×`;
const row = (
  what: string,
  ours: Latency & { sample: Record<string, unknown> },
  floors: { sized: Latency; bare: Latency; loaded: Latency },
  target: string,
  met: boolean,
) => {
  const { sized, bare, loaded } = floors;
  return `| ${what} | p50 ${ms(ours.p50)} · p99 ${ms(ours.p99)}${ours.missing ? ` · ${ours.missing} lost` : ''} | the id: p50 ${ms(bare.p50)} · p99 ${ms(bare.p99)}; a copy of its event (${JSON.stringify(ours.sample).length} B): p50 ${ms(sized.p50)} · p99 ${ms(sized.p99)}; the id, then its row loaded: p50 ${ms(loaded.p50)} · p99 ${ms(loaded.p99)} | ${ratio(ours, bare)} (to the copy: ${ratio(ours, sized)}; to the loaded row: ${ratio(ours, loaded)}) | ${target}: ${met ? 'met' : 'missed'} |`;
};

interface Server_ {
  url: string;
  cookie: string;
}

export async function latencyBench(): Promise<string[]> {
  await using t = await createTestDatabase();
  if (!t.url) throw new Error('the latency benchmark needs Postgres (TEST_DATABASE_URL)');
  await using discord = await startDiscordSide(t.url);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const app = await buildApp({
    database: t.handle,
    discord: discordOptions(discord.emulator, discord.world),
    publicUrl: url,
    rateLimits: { perMinute: 10_000_000, authPerMinute: 10_000 },
    // A failure in the run is printed, not hidden behind a 500's id.
    logger: pino({ level: 'error' }),
  });
  await app.listen({ port, host: '127.0.0.1' });
  try {
    const server = {
      url,
      cookie: await login({ emulator: discord.emulator, app }, discord.world.users.admin),
    };
    // Warm-up, not measured: the first messages through a freshly started
    // process are compiled and planned on the way (JIT, prepared statements,
    // pool connections); a server that has run for a while no longer pays that.
    // Both pipelines get the same.
    await ticketflowLatency(server, discord, 50, 2);
    await rawLatency(t.url, 50, undefined, 2);
    await rawLatency(t.url, 50, undefined, 2, true);
    const rows: string[] = [];
    for (const clients of [50, 500]) {
      const ours = await ticketflowLatency(server, discord, clients);
      const sized = await rawLatency(t.url, clients, ours.sample);
      const bare = await rawLatency(t.url, clients);
      // What DESIGN.md's ids-only notifications allow at best: the row loaded after the notification.
      const loaded = await rawLatency(t.url, clients, undefined, SECONDS, true);
      // The target is against the issue's floor (the id alone); the copy shows how much of
      // the gap is the clients parsing a full event.
      const within = ours.p50 <= 1.5 * bare.p50 && ours.p99 <= 1.5 * bare.p99 && ours.missing === 0;
      const met = clients === 50 ? within && ours.p99 <= 50 : within;
      rows.push(
        row(
          `Discord → dashboard, ${clients} clients, ${RATE} msg/s for ${SECONDS} s`,
          ours,
          { sized, bare, loaded },
          clients === 50 ? '≤ 1.5× raw, p99 ≤ 50 ms' : '≤ 1.5× raw',
          met,
        ),
      );
    }
    const reply = await replyLatency(server, discord);
    rows.push(
      `| dashboard → Discord: reply POST → emulator has the message, 10 replies/s | p50 ${ms(reply.p50)} · p99 ${ms(reply.p99)}${reply.missing ? ` · ${reply.missing} lost` : ''} | – | – | p99 ≤ 100 ms: ${reply.p99 <= 100 && reply.missing === 0 ? 'met' : 'missed'} |`,
    );
    return rows;
  } finally {
    await app.close();
  }
}
