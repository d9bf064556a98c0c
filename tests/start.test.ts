// `pnpm start` as a newcomer runs it: no configuration, one process, the
// offline demo. Then a restart with the same data folder, and --reset.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@ticketflow/shared/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type DashboardSession,
  dashboardSession,
  emulatorControl,
  freePort,
  type Run,
  startScript,
} from './support.ts';

interface World {
  users: { id: string; username: string }[];
  guilds: {
    id: string;
    name: string;
    roles: { id: string; name: string }[];
    channels: { id: string; name: string; parentId: string | null }[];
  }[];
}
interface Board {
  columns: { name: string; cards: { id: string; number: number; topic: string | null }[] }[];
}

describe('pnpm start with no configuration: the offline demo', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tf-demo-'));
  const runs: Run[] = [];
  afterAll(() => {
    for (const r of runs) r.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  let ports: [number, number] | undefined;
  /** Starts the demo (on the same two free ports each time); resolves with its dashboard and emulator URLs. */
  async function startDemo(args: string[] = []) {
    ports ??= [await freePort(), await freePort()];
    const [port, emulatorPort] = ports;
    const run = startScript(
      'start',
      { DATA_DIR: dataDir, PORT: String(port), EMULATOR_PORT: String(emulatorPort) },
      args,
    );
    runs.push(run);
    const [, url] = await run.waitFor(/TicketFlow is running: (\S+)/);
    const [, emulatorUrl] = await run.waitFor(/Discord client:\s+(\S+)\/app/);
    await run.waitFor(/Encryption at rest: /);
    return { run, url: url ?? '', emulator: emulatorControl(emulatorUrl ?? '') };
  }

  let guildId = '';
  let ticketId = '';
  let ticketChannelId = '';
  const people = {} as Record<'admin' | 'member', string>;
  let admin: DashboardSession;
  /** The ticket's conversation on the dashboard, as this session reads it. */
  const conversation = async (session: DashboardSession) =>
    (
      await session.call<{ messages: { content: string }[] }>(
        'GET',
        `/api/guilds/${guildId}/tickets/${ticketId}/messages`,
      )
    ).body.messages.map((m) => m.content);

  it('starts everything, lets the admin set up a category and a panel, and a member open a ticket that the board shows, both ways', async () => {
    const { run, url, emulator } = await startDemo();
    expect(url).toBe(`http://localhost:${new URL(url).port}`);
    const printed = run.output().stdout;
    for (const account of ['Olivia (owner)', 'Adam (admin)', 'Sam (support)', 'Mia (member)']) {
      expect(printed).toContain(account);
    }
    expect(printed).toContain(`embedded PGlite in ${join(dataDir, 'db')}`);
    // No key configured: the demo makes one, readable only by its owner, and keeps it.
    const keyFile = join(dataDir, 'encryption.key');
    expect(printed).toContain(`Encryption at rest: generated key kept in ${keyFile}`);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, 'utf8')).toMatch(/^demo:[A-Za-z0-9+/]{43}=\n$/);
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({
      status: 'ok',
      database: 'pglite',
    });
    // The dashboard itself is served, not the "not built" placeholder.
    expect(await (await fetch(`${url}/`)).text()).toContain('<div id="root">');

    const world = await emulator.call<World>('GET', '/world');
    const id = (username: string) => world.users.find((u) => u.username === username)?.id ?? '';
    people.admin = id('adam');
    people.member = id('mia');
    const guild = world.guilds.find((g) => g.name === 'TicketFlow Demo');
    guildId = guild?.id ?? '';
    const panelChannel = guild?.channels.find((c) => c.name === 'open-a-ticket')?.id ?? '';
    const support = guild?.roles.find((r) => r.name === 'Support')?.id ?? '';

    admin = await dashboardSession(url, people.admin);
    const guilds = await admin.call<{ guilds: { id: string }[] }>('GET', '/api/guilds');
    expect(guilds.status).toBe(200);
    expect(JSON.stringify(guilds.body)).toContain(guildId);
    const category = await admin.call<{ id: string }>('POST', `/api/guilds/${guildId}/categories`, {
      name: 'Support',
      staffRoleIds: [support],
      discordCategoryId: guild?.channels.find((c) => c.name === 'Tickets')?.id,
      questions: [{ id: 'topic', label: 'What do you need?', style: 'short', required: true }],
    });
    expect(category.status).toBe(201);
    const panel = await admin.call('POST', `/api/guilds/${guildId}/panels`, {
      channelId: panelChannel,
      title: 'Need help?',
      categoryIds: [category.body.id],
    });
    expect(panel.status).toBe(202);

    // The member presses the button the bot posted and fills in the form.
    await emulator.openTicket(people.member, panelChannel, 'Support', 'My order never came');
    const board = await eventually(async () => {
      const b = await admin.call<Board>('GET', `/api/guilds/${guildId}/board`);
      return b.body.columns.some((c) => c.cards.length > 0) ? b.body : null;
    });
    const card = board.columns.flatMap((c) => c.cards)[0];
    expect(card?.topic).toBe('My order never came');
    ticketId = card?.id ?? '';
    // The ticket is stored first, then its channel is made in Discord.
    ticketChannelId = await eventually(async () => {
      const detail = await admin.call<{ channelId: string | null }>(
        'GET',
        `/api/guilds/${guildId}/tickets/${ticketId}`,
      );
      return detail.body.channelId;
    });

    // Discord → board.
    await emulator.send(people.member, ticketChannelId, 'Order 1042, paid on Monday');
    await eventually(async () =>
      (await conversation(admin)).includes('Order 1042, paid on Monday'),
    );
    // Board → Discord.
    const reply = await admin.call('POST', `/api/guilds/${guildId}/tickets/${ticketId}/messages`, {
      content: 'Looking into it now',
    });
    expect(reply.status).toBe(202);
    await eventually(async () =>
      (await emulator.messages(people.member, ticketChannelId)).some((m) =>
        m.content.includes('Looking into it now'),
      ),
    );

    const stopped = await run.terminate();
    expect(stopped.code).toBe(0);
    // The bound for a graceful stop: well within a container's kill grace period.
    expect(stopped.ms).toBeLessThan(10_000);
    expect(run.output().stderr).toBe('');
  });

  it('keeps everything across a restart with the same folder: tickets, Discord, sessions', async () => {
    const { run, url, emulator } = await startDemo();
    expect(run.output().stdout).toContain('"TicketFlow Demo" (as you left it)');
    // The session from before the restart still works (sessions live in the database)…
    const board = await admin.call<Board>('GET', `/api/guilds/${guildId}/board`);
    expect(board.status).toBe(200);
    expect(board.body.columns.flatMap((c) => c.cards).map((c) => c.id)).toEqual([ticketId]);
    // …and a new login (the same person, the same Discord ids) finds the ticket and its conversation.
    const again = await dashboardSession(url, people.admin);
    const messages = await again.call<{ messages: { content: string }[] }>(
      'GET',
      `/api/guilds/${guildId}/tickets/${ticketId}/messages`,
    );
    expect(messages.status).toBe(200);
    const contents = messages.body.messages.map((m) => m.content);
    expect(contents).toContain('Order 1042, paid on Monday');
    expect(contents.some((c) => c.includes('Looking into it now'))).toBe(true);
    // The local Discord kept the channel, and the bot is back in it.
    const inDiscord = await emulator.messages(people.member, ticketChannelId);
    expect(inDiscord.some((m) => m.content === 'Order 1042, paid on Monday')).toBe(true);
    await emulator.send(people.member, ticketChannelId, 'Any news?');
    await eventually(async () => (await conversation(again)).includes('Any news?'));
    const stopped = await run.terminate();
    expect(stopped.code).toBe(0);
  });

  it('starts over with --reset', async () => {
    const keyBefore = readFileSync(join(dataDir, 'encryption.key'), 'utf8');
    const { run, url, emulator } = await startDemo(['--reset']);
    const printed = run.output().stdout;
    expect(printed).toContain(
      `Starting over: removed the demo's database, Discord and key in ${dataDir}`,
    );
    expect(printed).not.toContain('(as you left it)');
    expect(readFileSync(join(dataDir, 'encryption.key'), 'utf8')).not.toBe(keyBefore);
    const world = await emulator.call<World>('GET', '/world');
    const fresh = world.guilds.find((g) => g.name === 'TicketFlow Demo');
    expect(fresh?.id).not.toBe(guildId);
    expect(fresh?.channels.some((c) => c.id === ticketChannelId)).toBe(false);
    const adam = world.users.find((u) => u.username === 'adam')?.id ?? '';
    const session = await dashboardSession(url, adam);
    const board = await session.call<Board>('GET', `/api/guilds/${fresh?.id}/board`);
    expect(board.status).toBe(200);
    expect(board.body.columns.flatMap((c) => c.cards)).toEqual([]);
    expect((await run.terminate()).code).toBe(0);
    expect(existsSync(join(dataDir, 'emulator.json'))).toBe(true);
  });
});
