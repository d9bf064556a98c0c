import { createCategory } from '@ticketflow/db/repositories/categories';
import { saveTag } from '@ticketflow/db/repositories/tags';
import { guilds } from '@ticketflow/db/schema';
import { decrypted, someoneWaits, testDatabaseKind, useTestDatabase } from '@ticketflow/db/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bot } from '../src/bot.ts';
import { eventually, guildStored, startTestBot, useEmulator } from './support.ts';

if (testDatabaseKind !== 'postgres') {
  console.log(
    '[bot] a category deleted while a ticket opens: a lock held in a second connection, which PGlite has not (set TEST_DATABASE_URL); not run on PGlite',
  );
}

describe('the ticket lifecycle in Discord', () => {
  const t = useEmulator();
  const db = useTestDatabase();
  let bot: Bot;
  const ids = { support: '', billing: '' };

  const start = () =>
    startTestBot(t, db.handle, { jobs: { pollMs: 100 }, publicUrl: 'http://dashboard.test/' });

  beforeAll(async () => {
    bot = await start();
    const guildId = t.world.guildId;
    // The bot stored the guild on GUILD_CREATE; categories come from the dashboard later.
    await guildStored(db.handle, guildId);
    await db.handle.db
      .update(guilds)
      .set({ settings: { closeDelaySeconds: 1 } })
      .where(eq(guilds.id, guildId));
    ids.support = (
      await createCategory(db.handle.db, {
        guildId,
        name: 'Support',
        emoji: '🛟',
        staffRoleIds: [t.world.roles.support],
        discordCategoryId: t.world.channels.ticketsCategory,
        questions: [
          { id: 'topic', label: 'What do you need?', style: 'short', required: true },
          { id: 'details', label: 'Details', style: 'paragraph', required: false },
        ],
      })
    ).id;
    ids.billing = (
      await createCategory(db.handle.db, {
        guildId,
        name: 'Billing',
        staffRoleIds: [t.world.roles.billing],
        discordCategoryId: t.world.channels.ticketsCategory,
        channelNamePattern: 'billing-{username}',
      })
    ).id;
  });
  afterAll(async () => {
    await bot?.stop();
  });

  const control = () => t.emulator.control;
  const panelMessage = () => {
    const messages = control().channelMessages(t.world.channels.panel);
    const panel = messages.findLast((m) => m.components.length > 0);
    if (!panel) throw new Error('no panel posted');
    return panel;
  };
  const ticketRow = async (channelId: string) =>
    decrypted(
      await db.handle.query<{
        id: string;
        number: number;
        status: string;
        assignee_id: string | null;
        priority: string;
        answers: Record<string, string>;
        close_reason: string | null;
      }>(
        'select id, number, status, assignee_id::text, priority, answers, close_reason from tickets where channel_id = $1',
        [channelId],
      ),
      { answers: 'json' },
    )[0];
  const canRead = (userId: string, channelId: string) => {
    try {
      control().readMessages(userId, channelId);
      return true;
    } catch {
      return false;
    }
  };

  /** Opens a Support ticket as `userId` through the panel and its modal; returns the channel id. */
  async function openSupportTicket(userId: string, topic: string) {
    const click = control().clickButton(
      userId,
      t.world.channels.panel,
      panelMessage().id,
      `tf:open:${ids.support}`,
    );
    const shown = await click.response();
    expect(shown.modal?.title).toBe('Open a Support ticket');
    const submitted = await control()
      .submitModal(userId, click.interaction.id, { topic, details: 'It broke on Tuesday' })
      .response();
    // The deferred reply is edited once the channel exists.
    const replyId = submitted.message?.id;
    const reply = await eventually(() =>
      control()
        .readMessages(userId, t.world.channels.panel)
        .find((m) => m.id === replyId && m.content.startsWith('Your ticket is open')),
    );
    const channelId = /<#(\d+)>/.exec(reply.content)?.[1];
    if (!channelId) throw new Error(`no channel in ${reply.content}`);
    return channelId;
  }

  /** Support runs `/ticket close` and confirms it. */
  async function closeAsStaff(channelId: string, ticketId: string) {
    const ask = await control()
      .runCommand(t.world.users.support, channelId, 'ticket', { subcommand: 'close' })
      .response();
    await control()
      .clickButton(
        t.world.users.support,
        channelId,
        ask.message?.id as string,
        `tf:close-confirm:${ticketId}`,
      )
      .response();
  }

  it('lets an admin post a panel, and refuses a member', async () => {
    const refused = await control()
      .runCommand(t.world.users.member, t.world.channels.welcome, 'panel')
      .response();
    expect(refused.message).toMatchObject({
      content: 'Only server admins can post ticket panels.',
      flags: 64,
    });

    const posted = await control()
      .runCommand(t.world.users.admin, t.world.channels.panel, 'panel')
      .response();
    expect(posted.message?.content).toBe('Panel posted with 2 categories.');
    const panel = panelMessage();
    const buttons = panel.components[0]?.components.map((c) =>
      'custom_id' in c ? c.custom_id : null,
    );
    expect(buttons).toEqual([`tf:open:${ids.support}`, `tf:open:${ids.billing}`]);
    const [stored] = await db.handle.query<{ message_id: string }>(
      'select message_id::text from panels',
    );
    expect(stored?.message_id).toBe(panel.id);
  });

  it("opens a private ticket channel with the answers, for the opener and the category's staff only", async () => {
    const channelId = await openSupportTicket(t.world.users.member, 'Refund for order 42');
    const channel = t.emulator.state.channel(channelId);
    expect(channel.parentId).toBe(t.world.channels.ticketsCategory);
    expect(channel.name).toBe('ticket-0001');

    expect(canRead(t.world.users.member, channelId)).toBe(true);
    expect(canRead(t.world.users.support, channelId)).toBe(true);
    expect(canRead(t.world.users.billing, channelId)).toBe(false);
    expect(canRead(t.world.users.member2, channelId)).toBe(false);

    const [welcome] = control().readMessages(t.world.users.member, channelId);
    expect(welcome?.embeds[0]).toMatchObject({
      title: 'Ticket #1 · Support',
      fields: [
        { name: 'What do you need?', value: 'Refund for order 42' },
        { name: 'Details', value: 'It broke on Tuesday' },
      ],
    });
    const ticket = await ticketRow(channelId);
    expect(ticket).toMatchObject({
      number: 1,
      status: 'open',
      answers: { topic: 'Refund for order 42', details: 'It broke on Tuesday' },
    });
    // The bot's own welcome message is mirrored like any other.
    await eventually(
      async () =>
        (await db.handle.query('select 1 from messages where ticket_id = $1', [ticket?.id]))
          .length === 1,
    );
  });

  it('refuses a second open ticket in the same category, before asking any questions', async () => {
    const click = control().clickButton(
      t.world.users.member,
      t.world.channels.panel,
      panelMessage().id,
      `tf:open:${ids.support}`,
    );
    const answer = await click.response();
    expect(answer.modal).toBeUndefined();
    expect(answer.message).toMatchObject({
      content: 'You already have an open ticket in this category.',
      flags: 64,
    });
  });

  it('opens a category without questions at once, named by its pattern', async () => {
    const click = control().clickButton(
      t.world.users.member2,
      t.world.channels.panel,
      panelMessage().id,
      `tf:open:${ids.billing}`,
    );
    await click.response();
    const reply = await eventually(() =>
      control()
        .readMessages(t.world.users.member2, t.world.channels.panel)
        .find((m) => m.content.startsWith('Your ticket is open')),
    );
    const channelId = /<#(\d+)>/.exec(reply.content)?.[1] as string;
    expect(t.emulator.state.channel(channelId).name).toBe('billing-max');
    expect(canRead(t.world.users.billing, channelId)).toBe(true);
    expect(canRead(t.world.users.support, channelId)).toBe(false);
  });

  it('lets staff claim, add and remove people, set priority, rename and write notes, and refuses members', async () => {
    const channelId = await openSupportTicket(t.world.users.owner, 'Owner question');
    const run = async (userId: string, subcommand: string, options?: Record<string, string>) =>
      control()
        .runCommand(userId, channelId, 'ticket', { subcommand, ...(options ? { options } : {}) })
        .response();

    const denied = await run(t.world.users.member2, 'claim').catch((e: unknown) => e);
    // member2 cannot even see this channel, so Discord refuses before the bot does.
    expect(String(denied)).toMatch(/Missing Access/);

    expect((await run(t.world.users.support, 'claim')).message?.content).toMatch(
      /claimed this ticket/,
    );
    expect((await ticketRow(channelId))?.assignee_id).toBe(t.world.users.support);
    expect((await run(t.world.users.support, 'claim')).message?.content).toBe(
      'You have already claimed this ticket.',
    );

    await run(t.world.users.support, 'add', { user: t.world.users.member2 });
    expect(canRead(t.world.users.member2, channelId)).toBe(true);
    const refused = await run(t.world.users.member2, 'priority', { level: 'urgent' });
    expect(refused.message).toMatchObject({
      content: "Only staff of this ticket's category can do that.",
      flags: 64,
    });
    await run(t.world.users.support, 'remove', { user: t.world.users.member2 });
    expect(canRead(t.world.users.member2, channelId)).toBe(false);

    // Right after the bot's "removed" message, which the mirror stores as this runs.
    const priority = await run(t.world.users.support, 'priority', { level: 'high' });
    expect(priority.message?.content).toBe('Priority set to **high**.');
    expect((await ticketRow(channelId))?.priority).toBe('high');
    await run(t.world.users.support, 'rename', { name: 'Refund Question' });
    expect(t.emulator.state.channel(channelId).name).toBe('refund-question');

    const publicCount = () =>
      control()
        .channelMessages(channelId)
        .filter((m) => m.visibleTo === null).length;
    const before = publicCount();
    const saved = await run(t.world.users.support, 'note', { text: 'Customer is a VIP' });
    expect(saved.message).toMatchObject({
      content: expect.stringMatching(/Note saved/),
      flags: 64,
    });
    expect(publicCount()).toBe(before);
    const [noteRow] = decrypted(
      await db.handle.query<{ internal: boolean; content: string }>(
        'select internal, content from messages where internal',
      ),
      { content: 'text' },
    );
    expect(noteRow).toEqual({ internal: true, content: 'Customer is a VIP' });
    expect(
      control()
        .channelMessages(channelId)
        .map((m) => m.content),
    ).not.toContain('Customer is a VIP');
  });

  it('posts saved replies for staff and assigns tickets to staff of the category only', async () => {
    await saveTag(db.handle.db, {
      guildId: t.world.guildId,
      name: 'Refunds',
      content: 'Refunds take 5 to 7 days.',
    });
    const channelId = await openSupportTicket(t.world.users.billing, 'Where is my refund?');
    const run = async (
      userId: string,
      name: string,
      options: Record<string, string>,
      subcommand?: string,
    ) =>
      control()
        .runCommand(userId, channelId, name, { options, ...(subcommand ? { subcommand } : {}) })
        .response();

    const posted = await run(t.world.users.support, 'tag', { name: 'refunds' });
    expect(posted.message).toMatchObject({ content: 'Refunds take 5 to 7 days.', flags: 0 });
    const unknown = await run(t.world.users.support, 'tag', { name: 'nope' });
    expect(unknown.message?.content).toBe(
      'No saved reply is called "nope". Saved replies: refunds.',
    );
    const refused = await run(t.world.users.billing, 'tag', { name: 'refunds' });
    expect(refused.message?.content).toBe("Only staff of this ticket's category can do that.");

    const notStaff = await run(
      t.world.users.support,
      'ticket',
      { user: t.world.users.member },
      'assign',
    );
    expect(notStaff.message?.content).toBe("mia is not staff of this ticket's category.");
    const assigned = await run(
      t.world.users.admin,
      'ticket',
      { user: t.world.users.support },
      'assign',
    );
    expect(assigned.message?.content).toMatch(/assigned this ticket to/);
    expect((await ticketRow(channelId))?.assignee_id).toBe(t.world.users.support);
  });

  it('transfers a ticket to another category: Billing staff gain it, Support staff lose it', async () => {
    const channelId = await openSupportTicket(t.world.users.admin, 'Actually about an invoice');
    expect(canRead(t.world.users.support, channelId)).toBe(true);
    expect(canRead(t.world.users.billing, channelId)).toBe(false);
    const moved = await control()
      .runCommand(t.world.users.support, channelId, 'ticket', {
        subcommand: 'transfer',
        options: { category: 'billing' },
      })
      .response();
    expect(moved.message?.content).toMatch(/moved this ticket to \*\*Billing\*\*/);
    expect(canRead(t.world.users.billing, channelId)).toBe(true);
    expect(canRead(t.world.users.support, channelId)).toBe(false);
    expect(canRead(t.world.users.admin, channelId)).toBe(true);
    const [row] = await db.handle.query<{ category_id: string }>(
      'select category_id from tickets where channel_id = $1',
      [channelId],
    );
    expect(row?.category_id).toBe(ids.billing);
    const again = await control()
      .runCommand(t.world.users.billing, channelId, 'ticket', {
        subcommand: 'transfer',
        options: { category: 'Billing' },
      })
      .response();
    expect(again.message?.content).toBe('This ticket is already in Billing.');
  });

  it('asks the opener by DM for a rating, with the transcript attached (without staff notes), and links it in the channel', async () => {
    const opener = t.emulator.control.createUser({ username: 'rita' });
    t.emulator.control.addMember(t.world.guildId, opener.id);
    const guildId = t.world.guildId;
    const [guild] = await db.handle.db.select().from(guilds).where(eq(guilds.id, guildId));
    await db.handle.db
      .update(guilds)
      .set({ settings: { ...guild?.settings, transcriptDm: true } })
      .where(eq(guilds.id, guildId));
    const channelId = await openSupportTicket(opener.id, 'Rate me');
    const ticketId = (await ticketRow(channelId))?.id as string;
    control().sendMessage(opener.id, channelId, 'my **order** <script>alert(1)</script>');
    await control()
      .runCommand(t.world.users.support, channelId, 'ticket', {
        subcommand: 'note',
        options: { text: 'staff-only remark' },
      })
      .response();
    await eventually(async () => {
      const [row] = await db.handle.query<{ n: number }>(
        'select count(*)::int as n from messages where ticket_id = $1',
        [ticketId],
      );
      return (row?.n ?? 0) >= 3; // welcome, the opener's message, the note
    });
    await closeAsStaff(channelId, ticketId);

    const closing = await eventually(() =>
      control()
        .channelMessages(channelId)
        .find((m) => m.content.includes('Ticket closed by')),
    );
    expect(closing.content).toContain(
      `📄 Transcript and history: <http://dashboard.test/g/${guildId}/t/${ticketId}>`,
    );

    const dm = await eventually(() => control().dmChannels(opener.id)[0]);
    const [question] = await eventually(() => {
      const messages = control().readMessages(opener.id, dm.id);
      return messages.length > 0 ? messages : null;
    });
    expect(question?.content).toMatch(
      /Your ticket #\d+ in \*\*TicketFlow Demo\*\* was closed\. Its transcript is attached\./,
    );
    const file = question?.attachments[0];
    expect(file?.filename).toMatch(/^ticket-\d+\.html$/);
    const html = await (await fetch(file?.url as string)).text();
    expect(html).toContain('my <strong>order</strong> &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('What do you need?'); // the welcome message with the answers
    expect(html).not.toContain('staff-only remark');
    expect(html).not.toMatch(/<script>/);
    const rated = await control()
      .clickButton(opener.id, dm.id, question?.id as string, `tf:rate:${ticketId}_4`)
      .response();
    expect(rated.message?.content).toBe('Thanks! You rated ⭐⭐⭐⭐ (4/5).');
    const commentButton = await control().clickButton(
      opener.id,
      dm.id,
      question?.id as string,
      `tf:comment:${ticketId}`,
    );
    await commentButton.response();
    const thanked = await control()
      .submitModal(opener.id, commentButton.interaction.id, { comment: 'Quick and kind' })
      .response();
    expect(thanked.message?.content).toBe('Thanks for the comment!');
    const [row] = decrypted(
      await db.handle.query<{ rating: number; comment: string }>(
        'select rating, comment from feedback where ticket_id = $1',
        [ticketId],
      ),
      { comment: 'text' },
    );
    expect(row).toEqual({ rating: 4, comment: 'Quick and kind' });
  });

  it('closes with a confirmation, locks the channel for the opener, and deletes it after the delay', async () => {
    const channelId = await openSupportTicket(t.world.users.member2, 'Please close me');
    const [welcome] = control().readMessages(t.world.users.member2, channelId);
    const ticket = await ticketRow(channelId);
    const ask = await control()
      .clickButton(
        t.world.users.member2,
        channelId,
        welcome?.id as string,
        `tf:close:${ticket?.id}`,
      )
      .response();
    expect(ask.message).toMatchObject({ content: `Close ticket #${ticket?.number}?`, flags: 64 });
    const confirmed = await control()
      .clickButton(
        t.world.users.member2,
        channelId,
        ask.message?.id as string,
        `tf:close-confirm:${ticket?.id}`,
      )
      .response();
    expect(confirmed.message?.content).toBe(`Ticket #${ticket?.number} closed.`);
    expect((await ticketRow(channelId))?.status).toBe('closed');
    // The channel is locked just after the confirmation is answered.
    await eventually(() =>
      control().channelMessages(channelId).at(-1)?.content.includes('Ticket closed by'),
    );
    expect(control().channelMessages(channelId).at(-1)?.content).toMatch(/deleted in 1 second\./);
    expect(() => control().sendMessage(t.world.users.member2, channelId, 'wait!')).toThrow(
      /Missing Permissions/,
    );
    await eventually(() => !t.emulator.state.channels.has(channelId), 15_000);
  });

  it('reopens a closed ticket before its channel is deleted', async () => {
    await db.handle.db
      .update(guilds)
      .set({ settings: { closeDelaySeconds: 3600 } })
      .where(eq(guilds.id, t.world.guildId));
    const channelId = await openSupportTicket(t.world.users.admin, 'Reopen me');
    const close = await control()
      .runCommand(t.world.users.support, channelId, 'ticket', {
        subcommand: 'close',
        options: { reason: 'solved' },
      })
      .response();
    await control()
      .clickButton(
        t.world.users.support,
        channelId,
        close.message?.id as string,
        `tf:close-confirm:${(await ticketRow(channelId))?.id}`,
      )
      .response();
    expect(await ticketRow(channelId)).toMatchObject({ status: 'closed', close_reason: 'solved' });
    await eventually(() =>
      control().channelMessages(channelId).at(-1)?.content.includes('Ticket closed by'),
    );

    const reopened = await control()
      .runCommand(t.world.users.support, channelId, 'ticket', { subcommand: 'reopen' })
      .response();
    expect(reopened.message?.content).toMatch(/reopened/);
    expect((await ticketRow(channelId))?.status).toBe('open');
    const ticketId = (await ticketRow(channelId))?.id;
    const jobs = await db.handle.query<{ status: string }>(
      'select status from jobs where key = $1',
      [`delete-channel:${ticketId}`],
    );
    expect(jobs).toEqual([{ status: 'cancelled' }]);
    control().sendMessage(t.world.users.admin, channelId, 'thanks for reopening');
  });

  it('asks the opener to confirm closing: no keeps it open, yes closes it, and only the opener may answer', async () => {
    await db.handle.db
      .update(guilds)
      .set({ settings: { closeDelaySeconds: 3600, closeRequestHours: 1 } })
      .where(eq(guilds.id, t.world.guildId));
    const opener = t.emulator.control.createUser({ username: 'olga' });
    t.emulator.control.addMember(t.world.guildId, opener.id);
    const channelId = await openSupportTicket(opener.id, 'Close me politely');
    const ticketId = (await ticketRow(channelId))?.id as string;
    const ask = async () =>
      (
        await control()
          .runCommand(t.world.users.support, channelId, 'ticket', {
            subcommand: 'close-request',
            options: { reason: 'fixed' },
          })
          .response()
      ).message as { id: string; content: string };

    const first = await ask();
    expect(first.content).toMatch(
      /thinks this ticket can be closed \(fixed\)\. Can we close it\? Without an answer it closes in 60 minutes\./,
    );
    const notYours = await control()
      .clickButton(t.world.users.support, channelId, first.id, `tf:cr-accept:${ticketId}`)
      .response();
    expect(notYours.message?.content).toBe('Only the person who opened this ticket can answer.');
    const no = await control()
      .clickButton(opener.id, channelId, first.id, `tf:cr-deny:${ticketId}`)
      .response();
    expect(no.message?.content).toMatch(/still needs help/);
    expect((await ticketRow(channelId))?.status).toBe('open');

    const second = await ask();
    await control()
      .clickButton(opener.id, channelId, second.id, `tf:cr-accept:${ticketId}`)
      .response();
    await eventually(async () => (await ticketRow(channelId))?.status === 'closed');
    expect((await ticketRow(channelId))?.close_reason).toBe("Closed at the opener's request");
  });

  it('closes a ticket whose opener never answers the close request, across a restart', async () => {
    await db.handle.db
      .update(guilds)
      .set({ settings: { closeDelaySeconds: 3600, closeRequestHours: 2 / 3600 } })
      .where(eq(guilds.id, t.world.guildId));
    const opener = t.emulator.control.createUser({ username: 'nadia' });
    t.emulator.control.addMember(t.world.guildId, opener.id);
    const channelId = await openSupportTicket(opener.id, 'I will go quiet');
    await control()
      .runCommand(t.world.users.support, channelId, 'ticket', { subcommand: 'close-request' })
      .response();
    await bot.stop();
    bot = await start();
    const closed = await eventually(async () => {
      const row = await ticketRow(channelId);
      return row?.status === 'closed' ? row : null;
    }, 15_000);
    expect(closed.close_reason).toBe('No answer to the close request');
    await eventually(() =>
      control()
        .channelMessages(channelId)
        .at(-1)
        ?.content.startsWith('🔒 Ticket closed by TicketFlow'),
    );
  });

  it("deletes a closed ticket's channel on time even when the bot restarted in between", async () => {
    await db.handle.db
      .update(guilds)
      .set({ settings: { closeDelaySeconds: 2 } })
      .where(eq(guilds.id, t.world.guildId));
    const channelId = await openSupportTicket(t.world.users.support, 'Restart me');
    const ticketId = (await ticketRow(channelId))?.id as string;
    await closeAsStaff(channelId, ticketId);
    await bot.stop();
    expect(t.emulator.state.channels.has(channelId)).toBe(true);
    bot = await start();
    await eventually(() => !t.emulator.state.channels.has(channelId), 15_000);
    // The channel is gone; the job is marked done just after.
    await eventually(async () => {
      const [job] = await db.handle.query<{ status: string }>(
        'select status from jobs where key = $1',
        [`delete-channel:${ticketId}`],
      );
      return job?.status === 'done';
    });
  });

  it('takes an export request from an admin with /ticketflow export, and refuses staff', async () => {
    const run = (userId: string) =>
      control()
        .runCommand(userId, t.world.channels.panel, 'ticketflow', { subcommand: 'export' })
        .response();
    const first = await run(t.world.users.admin);
    expect(first.message).toMatchObject({ flags: 64 });
    expect(first.message?.content).toMatch(
      new RegExp(`^Your export is being prepared\\. .*/g/${t.world.guildId}/data\\.$`),
    );
    const again = await run(t.world.users.admin);
    expect(again.message?.content).toMatch(/^An export is already being prepared\./);
    const refused = await run(t.world.users.support);
    expect(refused.message?.content).toBe("Only server admins can export the server's data.");
    const requests = await db.handle.query<{ requested_by: string; status: string }>(
      `select requested_by::text, status from data_requests where guild_id = $1 and kind = 'export'`,
      [t.world.guildId],
    );
    expect(requests).toEqual([{ requested_by: t.world.users.admin, status: 'pending' }]);
    const [job] = await db.handle.query<{ kind: string }>(
      `select kind from jobs where key like 'export:%'`,
    );
    expect(job?.kind).toBe('export');
    const audit = await db.handle.query<{ actor_id: string }>(
      `select actor_id::text from audit_log where action = 'export.requested'`,
    );
    expect(audit).toEqual([{ actor_id: t.world.users.admin }]);
  });

  // Last: it deletes the Billing category.
  it.runIf(testDatabaseKind === 'postgres')(
    'tells a member the category is gone when an admin deletes it while their ticket is being opened, and opens nothing',
    async () => {
      const opener = control().createUser({ username: 'gwen' });
      control().addMember(t.world.guildId, opener.id);
      // The admin's delete, not yet committed: the bot reads the category as it was.
      const admin = await db.connect(1);
      await admin.query('begin');
      await admin.query('delete from categories where id = $1', [ids.billing]);
      const click = control().clickButton(
        opener.id,
        t.world.channels.panel,
        panelMessage().id,
        `tf:open:${ids.billing}`,
      );
      await click.response();
      // Opening waits for the category's row; the delete commits meanwhile.
      await someoneWaits(db.handle);
      await admin.query('commit');
      const reply = await eventually(() =>
        control()
          .readMessages(opener.id, t.world.channels.panel)
          .find((m) => m.flags === 64 && m.content.includes('no longer exists')),
      );
      expect(reply.content).toBe(
        'That ticket category no longer exists. Ask an admin to post a new panel.',
      );
      expect(
        await db.handle.query('select 1 from tickets where opener_id = $1', [opener.id]),
      ).toEqual([]);
    },
  );
});
