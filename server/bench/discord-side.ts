// The Discord side of the latency benchmark in its own process, as in
// production (Discord is elsewhere; the bot is its own process): the emulator
// with the demo world and the real bot on the benchmark's database. Driven
// over IPC: it sends member messages on a schedule and records when the bot's
// replies reach the emulator.
import { startTestBot } from '@ticketflow/bot/test/support';
import { openDatabase } from '@ticketflow/db/client';
import { useKeyring } from '@ticketflow/db/crypto';
import { testEncryptionKey } from '@ticketflow/db/test-key';
import { Emulator } from '@ticketflow/emulator/emulator';
import { z } from 'zod';
import { seedTicket, seedWorld } from '../test/world.ts';
import { epochNow, paced } from './stack.ts';

const databaseUrl = z.string().parse(process.argv[2]);
// The tests' key, from its own module (db/testing would load Vitest here).
useKeyring([testEncryptionKey]);
const database = await openDatabase({ kind: 'postgres', url: databaseUrl, max: 10 });
const emulator = await Emulator.start();
const world = await seedWorld(emulator, database);
const bot = await startTestBot({ emulator, world }, database);
const tickets: Awaited<ReturnType<typeof seedTicket>>[] = [];
for (let i = 0; i < 10; i++) {
  tickets.push(await seedTicket({ emulator, database, world }, world.categories.support));
}

/** When each dashboard reply (`bench-reply-N`) reached the emulator. */
const replies = new Map<number, number>();
emulator.state.on('event', (event) => {
  if (event.t !== 'MESSAGE_CREATE') return;
  const match = /bench-reply-(\d+)/.exec(event.message.content);
  if (match) replies.set(Number(match[1]), epochNow());
});

const command = z.discriminatedUnion('type', [
  z.object({ type: z.literal('send'), count: z.number(), perSecond: z.number() }),
  z.object({ type: z.literal('replies') }),
  z.object({ type: z.literal('stop') }),
]);

process.on('message', async (raw) => {
  const c = command.parse(raw);
  if (c.type === 'send') {
    const sent: [string, number][] = [];
    await paced(c.count, c.perSecond, (i) => {
      const channel = tickets[i % tickets.length]?.channelId ?? '';
      const at = epochNow();
      sent.push([emulator.control.sendMessage(world.users.member, channel, `m ${i}`).id, at]);
    });
    process.send?.({ type: 'sent', sent });
  } else if (c.type === 'replies') {
    process.send?.({ type: 'replies', replies: [...replies] });
  } else {
    await bot.stop();
    await emulator.close();
    await database.close();
    process.exit(0);
  }
});

process.send?.({
  type: 'ready',
  emulator: { url: emulator.url, apiUrl: emulator.apiUrl },
  world,
  ticketIds: tickets.map((t) => t.id),
});
