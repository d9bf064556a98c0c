import { decrypt, keyIdOf } from '@ticketflow/db/crypto';
import type { AuditResponse, Message } from '@ticketflow/shared/api';
import { beforeAll, describe, expect, it } from 'vitest';
import { login, seedTicket, useServer } from './support.ts';

describe('audit log', () => {
  const t = useServer({ dataJobs: false });
  let staff = '';
  let admin = '';
  const g = () => `/api/guilds/${t.world.guildId}`;

  beforeAll(async () => {
    staff = await login(t, t.world.users.support);
    admin = await login(t, t.world.users.admin);
  });

  /** The audit rows of one action since `since`, read without the app. */
  const rowsOf = (action: string, since: Date) =>
    t.database.query<{
      guild_id: string | null;
      actor_id: string | null;
      target_type: string | null;
      target_id: string | null;
      ip: string | null;
      created_at: Date;
    }>(
      `select guild_id::text, actor_id::text, target_type, target_id, ip, created_at
       from audit_log where action = $1 and created_at >= $2`,
      [action, since],
    );

  it('writes one row with actor, target and time for each audited action of staff and admins', async () => {
    const ticket = await seedTicket(t, t.world.categories.support);
    const since = new Date(Date.now() - 1);
    const as = (cookie: string) => ({ cookie });
    const base = `${g()}/tickets/${ticket.id}`;
    const expectOne = async (action: string, actor: string, target: string, type = 'ticket') => {
      const rows = await rowsOf(action, since);
      expect(rows, action).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        guild_id: t.world.guildId,
        actor_id: actor,
        target_type: type,
        target_id: target,
      });
      expect(rows[0]?.ip).toBeTruthy();
      expect(rows[0]?.created_at.getTime()).toBeGreaterThanOrEqual(since.getTime());
    };

    expect((await t.app.inject({ url: base, headers: as(staff) })).statusCode).toBe(200);
    await expectOne('ticket.view', t.world.users.support, ticket.id);

    expect((await t.app.inject({ url: `${base}/transcript`, headers: as(staff) })).statusCode).toBe(
      200,
    );
    await expectOne('transcript.view', t.world.users.support, ticket.id);

    const reply = await t.app.inject({
      method: 'POST',
      url: `${base}/messages`,
      headers: as(staff),
      payload: { content: 'On it' },
    });
    expect(reply.statusCode).toBe(202);
    await expectOne('ticket.reply', t.world.users.support, ticket.id);

    const note = await t.app.inject({
      method: 'POST',
      url: `${base}/notes`,
      headers: as(staff),
      payload: { content: 'VIP' },
    });
    const noteId = (note.json() as Message).id;
    await t.app.inject({
      method: 'PATCH',
      url: `${base}/notes/${noteId}`,
      headers: as(staff),
      payload: { content: 'VIP customer' },
    });
    await t.app.inject({ method: 'DELETE', url: `${base}/notes/${noteId}`, headers: as(staff) });
    await expectOne('note.create', t.world.users.support, ticket.id);
    // A note's edit and deletion name the note.
    await expectOne('note.update', t.world.users.support, noteId, 'message');
    await expectOne('note.delete', t.world.users.support, noteId, 'message');

    const settings = await t.app.inject({
      method: 'PATCH',
      url: `${g()}/settings`,
      headers: as(admin),
      payload: { transcriptDm: true },
    });
    expect(settings.statusCode).toBe(200);
    await expectOne('settings.updated', t.world.users.admin, t.world.guildId, 'guild');

    // And the viewer lists them for admins, filtered by who and what.
    const mine = (
      await t.app.inject({
        url: `${g()}/audit?actorId=${t.world.users.support}&action=note.`,
        headers: as(admin),
      })
    ).json() as AuditResponse;
    expect(mine.entries.map((e) => e.action)).toEqual([
      'note.delete',
      'note.update',
      'note.create',
    ]);
    expect(mine.entries[0]?.actor?.id).toBe(t.world.users.support);
    const page = (
      await t.app.inject({ url: `${g()}/audit?limit=2`, headers: as(admin) })
    ).json() as AuditResponse;
    expect(page.entries).toHaveLength(2);
    const older = (
      await t.app.inject({
        url: `${g()}/audit?limit=2&before=${page.nextBefore}`,
        headers: as(admin),
      })
    ).json() as AuditResponse;
    expect(older.entries[0]?.id).toBeLessThan(page.entries[1]?.id ?? 0);
    const future = (
      await t.app.inject({
        url: `${g()}/audit?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
        headers: as(admin),
      })
    ).json() as AuditResponse;
    expect(future.entries).toEqual([]);
    const bad = await t.app.inject({ url: `${g()}/audit?action=DROP%20TABLE`, headers: as(admin) });
    expect(bad.statusCode).toBe(400);
  });

  it('records each login, with no server, and keeps the OAuth tokens encrypted', async () => {
    const since = new Date(Date.now() - 1);
    await login(t, t.world.users.billing);
    const rows = await rowsOf('auth.login', since);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ guild_id: null, actor_id: t.world.users.billing });
    const [session] = await t.database.query<{ access_token: string; refresh_token: string }>(
      'select access_token, refresh_token from sessions where user_id = $1',
      [t.world.users.billing],
    );
    expect(keyIdOf(session?.access_token ?? '')).toBe('test');
    expect(keyIdOf(session?.refresh_token ?? '')).toBe('test');
    expect(decrypt(session?.access_token ?? '').length).toBeGreaterThan(10);
  });
});
