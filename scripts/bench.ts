// `pnpm bench`: measures what exists so far and writes BENCHMARKS.md.
// Each figure stands beside a floor measured in the same run, because absolute
// numbers on shared 2-core machines move from run to run.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { botRuntimeLabel, memoryBench } from '@ticketflow/app/bench/memory';
import { renderBench } from '@ticketflow/dashboard/bench/render';
import { testDatabaseKind } from '@ticketflow/db/testing';
import { boardBench } from '@ticketflow/server/bench/board';
import { exportBench } from '@ticketflow/server/bench/export';
import { latencyBench } from '@ticketflow/server/bench/latency';
import { backfillBench, mirroringBench } from './bench/mirroring.ts';
import { MESSAGES, storageBench } from './bench/storage.ts';

const section = async (name: string, run: () => Promise<string[]>) => {
  process.stdout.write(`${name}…\n`);
  const rows = await run();
  for (const row of rows) process.stdout.write(`${row}\n`);
  return rows;
};

const storage = await section('storage path', storageBench);
const mirroring = await section('mirroring', async () => [
  ...(await mirroringBench(3000, ', bot and emulator in one process')),
  ...(await mirroringBench(3000, `, \`pnpm start:bot\` as deployed (bundled; ${botRuntimeLabel})`, {
    kind: 'start:bot',
    env: {},
  })),
  ...(await mirroringBench(
    3000,
    ", `pnpm start:bot` with `TF_BOT_BUNDLE=off` (the sources, Node's defaults)",
    {
      kind: 'start:bot',
      env: { TF_BOT_BUNDLE: 'off' },
    },
  )),
]);
const backfill = await section('backfill', () => backfillBench());
const memory = await section('bot memory', () => memoryBench());
// The server's figures need a Postgres server (the raw pipeline LISTENs on it).
const serverRows =
  testDatabaseKind === 'postgres'
    ? [...(await section('server latency', latencyBench)), ...(await section('board', boardBench))]
    : ['| not measured: set TEST_DATABASE_URL to a Postgres server | – | – | – | – |'];
const exports = await section('export memory', () => exportBench());
const dashboard = await section('dashboard', renderBench);

const doc = `# Benchmarks

Written by \`pnpm bench\` (scripts/bench.ts); do not edit by hand. Tests never
assert timings: targets are checked here, each beside a floor measured in the
same run on the same machine. Set \`TEST_DATABASE_URL\` to measure on Postgres
(otherwise embedded PGlite).

Last run: ${new Date().toISOString()} · ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}) ·
${(totalmem() / 2 ** 30).toFixed(0)} GiB · Node ${process.version} · database: ${testDatabaseKind}.

## Storage path

The repository's \`upsertMessage\` (idempotent upsert keyed by snowflake, ticket
pointer update, per-guild event seq, \`pg_notify\`, one transaction; ${MESSAGES}
messages, 20 tickets, one guild) beside a raw \`pg\` loop (\`BEGIN; INSERT;
pg_notify; COMMIT\`) at the same concurrency. Events of one guild serialise on
that guild's counter row (gap-free seq in commit order), so extra connections
help the raw loop more than this path.

| what | TicketFlow | raw pg loop | ratio |
|---|---|---|---|
${storage.join('\n')}

## Bot: mirroring and backfill

The real bot (discord.js) against the emulator on the same 2 cores as
Postgres. Mirroring target: ≥ 0.7 of the raw loop. Each mirroring row sends
3,000 member messages round-robin into 20 ticket channels as fast as the
emulator dispatches them and times until all are committed, after 300 messages
of warm-up (a bot runs for days; its first JIT compilations and connections are
not its pace). The first row runs the bot and the emulator in one process. The
second runs the bot as production does: \`pnpm start:bot\`'s own command in its
own process, bundled and with the settings it uses to save memory (see below),
while the emulator (Discord) and the raw loop run in the benchmark's process.
The third is that command with \`TF_BOT_BUNDLE=off\`: the sources with Node's
defaults, so the settings' cost in CPU shows beside it. The raw loop is
measured after each row, in the same database.

| what | measured | floor / target | result |
|---|---|---|---|
${[...mirroring, ...backfill].join('\n')}

## Bot: memory with many guilds

The first row is the bot exactly as \`pnpm start:bot\` starts it: it bundles
itself into one JavaScript file and becomes that file with a small young
generation, V8 preferring size, and glibc keeping one malloc arena
(app/src/bundle.ts), in production mode on Postgres. Its RSS is read from
/proc 30 s after every guild is stored (median of ten readings; no forced
garbage collection). The other rows are one process each, read once every
GUILD_CREATE has arrived and garbage is collected: the same bot part from its
TypeScript sources with Node's defaults (what \`pnpm start\` runs), only its
modules loaded, and a discord.js client with default caches and the member
intent, with Node's defaults and with the start script's settings. Each
process loads only its own modules; the emulator runs in the benchmark
process. The settings' cost in CPU shows in the mirroring rows above (second against third).

| what | RSS | heap used | target |
|---|---|---|---|
${memory.join('\n')}

## Server: live sync, replies, board

Latency: the emulator and the real bot in one child process, the server in
this one, the Socket.IO clients (all logged in as an admin, joined to the
guild) in another, Postgres beside them on the same 2 cores. A latency runs
from the emulator's dispatch to each client's receipt, over every (message,
client) pair. The raw pipeline is \`INSERT … pg_notify\` → one LISTEN
connection → one Socket.IO room emit, with the same number of clients in the
same kind of child process. It is run three times. The first run emits the id alone;
this is the floor the target is judged against. The second run emits a copy of
the event TicketFlow sent, to show how much of the gap comes from clients
parsing a full event rather than from the pipeline. The third loads the row
by the notified id (one prepared \`SELECT\`) before it emits: the best that
DESIGN.md's ids-only notifications allow, for the owners' decision on #6. The board is loaded by autocannon from a child
process, beside a bare Fastify route doing \`SELECT 1\` through the same pool;
each is loaded for 2 s first, not counted, so that both are measured once V8
has optimised them rather than while it compiles them.

| what | TicketFlow | floor | ratio | target |
|---|---|---|---|---|
${serverRows.join('\n')}

## Data rights: export memory

A server's whole export (every row as JSON, an HTML transcript per ticket of
1,000 messages, zipped; message content encrypted at rest, so every value is
decrypted on the way; the archive stored into Postgres in sealed pieces of a
MiB, as the export job stores it) at two sizes, each in a child process that samples its
own memory every 20 ms. Target: bounded memory, i.e. the peak heap does not
grow with the size of the server (at most 2× for 10× the messages).

| what | time | archive | peak RSS | peak heap |
|---|---|---|---|---|
${exports.join('\n')}

## Dashboard: weight and first render

The production build's initial JavaScript and CSS (what \`index.html\` loads,
gzip), and the board's first render in headless Chromium against the real
server: 2,000 cards (10 open columns × 200, each with a topic and a last
message; a column of more than 60 cards renders only those near its scroll
position), from navigation to every column drawn with its count, logged in as
an admin; the median of three loads after a first one.

| what | measured | target | result |
|---|---|---|---|
${dashboard.join('\n')}
`;
const target = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
writeFileSync(target, doc);
// Tables aligned the way `pnpm check` (Biome) wants them.
execFileSync('pnpm', ['exec', 'biome', 'format', '--write', target], { stdio: 'ignore' });
console.log('wrote BENCHMARKS.md');
