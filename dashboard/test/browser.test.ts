// The dashboard in a real Chromium against the real server, the real bot and
// the emulator, on Postgres: what staff see and do, end to end.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bot } from '@ticketflow/bot/bot';
import { startTestBot } from '@ticketflow/bot/test/support';
import { openDatabase } from '@ticketflow/db/client';
import { EXPORT_HANDED_BACK } from '@ticketflow/db/repositories/data-requests';
import { upsertMessages } from '@ticketflow/db/repositories/messages';
import { saveTag } from '@ticketflow/db/repositories/tags';
import { updateTicket } from '@ticketflow/db/repositories/tickets';
import { createDatabaseRelay } from '@ticketflow/db/testing';
import { hasChromium, launchBrowser } from '@ticketflow/emulator/test/browser';
import { login, seedTicket, useServer } from '@ticketflow/server/test/support';
import { mintSnowflake } from '@ticketflow/shared/snowflake';
import { eventually } from '@ticketflow/shared/testing';
import { replyRoom } from '@ticketflow/shared/tickets';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

if (!hasChromium)
  console.log('[dashboard] browser tests need Chromium (set CHROMIUM_PATH); not run');

const root = fileURLToPath(new URL('..', import.meta.url));
const docs = fileURLToPath(new URL('../../docs/', import.meta.url));
const SEND_MESSAGES = 1n << 11n;
const VIEW_CHANNEL = 1n << 10n;

describe.runIf(hasChromium)('the dashboard in Chromium', () => {
  // The production build, made for this run, served by the server under test.
  const dist = mkdtempSync(join(tmpdir(), 'tf-dashboard-'));
  beforeAll(async () => {
    await build({ root, logLevel: 'warn', build: { outDir: dist, emptyOutDir: true } });
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'tf-dashboard-data-'));
  // Discord roles are re-read within a second here (a minute in production), so a
  // role change reaches an open board while the test waits.
  const t = useServer({
    dashboardRoot: dist,
    dataDir,
    dataJobs: { pollMs: 200 },
    accessTtlMs: 200,
    realtime: { recheckMs: 300 },
  });
  let bot: Bot;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const tickets = {} as Record<
    'support' | 'billing' | 'second',
    Awaited<ReturnType<typeof seedTicket>>
  >;

  beforeAll(async () => {
    bot = await startTestBot(t, t.database);
    tickets.support = await seedTicket(t, t.world.categories.support);
    tickets.second = await seedTicket(t, t.world.categories.support);
    tickets.billing = await seedTicket(t, t.world.categories.billing);
    await t.database.query("update tickets set topic = 'Refund for order 1042' where id = $1", [
      tickets.billing.id,
    ]);
    await t.database.query("update tickets set topic = 'Bot ignores my commands' where id = $1", [
      tickets.second.id,
    ]);
    await saveTag(t.database.db, {
      guildId: t.world.guildId,
      name: 'greeting',
      content: 'Hi! Thanks for waiting, we are on it.',
    });
    browser = await launchBrowser();
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.dispose();
    await bot?.stop();
    rmSync(dist, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Through the login page, Discord's (the emulator's) authorise step and back. */
  async function logIn(p: Page, userId: string) {
    t.emulator.control.preselectOAuthUser(userId);
    await p.goto(`${t.url}/login`);
    await p.getByRole('link', { name: 'Log in with Discord' }).click();
    await p.waitForURL(`${t.url}/`);
  }
  const eventuallyRow = (sql: string) =>
    eventually(async () => {
      const rows = await t.database.query<Record<string, unknown>>(sql);
      return rows.length > 0 ? rows : null;
    });
  const card = (p: Page, ticketId: string) => p.locator(`[data-ticket="${ticketId}"]`);
  const column = (p: Page, name: string) => p.locator(`[data-column="${name}"]`);

  it('logs staff in through Discord and shows the board of their categories only', async () => {
    await logIn(page, t.world.users.support);
    await page.getByRole('link', { name: /TicketFlow Demo/ }).click();
    await expect.poll(() => card(page, tickets.support.id).count()).toBe(1);
    await expect.poll(() => card(page, tickets.second.id).count()).toBe(1);
    expect(await card(page, tickets.billing.id).count()).toBe(0);
    expect(await page.getByText('Refund for order 1042').count()).toBe(0);
  });

  it('shows a message sent in Discord on its card and in the ticket view, without a reload', async () => {
    const channel = tickets.support.channelId ?? '';
    t.emulator.control.sendMessage(t.world.users.member, channel, 'Still cannot log in, help!');
    const target = card(page, tickets.support.id);
    await expect
      .poll(() => target.textContent(), { timeout: 10_000 })
      .toContain('Still cannot log in');
    expect(await target.locator('.unread').count()).toBe(1);
    await page.screenshot({ path: join(docs, 'dashboard-board.png') });
    // This browser has opened 1,200 other tickets before (a mark each, the oldest first).
    await page.evaluate(() => {
      for (let i = 0; i < 1200; i++)
        localStorage.setItem(
          `tf-seen:old-${i}`,
          new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
        );
    });
    await target.click();
    const view = page.getByRole('dialog');
    await expect
      .poll(() => view.locator('.messages').textContent())
      .toContain('Still cannot log in, help!');
    // Opening it marks it read.
    expect(await target.locator('.unread').count()).toBe(0);
    // And the marks are kept to the newest 1,000 at most: the oldest went, this one stays.
    const marks = await page.evaluate(() => ({
      kept: Object.keys(localStorage).filter((k) => k.startsWith('tf-seen:')),
      floor: localStorage.getItem('tf-seen-floor'),
    }));
    expect(marks.kept.length).toBeLessThanOrEqual(1000);
    expect(marks.kept).toContain(`tf-seen:${tickets.support.id}`);
    expect(marks.kept).not.toContain('tf-seen:old-0');
    expect(marks.kept).toContain('tf-seen:old-1199');
    expect(marks.floor).not.toBeNull();
    await page.evaluate(() => {
      for (const k of Object.keys(localStorage))
        if (k.startsWith('tf-seen:old-')) localStorage.removeItem(k);
    });
    await page.screenshot({ path: join(docs, 'dashboard-ticket.png') });
  });

  it('sends a reply typed in the ticket view to Discord; a refused one shows why and succeeds on retry', async () => {
    const channel = tickets.support.channelId ?? '';
    const composer = page.getByLabel('Reply to the ticket');
    await composer.fill('Try resetting your password, please.');
    await composer.press('Enter');
    await eventually(() =>
      t.emulator.control
        .channelMessages(channel)
        .some((m) => m.content.includes('Try resetting your password, please.')),
    );
    await expect
      .poll(() => page.locator('.delivery.delivered').count(), { timeout: 10_000 })
      .toBe(1);

    // The bot loses Send Messages in the channel: Discord answers 403.
    const bot = t.world.application.botUserId;
    t.emulator.control.setOverwrite(channel, {
      id: bot,
      type: 1,
      allow: VIEW_CHANNEL,
      deny: SEND_MESSAGES,
    });
    await composer.fill('Did that work?');
    await composer.press('Enter');
    const failed = page.locator('.delivery.failed');
    await expect.poll(() => failed.textContent(), { timeout: 15_000 }).toContain('Not delivered');
    t.emulator.control.setOverwrite(channel, {
      id: bot,
      type: 1,
      allow: VIEW_CHANNEL | SEND_MESSAGES,
      deny: 0n,
    });
    await failed.getByRole('button', { name: 'Retry' }).click();
    await eventually(() =>
      t.emulator.control.channelMessages(channel).some((m) => m.content.includes('Did that work?')),
    );
    await expect
      .poll(() => page.locator('.delivery.delivered').count(), { timeout: 10_000 })
      .toBe(2);
    expect(await page.locator('.delivery.failed').count()).toBe(0);
  });

  it('inserts a saved reply when staff type / in the reply box, and sends it', async () => {
    const composer = page.getByLabel('Reply to the ticket');
    await composer.fill('/gre');
    const option = page.getByRole('option', { name: /greeting/ });
    await expect.poll(() => option.count()).toBe(1);
    await composer.press('Enter');
    expect(await composer.inputValue()).toBe('Hi! Thanks for waiting, we are on it.');
    await composer.press('Enter');
    const channel = tickets.support.channelId ?? '';
    await eventually(() =>
      t.emulator.control
        .channelMessages(channel)
        .some((m) => m.content.includes('Thanks for waiting, we are on it.')),
    );
  });

  it('posts a reply once when its answer was lost and staff send it again', async () => {
    const channel = tickets.support.channelId ?? '';
    const text = 'Sending this once, whatever the network does.';
    const posts = `${t.url}/api/guilds/${t.world.guildId}/tickets/${tickets.support.id}/messages`;
    // The reply reaches the server and is stored; its answer never reaches the browser.
    let lost = 0;
    await page.route(posts, async (route) => {
      await route.fetch();
      lost++;
      await route.abort('connectionreset');
    });
    const composer = page.getByLabel('Reply to the ticket');
    await composer.fill(text);
    await composer.press('Enter');
    const alert = page.locator('.composer .form-error');
    await expect.poll(() => alert.textContent()).toContain('send it again, and it is posted once');
    expect(lost).toBe(1);
    expect(await composer.inputValue()).toBe(text);
    await page.screenshot({ path: join(docs, 'dashboard-send-again.png') });
    await page.unroute(posts);
    await composer.press('Enter');
    await expect.poll(() => composer.inputValue()).toBe('');
    await eventually(() =>
      t.emulator.control.channelMessages(channel).some((m) => m.content.includes(text)),
    );
    // Every copy on the page delivered: the outbox has run for all there are.
    const shown = page.locator('.messages > li', { hasText: text });
    await expect
      .poll(async () => {
        const all = await shown.count();
        return all > 0 && (await shown.locator('.delivery.delivered').count()) === all;
      })
      .toBe(true);
    expect(await shown.count()).toBe(1);
    expect(
      t.emulator.control.channelMessages(channel).filter((m) => m.content.includes(text)),
    ).toHaveLength(1);
  });

  it("keeps each ticket's draft, with its mode, across a look at another ticket and a reload (sent, it is gone); a close begun in one is not left open in the next", async () => {
    const a = tickets.support;
    const b = tickets.second;
    const title = page.locator('#ticket-title');
    const open = async (ticket: typeof a, topic: string) => {
      await card(page, ticket.id).click();
      await page.waitForURL(new RegExp(`/t/${ticket.id}$`));
      await expect.poll(() => title.textContent()).toContain(topic);
    };
    const box = page.locator('#composer-text');
    const noteMode = page.getByRole('button', { name: 'Internal note' });
    // B once, so that coming back to it is drawn from the cache at once, beside A's drawer.
    await open(b, 'Bot ignores my commands');
    await open(a, 'Cannot log in');
    await noteMode.click();
    await box.fill('Draft note for A: check the logs first');
    // A close begun in A, with its reason, is A's: B does not open with it (nor close with it).
    await page.getByRole('button', { name: 'Close…' }).click();
    await page.getByLabel('Reason (optional)').fill('Duplicate of another ticket');
    await open(b, 'Bot ignores my commands');
    expect(await page.getByLabel('Reason (optional)').count()).toBe(0);
    expect(await box.inputValue()).toBe('');
    expect(await noteMode.getAttribute('aria-pressed')).toBe('false');
    await box.fill('Draft reply for B');
    await open(a, 'Cannot log in');
    expect(await box.inputValue()).toBe('Draft note for A: check the logs first');
    expect(await noteMode.getAttribute('aria-pressed')).toBe('true');
    // A reload keeps them too (this tab's storage).
    await page.reload();
    await expect.poll(() => title.textContent()).toContain('Cannot log in');
    await expect.poll(() => box.inputValue()).toBe('Draft note for A: check the logs first');
    expect(await noteMode.getAttribute('aria-pressed')).toBe('true');
    // Sent, A's draft goes as what it was drafted as: a note, not a message in Discord.
    await box.press('Enter');
    await expect.poll(() => box.inputValue()).toBe('');
    await expect
      .poll(() => page.locator('.messages').textContent())
      .toContain('Draft note for A: check the logs first');
    expect(
      t.emulator.control
        .channelMessages(a.channelId ?? '')
        .some((m) => m.content.includes('Draft note for A')),
    ).toBe(false);
    await page.getByRole('button', { name: 'Reply in Discord' }).click();
    await open(b, 'Bot ignores my commands');
    expect(await box.inputValue()).toBe('Draft reply for B');
    await box.press('Enter');
    await expect.poll(() => box.inputValue()).toBe('');
    await eventually(() =>
      t.emulator.control
        .channelMessages(b.channelId ?? '')
        .some((m) => m.content.includes('Draft reply for B')),
    );
    await page.reload();
    await expect.poll(() => title.textContent()).toContain('Bot ignores my commands');
    expect(await box.inputValue()).toBe('');
    await open(a, 'Cannot log in');
  });

  it('counts down to what Discord takes of a signed reply, keeps a longer one as typed instead of cutting it, and sends the longest', async () => {
    const channel = tickets.support.channelId ?? '';
    const room = replyRoom('Sam (support)');
    const box = page.getByLabel('Reply to the ticket');
    const count = page.locator('.composer-count');
    const long = `${'z'.repeat(room - 1)}!`;
    // Pasted five characters over: nothing is cut off, and nothing is sent.
    await box.fill(`${long}12345`);
    await expect.poll(() => count.textContent()).toBe('5 characters too many');
    await box.press('Enter');
    await expect
      .poll(() => page.locator('.composer .form-error').textContent())
      .toContain('5 characters too long for Discord');
    expect(await box.inputValue()).toBe(`${long}12345`);
    await page.screenshot({ path: join(docs, 'dashboard-reply-too-long.png') });
    await box.fill(long);
    await expect.poll(() => count.textContent()).toBe('0 characters left');
    await box.press('Enter');
    await expect.poll(() => box.inputValue()).toBe('');
    const posted = await eventually(() =>
      t.emulator.control.channelMessages(channel).find((m) => m.content.endsWith(long)),
    );
    expect(posted.content).toHaveLength(2000);
    expect(
      t.emulator.control.channelMessages(channel).some((m) => m.content.endsWith('12345')),
    ).toBe(false);
  });

  it('shows a long conversation from its newest 100 messages, and earlier ones a page at a time', async () => {
    const long = await seedTicket(t, t.world.categories.support);
    await t.database.query("update tickets set topic = 'A long story' where id = $1", [long.id]);
    const start = Date.now() - 3_600_000;
    await upsertMessages(
      t.database.db,
      Array.from({ length: 130 }, (_, i) => ({
        id: mintSnowflake(start + i * 1_000),
        guildId: t.world.guildId,
        ticketId: long.id,
        channelId: long.channelId,
        authorId: t.world.users.member,
        content: `Part ${i + 1} of the story`,
        createdAt: new Date(start + i * 1_000),
      })),
    );
    await expect.poll(() => card(page, long.id).count()).toBe(1);
    await card(page, long.id).click();
    const shown = page.locator('.messages > li.message');
    await expect.poll(() => shown.count()).toBe(100);
    const earlier = page.getByRole('button', { name: 'Show earlier messages' });
    expect(await page.locator('.messages').textContent()).not.toContain('Part 30 of the story');
    await earlier.click();
    await expect.poll(() => shown.count()).toBe(130);
    expect(await shown.first().textContent()).toContain('Part 1 of the story');
    expect(await shown.last().textContent()).toContain('Part 130 of the story');
    // All of it is here: no more to show.
    expect(await earlier.count()).toBe(0);
    // A reconnect reads the conversation again, as far back as it was shown.
    const reread = page.waitForRequest((r) =>
      r.url().endsWith(`/tickets/${long.id}/messages?limit=100`),
    );
    for (const socket of t.app.realtime?.io.of('/').sockets.values() ?? []) socket.conn.close();
    await reread;
    await expect.poll(() => page.locator('.messages').getAttribute('aria-busy')).toBe('false');
    expect(await shown.count()).toBe(130);
    expect(await shown.first().textContent()).toContain('Part 1 of the story');
    // Back to the ticket the next tests work in.
    await card(page, tickets.support.id).click();
    await expect.poll(() => page.locator('#ticket-title').textContent()).toContain('Cannot log in');
  });

  it('assigns the ticket to another staff member and lets a member in and out, found by name', async () => {
    const channel = tickets.support.channelId ?? '';
    const people = page.getByRole('region', { name: 'People' });
    const find = async (name: string) => {
      await people.getByLabel('Assign or add someone').fill(name);
      await people.getByRole('button', { name: 'Find' }).click();
    };
    await find('ada');
    await people.getByRole('button', { name: 'Assign' }).click();
    await eventuallyRow(
      `select 1 from tickets where id = '${tickets.support.id}' and assignee_id = ${t.world.users.admin}`,
    );
    await expect.poll(() => page.getByRole('dialog').textContent()).toContain('Adam (admin)');

    // The member's own permission overwrite on the ticket channel (the bot writes it).
    const letIn = () => {
      const o = t.emulator.state.channel(channel).overwrites.get(t.world.users.member2);
      return o !== undefined && (o.allow & VIEW_CHANNEL) !== 0n;
    };
    expect(letIn()).toBe(false);
    await find('max');
    // Not staff: can be let in, not assigned.
    expect(await people.getByRole('button', { name: 'Assign' }).count()).toBe(0);
    await people.getByRole('button', { name: 'Add Max (member) to the ticket' }).click();
    await eventually(letIn);
    await people.getByRole('button', { name: 'Remove Max (member) from the ticket' }).click();
    await eventually(() => !letIn());
    // The bot says so in the channel after it changes the permission: the card shows that
    // notice before the next test writes in the channel (else it lands after, as the last message).
    await expect
      .poll(() => card(page, tickets.support.id).locator('.snippet-text').textContent(), {
        timeout: 10_000,
      })
      .toContain('removed');
  });

  it('renders markup in a message as text, in the ticket view and the transcript', async () => {
    const channel = tickets.support.channelId ?? '';
    const hostile =
      '<img src=x onerror="window.pwned=1"> <script>window.pwned=2</script> **bold** [link](javascript:window.pwned=3) ||secret|| <:wave:123456789012345678>';
    t.emulator.control.sendMessage(t.world.users.member, channel, hostile);
    const view = page.getByRole('dialog');
    await expect
      .poll(() => view.locator('.messages').textContent(), { timeout: 10_000 })
      .toContain('<script>window.pwned=2</script>');
    expect(await view.locator('.messages img[src="x"]').count()).toBe(0);
    // Discord's markdown is drawn (bold, a spoiler to click), a javascript: link is not a link.
    expect(await view.locator('.messages strong', { hasText: 'bold' }).count()).toBe(1);
    expect(await view.locator('.messages a[href^="javascript"]').count()).toBe(0);
    // A server's custom emoji is its image from Discord (its name when offline, as here).
    expect(await view.locator('.messages img.emoji[alt=":wave:"]').getAttribute('src')).toBe(
      'https://cdn.discordapp.com/emojis/123456789012345678.webp?size=48',
    );
    await view.getByRole('button', { name: 'Spoiler, press to show' }).last().click();
    expect(await view.locator('.messages .spoiler.shown').textContent()).toBe('secret');
    expect(await page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
    // The card's preview is one line of text: formatting dropped, the spoiler kept hidden.
    const snippet = page.locator(`[data-ticket="${tickets.support.id}"] .snippet-text`);
    await expect.poll(() => snippet.textContent()).toContain('bold link [spoiler] :wave:');
    expect(await snippet.textContent()).not.toMatch(/secret|\*\*/);

    const transcript = await browser.newPage();
    await transcript.goto(
      `${t.url}/api/guilds/${t.world.guildId}/tickets/${tickets.support.id}/transcript`,
    );
    expect(await transcript.textContent('body')).toContain('<script>window.pwned=2</script>');
    expect(await transcript.locator('img[src="x"]').count()).toBe(0);
    expect(await transcript.locator('img.emoji[alt=":wave:"]').count()).toBe(1);
    expect(await transcript.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
    await transcript.close();
    await page.keyboard.press('Escape');
  });

  it('holds changes made by others while a card is picked up, and applies them when it is put down', async () => {
    const a = await seedTicket(t, t.world.categories.billing);
    const b = await seedTicket(t, t.world.categories.billing);
    const adminBrowser = await launchBrowser();
    try {
      const p = await adminBrowser.newPage();
      await logIn(p, t.world.users.admin);
      await p.goto(`${t.url}/g/${t.world.guildId}`);
      await expect.poll(() => column(p, 'New').locator(`[data-ticket="${b.id}"]`).count()).toBe(1);
      // A second tab on the same board, not dragging: it shows when the change was sent out.
      const watcher = await adminBrowser.newPage();
      await watcher.goto(`${t.url}/g/${t.world.guildId}`);
      await expect
        .poll(() => column(watcher, 'New').locator(`[data-ticket="${b.id}"]`).count())
        .toBe(1);
      // Pick card A up with the keyboard.
      await card(p, a.id).focus();
      await p.keyboard.press('Space');
      // Someone else moves card B meanwhile.
      const cookie = await login(t, t.world.users.admin);
      const board = (
        await t.app.inject({ url: `/api/guilds/${t.world.guildId}/board`, headers: { cookie } })
      ).json() as { columns: { id: string; name: string }[] };
      const progress = board.columns.find((c) => c.name === 'In progress');
      const moved = await t.app.inject({
        method: 'PATCH',
        url: `/api/guilds/${t.world.guildId}/tickets/${b.id}`,
        headers: { cookie },
        payload: {
          version: b.version,
          move: { columnId: progress?.id, afterId: null, beforeId: null },
        },
      });
      expect(moved.statusCode).toBe(200);
      // Once the other tab has the move live, this one has had it too (same
      // broadcast) and handled it by its next frames; the board under the
      // dragged card stays as it was...
      await expect
        .poll(() => column(watcher, 'In progress').locator(`[data-ticket="${b.id}"]`).count())
        .toBe(1);
      await p.evaluate(
        () =>
          new Promise<void>((done) =>
            requestAnimationFrame(() => requestAnimationFrame(() => done())),
          ),
      );
      expect(await column(p, 'New').locator(`[data-ticket="${b.id}"]`).count()).toBe(1);
      // ...until the card is put down (here: the drag cancelled), then the move shows.
      await p.keyboard.press('Escape');
      await expect
        .poll(() => column(p, 'In progress').locator(`[data-ticket="${b.id}"]`).count())
        .toBe(1);
    } finally {
      await adminBrowser.dispose();
    }
  });

  it('shows a move made in another browser at once, and a drag into Closed closes the ticket in Discord', async () => {
    const other = await launchBrowser();
    try {
      const adminPage = await other.newPage();
      await logIn(adminPage, t.world.users.admin);
      await adminPage.goto(`${t.url}/g/${t.world.guildId}`);
      const moving = card(adminPage, tickets.second.id);
      await expect.poll(() => moving.count()).toBe(1);
      // Drag (pointer) the card to "In progress" in the admin's browser.
      await drag(adminPage, moving, column(adminPage, 'In progress').locator('.cards'));
      await expect
        .poll(
          () => column(page, 'In progress').locator(`[data-ticket="${tickets.second.id}"]`).count(),
          {
            timeout: 10_000,
          },
        )
        .toBe(1);
    } finally {
      await other.dispose();
    }

    // The staff member drags the first ticket to Closed: the opener is locked out in Discord.
    const channel = tickets.support.channelId ?? '';
    await drag(page, card(page, tickets.support.id), column(page, 'Closed').locator('.cards'));
    await expect
      .poll(() => page.locator('.banner.notice').textContent(), { timeout: 10_000 })
      .toContain('closed');
    await eventually(() => {
      const overwrite = t.emulator.state.channel(channel).overwrites.get(t.world.users.member);
      return overwrite && (overwrite.deny & SEND_MESSAGES) !== 0n;
    });
  });

  it("follows changes to the guild on an open board: an admin's new column, a category given to the staff member's role and taken back, a role given in Discord and taken away, a ticket transferred away and back", async () => {
    await page.goto(`${t.url}/g/${t.world.guildId}`);
    await expect.poll(() => card(page, tickets.second.id).count()).toBe(1);
    const admin = await login(t, t.world.users.admin);
    const g = `/api/guilds/${t.world.guildId}`;
    const send = (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
      t.app.inject({
        method,
        url: g + url,
        headers: { cookie: admin },
        ...(payload ? { payload } : {}),
      });
    const billingRoles = (roleIds: string[]) =>
      send('PATCH', `/categories/${t.world.categories.billing}`, { staffRoleIds: roleIds });
    // Nothing below reloads the staff member's page.
    const created = await send('POST', '/columns', { name: 'Waiting on customer' });
    expect(created.statusCode).toBe(201);
    await expect.poll(() => column(page, 'Waiting on customer').count()).toBe(1);
    try {
      expect((await billingRoles([t.world.roles.billing, t.world.roles.support])).statusCode).toBe(
        200,
      );
      await expect.poll(() => card(page, tickets.billing.id).count()).toBe(1);
    } finally {
      expect((await billingRoles([t.world.roles.billing])).statusCode).toBe(200);
    }
    await expect.poll(() => card(page, tickets.billing.id).count()).toBe(0);
    // The Billing role given in Discord, and taken away again.
    const { guildId, users, roles } = t.world;
    try {
      t.emulator.control.setMemberRoles(guildId, users.support, [roles.support, roles.billing]);
      await expect.poll(() => card(page, tickets.billing.id).count(), { timeout: 10_000 }).toBe(1);
    } finally {
      t.emulator.control.setMemberRoles(guildId, users.support, [roles.support]);
    }
    await expect.poll(() => card(page, tickets.billing.id).count(), { timeout: 10_000 }).toBe(0);
    // A ticket transferred to Billing leaves the Support staff member's board, and comes back.
    const transfer = (categoryId: string) =>
      updateTicket(
        t.database.db,
        tickets.second.id,
        { categoryId },
        { kind: 'ticket.transferred' },
      );
    await transfer(t.world.categories.billing);
    await expect.poll(() => card(page, tickets.second.id).count()).toBe(0);
    await transfer(t.world.categories.support);
    await expect.poll(() => card(page, tickets.second.id).count()).toBe(1);
    expect((await send('DELETE', `/columns/${created.json().id}`)).statusCode).toBe(204);
    await expect.poll(() => column(page, 'Waiting on customer').count()).toBe(0);
  });

  it('keeps a filtered board to its filter as changes arrive: "Assigned to me" gains and loses cards, and ignores the rest', async () => {
    await page.goto(`${t.url}/g/${t.world.guildId}?assignee=me`);
    await expect.poll(() => page.locator('[data-column]').count()).toBeGreaterThan(0);
    expect(await card(page, tickets.second.id).count()).toBe(0);
    const assign = (ticketId: string, assigneeId: string | null) =>
      updateTicket(t.database.db, ticketId, { assigneeId }, { kind: 'ticket.assigned' });
    // Activity on a ticket that is not theirs, then one assigned to them: only that one shows.
    t.emulator.control.sendMessage(
      t.world.users.member,
      tickets.second.channelId ?? '',
      'Any news?',
    );
    await eventuallyRow(
      `select 1 from messages where ticket_id = '${tickets.second.id}' and created_at > now() - interval '1 minute'`,
    );
    await assign(tickets.support.id, t.world.users.support);
    await expect.poll(() => card(page, tickets.support.id).count()).toBe(1);
    expect(await card(page, tickets.second.id).count()).toBe(0);
    // Assigned to someone else: it leaves.
    await assign(tickets.support.id, null);
    await expect.poll(() => card(page, tickets.support.id).count()).toBe(0);
  });

  it('lets an admin create a category with a question and post a panel; staff get no settings', async () => {
    const adminBrowser = await launchBrowser();
    try {
      const p = await adminBrowser.newPage();
      await p.setViewportSize({ width: 1280, height: 900 });
      await logIn(p, t.world.users.admin);
      await p.goto(`${t.url}/g/${t.world.guildId}/settings`);
      await p.getByRole('button', { name: 'New category' }).click();
      const form = p.locator('.category-form');
      await form.getByLabel('Name', { exact: true }).fill('Partnerships');
      await form
        .getByRole('group', { name: /Staff roles/ })
        .getByLabel('Support')
        .check();
      await form.getByRole('button', { name: 'Add a question' }).click();
      await form.getByLabel('Question 1', { exact: true }).fill('Your server link?');
      await form.getByRole('button', { name: 'Create category' }).click();
      await expect.poll(() => p.getByText(/Partnerships/).count()).toBeGreaterThan(0);
      const [row] = await eventuallyRow(
        "select id, staff_role_ids, questions from categories where name = 'Partnerships'",
      );
      expect(row?.staff_role_ids).toEqual([t.world.roles.support]);
      expect(row?.questions).toMatchObject([{ label: 'Your server link?', required: true }]);

      const panelForm = p.locator('.panel-form');
      await panelForm.getByLabel('Channel').selectOption({ label: '#open-a-ticket' });
      await panelForm.getByLabel('Title').fill('Partner with us');
      await panelForm.getByLabel('Partnerships').check();
      expect(await p.locator('.panel-preview').textContent()).toContain('Partnerships');
      await p.screenshot({ path: join(docs, 'dashboard-settings.png'), fullPage: true });
      // The first post reaches the server; its answer never reaches the browser.
      const panelsUrl = `${t.url}/api/guilds/${t.world.guildId}/panels`;
      let lost = 0;
      await p.route(panelsUrl, async (route) => {
        if (route.request().method() !== 'POST') return route.fallback();
        await route.fetch();
        lost++;
        await route.abort('connectionreset');
      });
      const post = panelForm.getByRole('button', { name: 'Post the panel in Discord' });
      await post.click();
      await expect
        .poll(() => panelForm.locator('.save-status').textContent())
        .toContain('if the first one went through, no second one is made');
      expect(lost).toBe(1);
      await panelForm.screenshot({ path: join(docs, 'dashboard-panel-send-again.png') });
      await p.unroute(panelsUrl);
      // Pressed again: the same panel, posted once.
      await post.click();
      await expect.poll(() => panelForm.locator('.save-status').textContent()).toBe('Saved');
      await eventually(() =>
        t.emulator.control
          .channelMessages(t.world.channels.panel)
          .some(
            (m) =>
              m.embeds[0]?.title === 'Partner with us' &&
              JSON.stringify(m.components).includes(`tf:open:${row?.id}`),
          ),
      );
      const made = await t.database.query<{ id: string }>(
        "select id from panels where title = 'Partner with us'",
      );
      expect(made).toHaveLength(1);
      const [posts] = await t.database.query<{ n: number }>(
        "select count(*)::int as n from outbox where kind = 'post-panel' and payload->>'panelId' = $1",
        [made[0]?.id],
      );
      expect(posts?.n).toBe(1);
      await expect
        .poll(() => p.locator('.panel-list li', { hasText: 'Partner with us' }).count())
        .toBe(1);

      await p.getByRole('link', { name: 'Stats' }).click();
      await expect.poll(() => p.textContent('main')).toContain('Median first response');
      await p.screenshot({ path: join(docs, 'dashboard-stats.png') });
    } finally {
      await adminBrowser.dispose();
    }

    // Staff: no Settings link, and the page refuses them.
    await page.goto(`${t.url}/g/${t.world.guildId}`);
    await expect.poll(() => page.getByRole('link', { name: 'Stats' }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Settings' }).count()).toBe(0);
    await page.goto(`${t.url}/g/${t.world.guildId}/settings`);
    await expect
      .poll(() => page.textContent('main'))
      .toContain('Only server admins can change settings.');
    // And "?" lists the keyboard shortcuts.
    await page.keyboard.press('?');
    await expect
      .poll(() => page.getByRole('dialog', { name: 'Keyboard shortcuts' }).isVisible())
      .toBe(true);
    await page.keyboard.press('Escape');
  });

  it("lets an admin see what is stored, export it with progress and download it, erase a person's data and read the audit log", async () => {
    const adminBrowser = await launchBrowser();
    try {
      const p = await adminBrowser.newPage();
      await p.setViewportSize({ width: 1280, height: 900 });
      await logIn(p, t.world.users.admin);
      await p.goto(`${t.url}/g/${t.world.guildId}`);
      await p.getByRole('link', { name: 'Data' }).click();
      const stored = p.getByRole('region', { name: 'What is stored for this server' });
      await expect.poll(() => stored.textContent()).toContain('Tickets');
      const [tickets] = await t.database.query<{ n: number }>(
        'select count(*)::int as n from tickets where guild_id = $1',
        [t.world.guildId],
      );
      expect(await stored.getByRole('row', { name: /^Tickets/ }).textContent()).toBe(
        `Tickets${tickets?.n}`,
      );

      await p.getByRole('button', { name: 'Export all data' }).click();
      const download = p.getByRole('link', { name: /^Download/ });
      await download.waitFor({ timeout: 30_000 });
      expect(await download.textContent()).toMatch(/^Download \d+ KB \(until /);
      // The archive's pieces are among what is stored (and what erasing the server deletes).
      await p.reload();
      const [pieces] = await t.database.query<{ n: number }>(
        `select count(*)::int as n from export_chunks c
         join data_requests r on r.id = c.request_id where r.guild_id = $1`,
        [t.world.guildId],
      );
      expect(pieces?.n).toBeGreaterThan(0);
      await expect
        .poll(() => stored.getByRole('row', { name: /^Export archive pieces/ }).textContent())
        .toBe(`Export archive pieces (up to 1 MiB each)${pieces?.n}`);
      await p.screenshot({ path: join(docs, 'dashboard-data.png'), fullPage: true });
      const [file] = await Promise.all([p.waitForEvent('download'), download.click()]);
      expect(file.suggestedFilename()).toMatch(/^ticketflow-\d+-\d{4}-\d\d-\d\d\.zip$/);

      const erase = p.getByRole('region', { name: "Erase one person's data" });
      await erase.getByLabel('Discord user id').fill(t.world.users.member2);
      await erase.getByRole('button', { name: "Erase this user's data" }).click();
      await erase.getByRole('button', { name: `Erase user ${t.world.users.member2} now` }).click();
      await expect.poll(() => erase.getByRole('status').textContent()).toContain('Erased');
      // The archive held that person's data: it is withdrawn, and the page says why.
      await expect.poll(() => download.count()).toBe(0);
      expect(await p.textContent('main')).toContain(
        "This export was withdrawn when a person's data was erased; ask for a new one",
      );
      // An export handed back by a stopping process says so while it waits (as the server's
      // data-rights test makes one; here the row alone, for how the page shows it).
      const [handedBack] = await t.database.query<{ id: string }>(
        `insert into data_requests (guild_id, requested_by, kind, status, progress, error)
         values ($1, $2, 'export', 'pending', 0, $3) returning id`,
        [t.world.guildId, t.world.users.admin, EXPORT_HANDED_BACK],
      );
      await p.reload();
      const waiting = p.locator('.data-request', { hasText: 'Waiting to start again' });
      await expect.poll(() => waiting.textContent()).toContain(EXPORT_HANDED_BACK);
      await p.screenshot({ path: join(docs, 'dashboard-data-handed-back.png'), fullPage: true });
      await t.database.query('delete from data_requests where id = $1', [handedBack?.id]);
      // Only the owner sees the danger zone.
      expect(await p.getByRole('region', { name: /Danger zone/ }).count()).toBe(0);

      await p.getByRole('link', { name: 'Audit log' }).click();
      await p.getByLabel('What').selectOption({ label: 'Exports' });
      const table = p.getByRole('table');
      await expect.poll(() => table.textContent()).toContain('downloaded an export');
      expect(await table.textContent()).toContain('asked for an export');
      await p.getByLabel('What').selectOption({ label: 'Everything' });
      await expect.poll(() => table.textContent()).toContain("erased a user's data");
      await p.screenshot({ path: join(docs, 'dashboard-audit.png') });

      // The privacy page, public, says what is kept and for how long.
      await p.getByRole('link', { name: 'Privacy' }).click();
      await expect.poll(() => p.textContent('main')).toContain('Audit and usage logs: 90 days');
    } finally {
      await adminBrowser.dispose();
    }
  });

  it('gives a member without a staff role no board', async () => {
    const memberBrowser = await launchBrowser();
    try {
      const p = await memberBrowser.newPage();
      await logIn(p, t.world.users.member);
      await expect.poll(() => p.textContent('body')).toContain('You are not staff in any server');
      await p.goto(`${t.url}/g/${t.world.guildId}`);
      await expect.poll(() => p.textContent('body')).toContain('No such server');
    } finally {
      await memberBrowser.dispose();
    }
    // The API agrees (the page is not the only guard).
    const cookie = await login(t, t.world.users.member);
    const res = await t.app.inject({
      url: `/api/guilds/${t.world.guildId}/board`,
      headers: { cookie },
    });
    expect(res.statusCode).toBe(404);
  });

  it('pages a long column with "Show more" and renders only the cards near its scroll position', async () => {
    const first = await seedTicket(t, t.world.categories.support);
    const total = await t.database.query<{ n: number }>(
      `select count(*)::int as n from tickets where guild_id = $1 and column_id = $2`,
      [t.world.guildId, first.columnId],
    );
    // Enough cards in the first column for three pages.
    const more = 130 - (total[0]?.n ?? 0);
    for (let i = 0; i < more; i++) await seedTicket(t, t.world.categories.support);
    const adminBrowser = await launchBrowser();
    try {
      const p = await adminBrowser.newPage();
      await logIn(p, t.world.users.admin);
      await p.goto(`${t.url}/g/${t.world.guildId}`);
      const col = column(p, 'New');
      await expect.poll(() => col.locator('[data-ticket]').count()).toBe(50);
      await col.getByRole('button', { name: 'Show 50 more of 80' }).click();
      await col.getByRole('button', { name: 'Show 30 more of 30' }).click();
      await expect.poll(() => col.getByRole('button', { name: /^Show/ }).count()).toBe(0);
      // 130 loaded, far fewer drawn.
      const drawn = await col.locator('[data-ticket]').count();
      expect(drawn).toBeLessThan(60);
      const [last] = await t.database.query<{ id: string }>(
        `select id from tickets where column_id = $1 order by position desc limit 1`,
        [first.columnId],
      );
      expect(await card(p, last?.id ?? '').count()).toBe(0);
      await col.locator('ul.cards').evaluate((ul) => {
        ul.scrollTop = ul.scrollHeight;
      });
      await expect.poll(() => card(p, last?.id ?? '').isVisible()).toBe(true);
    } finally {
      await adminBrowser.dispose();
    }
  });

  it('follows the board again after its server lost the database while the connection was down, and the open conversation gets what the server missed', async () => {
    // A second server on the same database, through a relay that can cut it off;
    // the session cookie (127.0.0.1, any port) logs the browser in there too.
    const relay = await createDatabaseRelay(new URL(t.databaseUrl as string));
    const relayed = await openDatabase({ kind: 'postgres', url: relay.url, max: 4 });
    const address = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const a = probe.address();
        probe.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    const url = `http://127.0.0.1:${address}`;
    const refusals: string[] = [];
    const second = await t.build({
      database: relayed,
      publicUrl: url,
      dataJobs: false,
      logger: pino(
        { level: 'warn' },
        {
          write: (line: string) => {
            const { msg } = JSON.parse(line) as { msg?: string };
            if (msg?.startsWith('refused a socket')) refusals.push(msg);
          },
        },
      ),
    });
    await second.listen({ port: address, host: '127.0.0.1' });
    const own = await launchBrowser();
    try {
      const p = await own.newPage();
      await logIn(p, t.world.users.support);
      await p.goto(`${url}/g/${t.world.guildId}`);
      const target = card(p, tickets.second.id);
      await expect.poll(() => target.count()).toBe(1);
      const lost = p.getByText('Connection lost; reconnecting.');

      relay.cut();
      // The connection drops; reconnecting, the handshake finds no database to read the session from.
      for (const socket of second.realtime?.io.of('/').sockets.values() ?? []) socket.conn.close();
      await expect.poll(() => lost.count(), { timeout: 10_000 }).toBe(1);
      // The reconnecting socket's handshake was refused at least once.
      await eventually(() => refusals.length > 0, 10_000);
      await p.screenshot({ path: join(docs, 'dashboard-reconnecting.png') });
      relay.restore();

      await expect.poll(() => lost.count(), { timeout: 20_000 }).toBe(0);
      t.emulator.control.sendMessage(
        t.world.users.member,
        tickets.second.channelId ?? '',
        'Back after the outage',
      );
      await expect
        .poll(() => target.textContent(), { timeout: 10_000 })
        .toContain('Back after the outage');

      // The ticket open, the socket up, and the server deaf for a while (its database
      // away, so its notifications are lost): a message sent then is in the open
      // conversation once the server hears again, not only on its card.
      await target.click();
      const conversation = p.locator('.messages');
      await expect.poll(() => conversation.textContent()).toContain('Back after the outage');
      const stored = async () =>
        (
          await t.database.query<{ n: number }>(
            'select count(*)::int as n from messages where ticket_id = $1',
            [tickets.second.id],
          )
        )[0]?.n ?? 0;
      const before = await stored();
      relay.cut();
      t.emulator.control.sendMessage(
        t.world.users.member,
        tickets.second.channelId ?? '',
        'Sent while the server was deaf',
      );
      // Stored by the bot (on the database the relay does not cut) while the server is deaf.
      await eventually(async () => (await stored()) > before);
      relay.restore();
      await expect
        .poll(() => conversation.textContent(), { timeout: 15_000 })
        .toContain('Sent while the server was deaf');
      expect(await lost.count()).toBe(0);
    } finally {
      await own.dispose();
      await second.close();
      await relayed.close();
      await relay.close();
    }
  });

  // Last: it erases the demo server.
  it('erases only once the confirmation is typed: a person their own data, then the owner the whole server', async () => {
    const own = await launchBrowser();
    try {
      const p = await own.newPage();
      await logIn(p, t.world.users.member2);
      await p.getByTitle('Your account').click();
      const mine = p.getByRole('region', { name: 'Erase my data' });
      const eraseMine = mine.getByRole('button', { name: 'Erase my data' });
      await mine.getByLabel(/to confirm/).fill('erase my dat');
      expect(await eraseMine.isDisabled()).toBe(true);
      await mine.getByLabel(/to confirm/).fill('Erase my data ');
      expect(await eraseMine.isDisabled()).toBe(false);
      await eraseMine.click();
      await p.waitForURL(`${t.url}/login?erased=1`);
      expect(await p.getByRole('status').textContent()).toBe(
        'Your data was erased in every server, and you were logged out.',
      );
      expect(
        await t.database.query('select 1 from users where id = $1', [t.world.users.member2]),
      ).toEqual([]);

      await logIn(p, t.world.users.owner);
      await p.goto(`${t.url}/g/${t.world.guildId}/data`);
      const danger = p.getByRole('region', { name: /Danger zone/ });
      const eraseAll = danger.getByRole('button', { name: 'Erase all of this server’s data' });
      await danger.getByLabel(/Type the server's name/).fill('TicketFlow');
      expect(await eraseAll.isDisabled()).toBe(true);
      await danger.getByLabel(/Type the server's name/).fill('TicketFlow Demo');
      await p.screenshot({ path: join(docs, 'dashboard-erase-server.png'), fullPage: true });
      await eraseAll.click();
      await p.waitForURL(`${t.url}/?erased=1`);
      await expect
        .poll(() => p.getByRole('status').first().textContent())
        .toBe("The server's data was erased.");
      expect(
        await t.database.query('select 1 from tickets where guild_id = $1', [t.world.guildId]),
      ).toEqual([]);
    } finally {
      await own.dispose();
    }
  });
});

/** A pointer drag the way a person does it: press, move in steps, release. */
async function drag(
  page: Page,
  from: ReturnType<Page['locator']>,
  to: ReturnType<Page['locator']>,
) {
  const a = await from.boundingBox();
  const b = await to.boundingBox();
  if (!a || !b) throw new Error('nothing to drag');
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(a.x + a.width / 2 + 10, a.y + a.height / 2, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + 40, { steps: 15 });
  await page.mouse.up();
}
