import { eraseGuild } from '@ticketflow/db/repositories/erasure';
import { latestSeq, listTicketEvents } from '@ticketflow/db/repositories/events';
import {
  markGuildLeft,
  notifyMemberChanged,
  recordRolesChanged,
  upsertGuild,
} from '@ticketflow/db/repositories/guilds';
import { upsertMessages } from '@ticketflow/db/repositories/messages';
import { updateTicket } from '@ticketflow/db/repositories/tickets';
import type {
  ClientToServerEvents,
  JoinAck,
  LiveEvent,
  ServerToClientEvents,
} from '@ticketflow/shared/api';
import { mintSnowflake } from '@ticketflow/shared/snowflake';
import { eventually as poll } from '@ticketflow/shared/testing';
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AccessService } from '../src/access.ts';
import { login, memberWrites, seedTicket, useServer } from './support.ts';

/** This file's deadline for a pushed event: 10 s. */
const eventually = <T>(check: () => T) => poll(check, 10_000, 20);

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
/** How long the burst test lets a queue stay over its limit (with 0, the polling client is cut off). */
const STUCK_MS = 1_500;

describe('real-time sync over Socket.IO', () => {
  const t = useServer();
  const open: Client[] = [];
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });

  async function connect(
    cookie: string | undefined,
    url = t.url,
    extra: { origin?: string; polling?: boolean } = {},
  ) {
    const client: Client = io(url, {
      transports: extra.polling ? ['polling'] : ['websocket'],
      extraHeaders: {
        ...(cookie ? { cookie } : {}),
        ...(extra.origin ? { origin: extra.origin } : {}),
      },
      reconnection: false,
    });
    open.push(client);
    const received: LiveEvent[] = [];
    const ticks: number[] = [];
    /** Every seq in the order it arrived (events and ticks), and the size of each multi-event packet. */
    const arrival: number[] = [];
    const packets: number[] = [];
    client.on('event', (e) => {
      received.push(e);
      arrival.push(e.seq);
    });
    client.on('events', (list) => {
      received.push(...list);
      arrival.push(...list.map((e) => e.seq));
      packets.push(list.length);
    });
    client.on('tick', (x) => {
      ticks.push(x.seq);
      arrival.push(x.seq);
    });
    await new Promise<void>((resolve, reject) => {
      client.on('connect', () => resolve());
      client.on('connect_error', (e) => reject(e));
    });
    const join = (room: { guildId: string; ticketId?: string }) =>
      new Promise<JoinAck>((resolve) => client.emit('join', room as never, resolve));
    return { client, received, ticks, arrival, packets, join };
  }

  const message = (ticketId: string, content: string) => memberWrites(t, ticketId, content);
  /** `count` member messages in one statement: one notification, many events. */
  const messages = (ticketId: string, count: number, content: (i: number) => string) =>
    upsertMessages(
      t.database.db,
      Array.from({ length: count }, (_, i) => ({
        id: mintSnowflake(),
        guildId: t.world.guildId,
        ticketId,
        authorId: t.world.users.member,
        content: content(i),
        createdAt: new Date(),
      })),
    );

  it('refuses a handshake without a session, and one from another origin', async () => {
    await expect(connect(undefined)).rejects.toThrow(/unauthorized/);
    const cookie = await login(t, t.world.users.support);
    await expect(connect(cookie, t.url, { origin: 'https://evil.example' })).rejects.toThrow();
  });

  it('authorises every join: no guild without access, no ticket of another category', async () => {
    const member = await connect(await login(t, t.world.users.member));
    expect(await member.join({ guildId: t.world.guildId })).toEqual({
      ok: false,
      error: 'not_found',
    });

    const billing = await connect(await login(t, t.world.users.billing));
    const ticket = await seedTicket(t, t.world.categories.support);
    expect(await billing.join({ guildId: t.world.guildId, ticketId: ticket.id })).toEqual({
      ok: false,
      error: 'not_found',
    });
    expect(await billing.join({ guildId: 'nonsense' })).toEqual({
      ok: false,
      error: 'bad_request',
    });
  });

  it('pushes a change written by the bot to a subscribed socket with its seq, and only a tick to staff of other categories', async () => {
    const staff = await connect(await login(t, t.world.users.support));
    const billing = await connect(await login(t, t.world.users.billing));
    const ticket = await seedTicket(t, t.world.categories.support);
    const joined = await staff.join({ guildId: t.world.guildId });
    expect(joined.ok).toBe(true);
    expect((await billing.join({ guildId: t.world.guildId })).ok).toBe(true);

    const stored = await message(ticket.id, 'My invoice is wrong');
    if (!stored.changed) throw new Error('not stored');
    const got = await eventually(() => staff.received.find((e) => e.seq === stored.seq));
    expect(got).toMatchObject({ kind: 'message.created', ticketId: ticket.id });
    expect(got.message?.content).toBe('My invoice is wrong');
    expect(got.card?.lastMessage?.snippet).toBe('My invoice is wrong');

    await eventually(() => billing.ticks.includes(stored.seq));
    expect(billing.received.find((e) => e.ticketId === ticket.id)).toBeUndefined();
  });

  it('sends a burst to a socket that sees the whole guild in few packets, in seq order; category staff get theirs and a tick for each other one', async () => {
    const admin = await connect(await login(t, t.world.users.admin));
    const staff = await connect(await login(t, t.world.users.support));
    expect((await admin.join({ guildId: t.world.guildId })).ok).toBe(true);
    expect((await staff.join({ guildId: t.world.guildId })).ok).toBe(true);
    const support = await seedTicket(t, t.world.categories.support);
    const billing = await seedTicket(t, t.world.categories.billing);
    // 20 messages per transaction: their notifications arrive together.
    const burst = (ticketId: string) => messages(ticketId, 20, (i) => `burst ${i}`);
    await Promise.all([burst(support.id), burst(billing.id)]);
    const mine = await listTicketEvents(t.database.db, support.id);
    const theirs = await listTicketEvents(t.database.db, billing.id);
    const seqsOf = (events: { seq: number; kind: string }[]) =>
      events.filter((e) => e.kind === 'message.created').map((e) => e.seq);
    const all = [...seqsOf(mine), ...seqsOf(theirs)].sort((a, b) => a - b);
    expect(all).toHaveLength(40);

    const last = all.at(-1) ?? 0;
    await eventually(() => admin.arrival.includes(last) && staff.arrival.includes(last));
    const burstOnly = (seqs: number[]) => seqs.filter((s) => all.includes(s));
    expect(burstOnly(admin.arrival)).toEqual(all);
    expect(Math.max(...admin.packets)).toBeGreaterThan(1);
    expect(burstOnly(staff.arrival)).toEqual(all);
    expect(burstOnly(staff.received.map((e) => e.seq))).toEqual(seqsOf(mine));
    expect(burstOnly(staff.ticks)).toEqual(seqsOf(theirs));
    expect(staff.packets).toEqual([]);
  });

  it('a client that missed 50 events gets them all, in order, through the events route', async () => {
    const cookie = await login(t, t.world.users.support);
    const ticket = await seedTicket(t, t.world.categories.support);
    const first = await connect(cookie);
    const { seq: start } = (await first.join({ guildId: t.world.guildId })) as { seq: number };
    first.client.close();

    const seqs: number[] = [];
    for (let i = 0; i < 50; i++) {
      const r = await message(ticket.id, `missed ${i}`);
      if (r.changed) seqs.push(r.seq);
    }
    const again = await connect(cookie);
    await again.join({ guildId: t.world.guildId });
    const res = await t.app.inject({
      url: `/api/guilds/${t.world.guildId}/events?after=${start}`,
      headers: { cookie },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { events: LiveEvent[]; seq: number };
    const replayed = body.events.filter(
      (e) => e.ticketId === ticket.id && e.kind === 'message.created',
    );
    expect(replayed.map((e) => e.seq)).toEqual(seqs);
    expect(replayed.map((e) => e.message?.content)).toEqual(seqs.map((_, i) => `missed ${i}`));
    expect(body.seq).toBeGreaterThanOrEqual(seqs.at(-1) ?? 0);
  });

  it('cuts off a client that stops reading, and the others still get every event', async () => {
    const { app: server, url } = await t.listening({
      realtime: { maxQueuedPackets: 5, queueCheckMs: 20, stuckMs: 100 },
    });
    const cookie = await login(t, t.world.users.admin);
    const reader = await connect(cookie, url);
    const stuck = await connect(cookie, url);
    expect((await reader.join({ guildId: t.world.guildId })).ok).toBe(true);
    const joined = await stuck.join({ guildId: t.world.guildId });
    if (!joined.ok) throw new Error('not joined');
    // The stuck client stops reading its TCP connection: what the server writes to it backs up.
    const transport = stuck.client.io.engine.transport as unknown as {
      ws: { _socket: { pause(): void } };
    };
    transport.ws._socket.pause();
    const sockets = () => server.realtime?.io.of('/').sockets.size ?? 0;
    expect(sockets()).toBe(2);

    // Large messages, 100 a statement, until the kernel's buffers are full and the queue passes 5 packets.
    const ticket = await seedTicket(t, t.world.categories.support);
    const content = 'x'.repeat(4000);
    for (let batch = 0; batch < 80 && sockets() === 2; batch++) {
      await messages(ticket.id, 100, () => content);
    }
    await eventually(() => sockets() === 1);
    // Its connection is closed at once, with what was queued for it (not after a drain that never comes).
    await eventually(() => server.realtime?.io.engine.clientsCount === 1);
    // The reader got every event, in order, without a gap.
    const last = await latestSeq(t.database.db, t.world.guildId);
    await eventually(() => reader.received.some((e) => e.seq === last));
    const seqs = reader.received.map((e) => e.seq).filter((q) => q > joined.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => (seqs[0] ?? 0) + i));
    expect(seqs.at(-1)).toBe(last);
  });

  it('does not cut off a client that keeps up with a burst (a backfill) filling its queue for a moment', async () => {
    const { app: server, url } = await t.listening({
      realtime: { maxQueuedPackets: 5, queueCheckMs: 5, stuckMs: STUCK_MS },
    });
    // Category staff get a packet per event, and a long-polling client's packets wait
    // for its next poll: a burst fills its queue for a moment, every time.
    const staff = await connect(await login(t, t.world.users.support), url, { polling: true });
    const joined = await staff.join({ guildId: t.world.guildId });
    if (!joined.ok) throw new Error('not joined');
    const ticket = await seedTicket(t, t.world.categories.support);
    for (let batch = 0; batch < 10; batch++) {
      await messages(ticket.id, 100, (i) => `burst ${batch}-${i}`);
    }
    const last = await latestSeq(t.database.db, t.world.guildId);
    await eventually(() => staff.received.some((e) => e.seq === last));
    expect(staff.received.filter((e) => e.seq > joined.seq)).toHaveLength(last - joined.seq);
    expect(server.realtime?.io.of('/').sockets.size).toBe(1);
  });

  it('two server instances on one database both deliver every event', async () => {
    const { url: secondUrl } = await t.listening();
    const cookie = await login(t, t.world.users.admin);
    const a = await connect(cookie);
    const b = await connect(cookie, secondUrl);
    await a.join({ guildId: t.world.guildId });
    await b.join({ guildId: t.world.guildId });
    const ticket = await seedTicket(t, t.world.categories.billing);
    const changed = await updateTicket(t.database.db, ticket.id, { priority: 'urgent' });
    if (changed.conflict) throw new Error('conflict');
    for (const client of [a, b]) {
      const e = await eventually(() => client.received.find((x) => x.seq === changed.seq));
      expect(e.card?.priority).toBe('urgent');
    }
  });

  it('sockets joining at once (a reconnect after a restart) share one Discord read per member and one of the roles', async () => {
    // A fresh instance: nothing cached yet.
    const { url } = await t.listening();
    const cookie = await login(t, t.world.users.admin);
    const tabs = await Promise.all(Array.from({ length: 12 }, () => connect(cookie, url)));
    const since = Date.now();
    const acks = await Promise.all(tabs.map((c) => c.join({ guildId: t.world.guildId })));
    expect(acks.every((a) => a.ok)).toBe(true);
    const reads = (route: string) =>
      t.emulator.control.requests({ method: 'GET', route, since }).length;
    expect(reads('/guilds/:guildId/members/:userId')).toBe(1);
    expect(reads('/guilds/:guildId/roles')).toBe(1);
  });

  it('re-checks access once per user and guild, however many sockets share it, and revokes them all', async () => {
    // Roles cached for a millisecond, and rounds run by the test (not the timer).
    const { app: server, url } = await t.listening({
      accessTtlMs: 1,
      realtime: { recheckMs: 3_600_000 },
    });
    const support = t.world.users.support;
    const staffCookie = await login(t, support);
    const adminCookie = await login(t, t.world.users.admin);
    const tabs = [
      await connect(staffCookie, url),
      await connect(staffCookie, url),
      await connect(staffCookie, url),
    ];
    const admin = await connect(adminCookie, url);
    for (const c of [...tabs, admin]) {
      expect(await c.join({ guildId: t.world.guildId })).toMatchObject({ ok: true });
    }
    const revoked = tabs.map((c) => new Promise((r) => c.client.on('revoked', r)));
    const resolve = vi.spyOn(AccessService.prototype, 'resolve');
    try {
      t.emulator.control.setMemberRoles(t.world.guildId, support, []);
      await server.realtime?.recheck();
      // Four sockets, two (user, guild) pairs: two resolutions.
      expect(resolve.mock.calls.map((c) => c[0]).sort()).toEqual(
        [support, t.world.users.admin].sort(),
      );
      for (const r of revoked) await expect(r).resolves.toEqual({ guildId: t.world.guildId });
      // The revoked tabs get nothing more; the admin still does.
      const ticket = await seedTicket(t, t.world.categories.support);
      const changed = await updateTicket(t.database.db, ticket.id, { priority: 'urgent' });
      if (changed.conflict) throw new Error('conflict');
      await eventually(() => admin.received.find((x) => x.seq === changed.seq));
      for (const c of tabs) expect(c.received.find((x) => x.seq === changed.seq)).toBeUndefined();
    } finally {
      resolve.mockRestore();
      t.emulator.control.setMemberRoles(t.world.guildId, support, [t.world.roles.support]);
    }
  });

  it('follows a category change made on another instance at once: staff who lost it are revoked, staff who gained it get its events', async () => {
    // The periodic round is an hour away: only the change's own event can move the sockets.
    const { url } = await t.listening({ realtime: { recheckMs: 3_600_000 } });
    const support = await connect(await login(t, t.world.users.support), url);
    const billing = await connect(await login(t, t.world.users.billing), url);
    for (const c of [support, billing]) {
      expect((await c.join({ guildId: t.world.guildId })).ok).toBe(true);
    }
    const revoked = new Promise((r) => support.client.on('revoked', r));
    const widened = new Promise((r) => billing.client.on('access', r));
    const adminCookie = await login(t, t.world.users.admin);
    const staffRoles = (roleIds: string[]) =>
      t.app.inject({
        method: 'PATCH',
        url: `/api/guilds/${t.world.guildId}/categories/${t.world.categories.support}`,
        headers: { cookie: adminCookie },
        payload: { staffRoleIds: roleIds },
      });
    try {
      // On the first instance: Support's tickets now belong to the Billing role.
      expect((await staffRoles([t.world.roles.billing])).statusCode).toBe(200);
      await expect(revoked).resolves.toEqual({ guildId: t.world.guildId });
      // Told so its board is read again; from now on the category's events reach it.
      await expect(widened).resolves.toEqual({ guildId: t.world.guildId });
      const ticket = await seedTicket(t, t.world.categories.support);
      const stored = await message(ticket.id, 'now for billing');
      if (!stored.changed) throw new Error('not stored');
      const got = await eventually(() => billing.received.find((e) => e.seq === stored.seq));
      expect(got.message?.content).toBe('now for billing');
      expect(support.received.find((e) => e.seq === stored.seq)).toBeUndefined();
    } finally {
      expect((await staffRoles([t.world.roles.support])).statusCode).toBe(200);
    }
  });

  it('resolves a join again when a category changed while it was being resolved (the re-check could not see it yet)', async () => {
    const { url } = await t.listening({ realtime: { recheckMs: 3_600_000 } });
    const { guildId, users, roles, categories } = t.world;
    const admin = await connect(await login(t, users.admin), url);
    expect((await admin.join({ guildId })).ok).toBe(true);
    const staff = await connect(await login(t, users.support), url);
    const original = AccessService.prototype.resolve;
    let resolved = false;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    // The staff member's first resolution reads the old settings, then waits.
    const resolve = vi
      .spyOn(AccessService.prototype, 'resolve')
      .mockImplementationOnce(async function (this: AccessService, ...args) {
        const access = await original.apply(this, args);
        resolved = true;
        await gate;
        return access;
      });
    const adminCookie = await login(t, users.admin);
    const supportRoles = (ids: string[]) =>
      t.app.inject({
        method: 'PATCH',
        url: `/api/guilds/${guildId}/categories/${categories.support}`,
        headers: { cookie: adminCookie },
        payload: { staffRoleIds: ids },
      });
    try {
      const joining = staff.join({ guildId });
      await eventually(() => resolved);
      const changed = await supportRoles([roles.billing]);
      expect(changed.statusCode).toBe(200);
      // This instance has handled the change once the admin's socket has its event.
      const seq = await latestSeq(t.database.db, guildId);
      await eventually(() => admin.received.find((e) => e.seq === seq));
      release();
      expect(await joining).toEqual({ ok: false, error: 'not_found' });
    } finally {
      release();
      resolve.mockRestore();
      expect((await supportRoles([roles.support])).statusCode).toBe(200);
    }
  });

  it("revokes a former owner's sockets as soon as the bot stores the transfer, and everyone's when the bot leaves", async () => {
    const { url } = await t.listening({ realtime: { recheckMs: 3_600_000 } });
    const { guildId, users } = t.world;
    const owner = await connect(await login(t, users.owner), url);
    const admin = await connect(await login(t, users.admin), url);
    for (const c of [owner, admin]) expect((await c.join({ guildId })).ok).toBe(true);
    const revoked = (c: typeof owner) => new Promise((r) => c.client.on('revoked', r));
    const guild = { id: guildId, name: 'TicketFlow Demo' };
    try {
      // What the bot does on GUILD_UPDATE: the owner, who has no admin role, is no admin now.
      const ownerRevoked = revoked(owner);
      await upsertGuild(t.database.db, { ...guild, ownerId: users.admin });
      await expect(ownerRevoked).resolves.toEqual({ guildId });
      // And on GUILD_DELETE: nobody has access to a guild the bot left.
      const adminRevoked = revoked(admin);
      await markGuildLeft(t.database.db, guildId);
      await expect(adminRevoked).resolves.toEqual({ guildId });
    } finally {
      await upsertGuild(t.database.db, { ...guild, ownerId: users.owner });
    }
    expect(
      (await connect(await login(t, users.owner), url).then((c) => c.join({ guildId }))).ok,
    ).toBe(true);
  });

  it('follows a role changed or deleted in Discord at once, though the roles are cached for 50 s', async () => {
    const { url } = await t.listening({ realtime: { recheckMs: 3_600_000 } });
    const { guildId, users, roles, categories } = t.world;
    const { emulator, database } = t;
    // A member made Billing staff by a role of their own.
    const temp = emulator.control.createRole(guildId, { name: 'Temp staff' });
    emulator.control.setMemberRoles(guildId, users.member, [temp.id]);
    const billingRoles = (ids: string[]) =>
      database.query('update categories set staff_role_ids = $2 where id = $1', [
        categories.billing,
        ids,
      ]);
    await billingRoles([roles.billing, temp.id]);
    const admin = await connect(await login(t, users.admin), url);
    const member = await connect(await login(t, users.member), url);
    for (const c of [admin, member]) expect((await c.join({ guildId })).ok).toBe(true);
    const revoked = (c: typeof admin) => new Promise((r) => c.client.on('revoked', r));
    const adminPermissions = emulator.state.guild(guildId).roles.get(roles.admin)?.permissions;
    try {
      // The Admins role loses Administrator: Adam manages nothing now.
      const adminRevoked = revoked(admin);
      emulator.control.updateRole(guildId, roles.admin, { permissions: 0n });
      await recordRolesChanged(database.db, guildId);
      await expect(adminRevoked).resolves.toEqual({ guildId });
      // The member's role is deleted: they are nobody's staff now.
      const memberRevoked = revoked(member);
      emulator.control.deleteRole(guildId, temp.id);
      await recordRolesChanged(database.db, guildId);
      await expect(memberRevoked).resolves.toEqual({ guildId });
    } finally {
      emulator.control.updateRole(guildId, roles.admin, { permissions: adminPermissions ?? 0n });
      await billingRoles([roles.billing]);
    }
  });

  it("follows a member's roles changed in Discord at once when the bot has the members intent, checking only that member", async () => {
    const { url } = await t.listening({ realtime: { recheckMs: 3_600_000 } });
    const { guildId, users, roles } = t.world;
    const staff = await connect(await login(t, users.support), url);
    const admin = await connect(await login(t, users.admin), url);
    for (const c of [staff, admin]) expect((await c.join({ guildId })).ok).toBe(true);
    const revoked = new Promise((r) => staff.client.on('revoked', r));
    const resolve = vi.spyOn(AccessService.prototype, 'resolve');
    try {
      // Cached for 50 s; what the bot sends on GUILD_MEMBER_UPDATE makes it count now.
      t.emulator.control.setMemberRoles(guildId, users.support, []);
      await notifyMemberChanged(t.database.db, guildId, users.support);
      await expect(revoked).resolves.toEqual({ guildId });
      expect(resolve.mock.calls.map((c) => c[0])).toEqual([users.support]);
    } finally {
      resolve.mockRestore();
      t.emulator.control.setMemberRoles(guildId, users.support, [roles.support]);
    }
  });

  it("takes every instance's sockets out of a guild whose data was erased, and tells them", async () => {
    const { app: second, url: secondUrl } = await t.listening();
    const cookie = await login(t, t.world.otherAdminId);
    const a = await connect(cookie);
    const b = await connect(cookie, secondUrl);
    const revoked = [a, b].map((c) => new Promise((resolve) => c.client.on('revoked', resolve)));
    for (const c of [a, b]) expect((await c.join({ guildId: t.world.otherGuildId })).ok).toBe(true);
    // Erased outside either instance's request (as the purge job does): the notification reaches both.
    await eraseGuild(t.database.db, t.world.otherGuildId);
    for (const r of revoked) await expect(r).resolves.toEqual({ guildId: t.world.otherGuildId });
    expect(await a.join({ guildId: t.world.otherGuildId })).toEqual({
      ok: false,
      error: 'not_found',
    });
    await second.close();
  });

  it("stops a ticket room's events for a viewer who may no longer see the ticket: moved to another category, or their role gone", async () => {
    // An instance of its own: the role taken away below is cached there, not on the others.
    const { url } = await t.listening();
    const { guildId, users, roles, categories } = t.world;
    const ticket = await seedTicket(t, categories.support);
    // Only the ticket, not the board.
    const viewer = await connect(await login(t, users.support), url);
    expect((await viewer.join({ guildId, ticketId: ticket.id })).ok).toBe(true);
    const billing = await connect(await login(t, users.billing), url);
    expect((await billing.join({ guildId })).ok).toBe(true);

    // Transferred to Billing: its messages are Billing's now.
    const moved = await updateTicket(t.database.db, ticket.id, { categoryId: categories.billing });
    if (moved.conflict) throw new Error('conflict');
    const r = await message(ticket.id, 'billing only now');
    if (!r.changed) throw new Error('not stored');
    await eventually(() => billing.received.find((e) => e.seq === r.seq));
    await eventually(() => viewer.ticks.includes(r.seq));
    expect(viewer.received.find((e) => e.seq === r.seq)).toBeUndefined();

    // Back in Support, and the viewer's role is taken away in Discord: the re-check finds them.
    const back = await updateTicket(t.database.db, ticket.id, { categoryId: categories.support });
    if (back.conflict) throw new Error('conflict');
    const revoked = new Promise((resolve) => viewer.client.on('revoked', resolve));
    try {
      t.emulator.control.setMemberRoles(guildId, users.support, []);
      await notifyMemberChanged(t.database.db, guildId, users.support);
      await expect(revoked).resolves.toEqual({ guildId });
    } finally {
      t.emulator.control.setMemberRoles(guildId, users.support, [roles.support]);
    }
  });

  it("tells the old category's staff that a transferred ticket left (no card), the new one's get the card, and so does the events route", async () => {
    const { guildId, users, categories } = t.world;
    const support = await connect(await login(t, users.support));
    const billing = await connect(await login(t, users.billing));
    for (const c of [support, billing]) expect((await c.join({ guildId })).ok).toBe(true);
    const ticket = await seedTicket(t, categories.support);
    const moved = await updateTicket(
      t.database.db,
      ticket.id,
      { categoryId: categories.billing },
      { kind: 'ticket.transferred' },
    );
    if (moved.conflict) throw new Error('conflict');
    const told = await eventually(() => support.received.find((e) => e.seq === moved.seq));
    expect(told).toMatchObject({ kind: 'ticket.transferred', ticketId: ticket.id, card: null });
    expect(support.ticks).not.toContain(moved.seq);
    const got = await eventually(() => billing.received.find((e) => e.seq === moved.seq));
    expect(got.card?.categoryId).toBe(categories.billing);
    // A client resuming through the events route is told the same.
    const cookie = await login(t, users.support);
    const res = await t.app.inject({
      url: `/api/guilds/${guildId}/events?after=${moved.seq - 1}`,
      headers: { cookie },
    });
    expect(res.json().events).toEqual([told]);
    // Anything later about it is not theirs: a tick.
    const r = await message(ticket.id, 'for billing');
    if (!r.changed) throw new Error('not stored');
    await eventually(() => support.ticks.includes(r.seq));
  });

  it('a ticket room gets the ticket’s events', async () => {
    const cookie = await login(t, t.world.users.support);
    const ticket = await seedTicket(t, t.world.categories.support);
    const viewer = await connect(cookie);
    expect((await viewer.join({ guildId: t.world.guildId, ticketId: ticket.id })).ok).toBe(true);
    const r = await message(ticket.id, 'in the ticket view');
    if (!r.changed) throw new Error('not stored');
    await eventually(() => viewer.received.find((e) => e.seq === r.seq));
  });
});
