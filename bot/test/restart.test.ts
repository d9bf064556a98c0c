import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testDatabaseKind, testEncryptionKey, useTestDatabase } from '@ticketflow/db/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { CHANNEL_DELETED_REASON } from '../src/mirror.ts';
import { eventually, openTicketChannel, useEmulator } from './support.ts';

// The bot runs as its own process here, so it can be killed; the embedded
// database cannot be shared between processes, so this needs a Postgres server.
if (testDatabaseKind !== 'postgres') {
  console.log(
    '[bot] restart test: needs a Postgres server shared with a bot process (set TEST_DATABASE_URL); not run on PGlite',
  );
}

// What `pnpm start:bot` runs: the bot as a process of its own.
const start = fileURLToPath(new URL('../../app/src/start.ts', import.meta.url));

describe.runIf(testDatabaseKind === 'postgres')('a bot killed mid-conversation', () => {
  const t = useEmulator();
  const db = useTestDatabase();
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  function startBotProcess() {
    const child = spawn(process.execPath, [start, '--only', 'bot'], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: db.url as string,
        DISCORD_TOKEN: t.world.application.botToken,
        DISCORD_CLIENT_ID: t.world.application.id,
        DISCORD_CLIENT_SECRET: t.world.application.clientSecret,
        DISCORD_API_URL: t.emulator.apiUrl,
        LOG_LEVEL: process.env.TEST_BOT_LOG_LEVEL ?? 'warn',
        // The same key as this test process, which reads what the bot wrote.
        ENCRYPTION_KEYS: `${testEncryptionKey.id}:${testEncryptionKey.key.toString('base64')}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const online = eventually(() => out.includes('Bot online as'), 30_000).catch(() => {
      throw new Error(`the bot did not come online: ${out}`);
    });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    return { child, online, exited, output: () => out };
  }

  it('stores all 200 messages exactly once after a restart, and closes the ticket whose channel was deleted meanwhile', async () => {
    const tickets: Awaited<ReturnType<typeof openTicketChannel>>[] = [];
    for (let i = 0; i < 10; i++)
      tickets.push(await openTicketChannel(t.emulator, t.world, db.handle, `kill-${i}`));
    const doomed = await openTicketChannel(t.emulator, t.world, db.handle, 'kill-doomed');

    const first = startBotProcess();
    await first.online;
    t.emulator.control.sendMessage(
      t.world.users.member,
      doomed.channel.id,
      'a message before the channel goes',
    );

    const sent: string[] = [];
    for (let i = 0; i < 200; i++) {
      const target = tickets[i % 10];
      if (!target) throw new Error('no ticket');
      sent.push(
        t.emulator.control.sendMessage(t.world.users.member, target.channel.id, `message ${i}`).id,
      );
      if (i % 10 === 9) await new Promise((r) => setImmediate(r));
      if (i === 60) {
        // The first bot is mirroring live when it dies, not idle.
        await eventually(async () => {
          const [{ n } = { n: 0 }] = await db.handle.query<{ n: number }>(
            'select count(*)::int as n from messages where ticket_id = any($1)',
            [tickets.map((x) => x.ticket.id)],
          );
          return n >= 30;
        });
      }
      if (i === 100) {
        // A crash, not a clean shutdown.
        first.child.kill('SIGKILL');
        await first.exited;
        t.emulator.control.deleteChannelByHand(doomed.channel.id);
      }
    }

    const second = startBotProcess();
    await second.online;
    const ids = tickets.map((x) => x.ticket.id);
    const stored = await eventually(async () => {
      const rows = await db.handle.query<{ id: string }>(
        'select id::text from messages where ticket_id = any($1)',
        [ids],
      );
      return rows.length >= 200 ? rows : null;
    }, 60_000).catch(async (error: unknown) => {
      const [{ n } = { n: 0 }] = await db.handle.query<{ n: number }>(
        'select count(*)::int as n from messages where ticket_id = any($1)',
        [ids],
      );
      throw new Error(`${n} of 200 stored; bot said: ${second.output().slice(-3000)}; ${error}`);
    });
    expect(stored.map((r) => r.id).sort()).toEqual([...sent].sort());
    const [closed] = await eventually(async () => {
      const rows = await db.handle.query<{ status: string; close_reason: string }>(
        'select status, close_reason from tickets where id = $1',
        [doomed.ticket.id],
      );
      return rows[0]?.status === 'closed' ? rows : null;
    });
    expect(closed?.close_reason).toBe(CHANNEL_DELETED_REASON);

    second.child.kill('SIGTERM');
    await second.exited;
    expect(second.child.exitCode).toBe(0);
  });
});
