import { beforeAll, describe, expect, it } from 'vitest';
import { upsertMessage } from '../src/repositories/messages.ts';
import { AUDIT_RETENTION_DAYS, purgeExpired } from '../src/repositories/retention.ts';
import { closeTicket, createTicket } from '../src/repositories/tickets.ts';
import { useTestDatabase } from '../src/testing.ts';
import { seedGuild, snowflake } from './support.ts';

const DAY = 24 * 3600 * 1000;

describe('retention', () => {
  const t = useTestDatabase();
  const now = new Date('2026-06-01T12:00:00Z');
  const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
  let windowed: string;
  let keeper: string;

  beforeAll(async () => {
    windowed = await seedGuild(t.handle.db, 'Thirty days');
    keeper = await seedGuild(t.handle.db, 'Keeps transcripts');
    await t.handle.query(
      `update guilds set settings = '{"closedTicketRetentionDays": 30}' where id = $1`,
      [windowed],
    );
  });

  async function audit(at: string) {
    const [row] = await t.handle.query<{ id: number }>(
      `insert into audit_log (guild_id, action, created_at) values ($1, 'ticket.view', $2) returning id`,
      [windowed, at],
    );
    return row?.id as number;
  }

  async function closedTicket(guildId: string, closedAt: string) {
    const { ticket } = await createTicket(t.handle.db, { guildId, openerId: snowflake() });
    await upsertMessage(t.handle.db, {
      id: snowflake(),
      guildId,
      ticketId: ticket.id,
      content: 'hi',
      createdAt: new Date(),
    });
    await closeTicket(t.handle.db, { ticketId: ticket.id });
    await t.handle.query('update tickets set closed_at = $2 where id = $1', [ticket.id, closedAt]);
    return ticket.id;
  }

  const exists = async (table: string, column: string, id: string | number) =>
    (await t.handle.query(`select 1 from ${table} where ${column} = $1`, [id])).length > 0;

  it('purges exactly what is past its window, at the boundary too, and nothing on a second run', async () => {
    const oldAudit = await audit(ago(AUDIT_RETENTION_DAYS * DAY + 1_000));
    const edgeAudit = await audit(ago(AUDIT_RETENTION_DAYS * DAY));
    const newAudit = await audit(ago(AUDIT_RETENTION_DAYS * DAY - 1_000));
    const expired = await closedTicket(windowed, ago(30 * DAY + 1_000));
    const edge = await closedTicket(windowed, ago(30 * DAY));
    const recent = await closedTicket(windowed, ago(29 * DAY));
    const kept = await closedTicket(keeper, ago(1_000 * DAY));
    const { ticket: open } = await createTicket(t.handle.db, {
      guildId: windowed,
      openerId: snowflake(),
    });
    await t.handle.query(`update tickets set created_at = $2 where id = $1`, [
      open.id,
      ago(400 * DAY),
    ]);

    const first = await purgeExpired(t.handle.db, now);
    expect(first).toMatchObject({ auditLog: 1, closedTickets: 1 });
    expect(await exists('audit_log', 'id', oldAudit)).toBe(false);
    expect(await exists('audit_log', 'id', edgeAudit)).toBe(true);
    expect(await exists('audit_log', 'id', newAudit)).toBe(true);
    expect(await exists('tickets', 'id', expired)).toBe(false);
    // Its messages and events went with it.
    expect(await exists('messages', 'ticket_id', expired)).toBe(false);
    expect(await exists('events', 'ticket_id', expired)).toBe(false);
    for (const id of [edge, recent, kept, open.id])
      expect(await exists('tickets', 'id', id)).toBe(true);
    // Open boards are told (a guild-level event), so the purged card does not linger.
    const told = await t.handle.query<{ data: unknown }>(
      "select data from events where guild_id = $1 and kind = 'tickets.purged'",
      [windowed],
    );
    expect(told.map((e) => e.data)).toEqual([{ count: 1 }]);

    expect(await purgeExpired(t.handle.db, now)).toMatchObject({ auditLog: 0, closedTickets: 0 });
  });

  it('deletes each row once when two purges run at the same moment', async () => {
    for (let i = 0; i < 5; i++) await audit(ago(200 * DAY));
    for (let i = 0; i < 3; i++) await closedTicket(windowed, ago(60 * DAY));
    const other = await t.connect(2);
    const [a, b] = await Promise.all([purgeExpired(t.handle.db, now), purgeExpired(other.db, now)]);
    expect((a?.auditLog ?? 0) + (b?.auditLog ?? 0)).toBe(5);
    expect((a?.closedTickets ?? 0) + (b?.closedTickets ?? 0)).toBe(3);
  });
});
