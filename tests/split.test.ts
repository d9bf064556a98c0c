// The larger deployment: `pnpm start:bot` and `pnpm start:server` as separate
// processes on one Postgres (here against the emulator as Discord).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { botRuntime, bundleFile } from '@ticketflow/app/bundle';
import { createEmptyTestDatabase, testDatabaseKind } from '@ticketflow/db/testing';
import { useEmulator } from '@ticketflow/emulator/test/support';
import { eventually } from '@ticketflow/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardSession, emulatorControl, freePort, type Run, startScript } from './support.ts';

if (testDatabaseKind !== 'postgres') {
  console.log(
    '[e2e] split-process test: the bot and the server share a Postgres server (set TEST_DATABASE_URL); not run on PGlite',
  );
}

describe.runIf(testDatabaseKind === 'postgres')('bot and server as separate processes', () => {
  const t = useEmulator();
  const runs: Run[] = [];
  let database: Awaited<ReturnType<typeof createEmptyTestDatabase>>;
  beforeAll(async () => {
    database = await createEmptyTestDatabase();
  });
  afterAll(async () => {
    for (const r of runs) r.child.kill('SIGKILL');
    await Promise.all(runs.map((r) => r.exited));
    await database?.drop();
  });

  it('carries a message from Discord to the dashboard and a reply back, each process stopping cleanly', async () => {
    const port = await freePort();
    const url = `http://localhost:${port}`;
    const env = {
      DATABASE_URL: database.url ?? '',
      DISCORD_TOKEN: t.world.application.botToken,
      DISCORD_CLIENT_ID: t.world.application.id,
      DISCORD_CLIENT_SECRET: t.world.application.clientSecret,
      DISCORD_API_URL: t.emulator.apiUrl,
      DISCORD_OAUTH_URL: t.emulator.url,
      // Both processes read and write the same encrypted columns.
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      PORT: String(port),
      PUBLIC_URL: url,
    };
    // Started together: the migration lock lets one of them create the schema.
    const bot = startScript('start:bot', env);
    const server = startScript('start:server', env);
    runs.push(bot, server);
    await bot.waitFor(/Bot online as TicketFlow/);
    await server.waitFor(/TicketFlow is running: /);
    expect(server.output().stdout).not.toContain('Bot online');
    expect(bot.output().stdout).not.toContain('TicketFlow is running');
    // The bot process became its bundle, with its memory settings (app/src/bundle.ts), same pid.
    const pid = bot.child.pid ?? 0;
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    expect(argv).toEqual(expect.arrayContaining([...botRuntime.flags, bundleFile]));
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    for (const [k, v] of Object.entries(botRuntime.env)) expect(environ).toContain(`${k}=${v}`);
    expect(bot.output().stderr).not.toContain('from its TypeScript sources');

    const { world } = t;
    const admin = await dashboardSession(url, world.users.admin);
    const category = await admin.call<{ id: string }>(
      'POST',
      `/api/guilds/${world.guildId}/categories`,
      {
        name: 'Billing',
        staffRoleIds: [world.roles.billing],
        questions: [{ id: 'topic', label: 'What is it about?', style: 'short', required: true }],
      },
    );
    expect(category.status).toBe(201);
    // Queued by the server, posted in Discord by the bot.
    const panel = await admin.call('POST', `/api/guilds/${world.guildId}/panels`, {
      channelId: world.channels.panel,
      title: 'Billing questions',
      categoryIds: [category.body.id],
    });
    expect(panel.status).toBe(202);
    const emulator = emulatorControl(t.emulator.url);
    await emulator.openTicket(world.users.member, world.channels.panel, 'Billing', 'Invoice 77');

    const ticket = await eventually(async () => {
      const board = await admin.call<{
        columns: { cards: { id: string; channelId: string | null }[] }[];
      }>('GET', `/api/guilds/${world.guildId}/board`);
      return board.body.columns.flatMap((c) => c.cards).find((c) => c.channelId);
    });
    const channelId = ticket.channelId ?? '';
    await emulator.send(world.users.member, channelId, 'I was charged twice');
    await eventually(async () => {
      const m = await admin.call<{ messages: { content: string }[] }>(
        'GET',
        `/api/guilds/${world.guildId}/tickets/${ticket.id}/messages`,
      );
      return m.body.messages.some((x) => x.content === 'I was charged twice');
    });
    const reply = await admin.call(
      'POST',
      `/api/guilds/${world.guildId}/tickets/${ticket.id}/messages`,
      {
        content: 'Refunded the second charge',
      },
    );
    expect(reply.status).toBe(202);
    await eventually(() =>
      t.emulator.control
        .channelMessages(channelId)
        .some((m) => m.content.includes('Refunded the second charge')),
    );

    for (const run of [server, bot]) {
      const stopped = await run.terminate();
      expect(stopped.code).toBe(0);
      expect(stopped.ms).toBeLessThan(10_000);
    }
  });
});
