import { channels } from '@ticketflow/db/bus';
import { events, guilds, jobs } from '@ticketflow/db/schema';
import { useTestDatabase } from '@ticketflow/db/testing';
import { and, eq, isNull } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { coalescing } from '../src/guild-events.ts';
import { eventually, useBot, useEmulator } from './support.ts';

describe('the guild as Discord changes it', () => {
  const t = useEmulator();
  const db = useTestDatabase();
  useBot(t, db);

  const stored = async () => {
    const [row] = await db.handle.db.select().from(guilds).where(eq(guilds.id, t.world.guildId));
    return row;
  };
  /** The guild-level events (no ticket) of the demo guild, by kind. */
  const guildEvents = (kind: string) =>
    db.handle.db
      .select()
      .from(events)
      .where(
        and(eq(events.guildId, t.world.guildId), isNull(events.ticketId), eq(events.kind, kind)),
      );

  it('stores a rename and an ownership transfer at once, and tells the dashboards', async () => {
    await eventually(async () => (await stored())?.ownerId === t.world.users.owner);
    expect(await guildEvents('guild.updated')).toEqual([]);
    t.emulator.control.updateGuild(t.world.guildId, {
      name: 'Renamed Demo',
      ownerId: t.world.users.admin,
    });
    await eventually(async () => (await stored())?.ownerId === t.world.users.admin);
    expect((await stored())?.name).toBe('Renamed Demo');
    const [event] = await guildEvents('guild.updated');
    expect(event?.data).toEqual({ ownerChanged: true, back: false });
  });

  it('tells the dashboards when a role changes or is deleted (it may decide who is an admin or staff)', async () => {
    const { guildId } = t.world;
    const role = t.emulator.control.createRole(guildId, { name: 'Short-lived' });
    t.emulator.control.updateRole(guildId, role.id, { permissions: 1n << 5n });
    await eventually(async () => (await guildEvents('guild.roles_changed')).length === 1);
    t.emulator.control.deleteRole(guildId, role.id);
    await eventually(async () => (await guildEvents('guild.roles_changed')).length === 2);
  });

  it('writes a burst of role changes (a reorder moves every role) as at most two events', async () => {
    const { guildId } = t.world;
    const moved = Array.from({ length: 8 }, (_, i) =>
      t.emulator.control.createRole(guildId, { name: `Reordered ${i}` }),
    );
    const before = (await guildEvents('guild.roles_changed')).length;
    // What a reorder sends: a GUILD_ROLE_UPDATE for each role, all at once.
    for (const [i, role] of moved.entries()) {
      t.emulator.control.updateRole(guildId, role.id, { color: i + 1 });
    }
    await eventually(async () => (await guildEvents('guild.roles_changed')).length > before);
    // Until no more arrive (the bot writes the second after the first is stored).
    let count = -1;
    await eventually(
      async () => {
        const now = (await guildEvents('guild.roles_changed')).length;
        const same = now === count;
        count = now;
        return same;
      },
      10_000,
      250,
    );
    expect(count - before).toBeGreaterThanOrEqual(1);
    expect(count - before).toBeLessThanOrEqual(2);
  });

  it('marks the guild left when the bot is removed, schedules its erasure and tells the dashboards', async () => {
    t.emulator.control.removeBot(t.world.guildId, t.world.application.id);
    await eventually(async () => (await stored())?.leftAt != null);
    expect(await guildEvents('guild.left')).toHaveLength(1);
    const purge = await db.handle.db
      .select()
      .from(jobs)
      .where(eq(jobs.key, `purge-guild:${t.world.guildId}`));
    expect(purge).toHaveLength(1);
  });
});

describe("a member's roles with the members intent", () => {
  const t = useEmulator();
  const db = useTestDatabase();
  useBot(t, db, { memberEvents: true });

  it('tells every server when a member is given or loses a role, or leaves', async () => {
    const heard: unknown[] = [];
    const stop = await db.handle.bus.subscribe(channels.guilds, (p) => heard.push(p));
    try {
      const { guildId, users, roles } = t.world;
      t.emulator.control.setMemberRoles(guildId, users.member, [roles.billing]);
      await eventually(() => heard.length === 1);
      expect(heard[0]).toEqual({ guildId, userId: users.member, member: true });
      t.emulator.control.removeMember(guildId, users.member2);
      await eventually(() => heard.length === 2);
      expect(heard[1]).toEqual({ guildId, userId: users.member2, member: true });
    } finally {
      await stop();
    }
  });
});

describe('coalescing', () => {
  it('runs at once, and once more after for any number of asks while it runs', async () => {
    const runs: string[] = [];
    let finish = () => {};
    const work = coalescing(async (key) => {
      runs.push(key);
      if (runs.length === 1) await new Promise<void>((resolve) => (finish = resolve));
    });
    const first = work('a');
    expect(runs).toEqual(['a']);
    const asks = [work('a'), work('a'), work('a')];
    await Promise.all(asks);
    expect(runs).toEqual(['a']);
    await work('b');
    expect(runs).toEqual(['a', 'b']);
    finish();
    await first;
    expect(runs).toEqual(['a', 'b', 'a']);
    await work('a');
    expect(runs).toEqual(['a', 'b', 'a', 'a']);
  });

  it('reports a failure after the run it owed', async () => {
    let calls = 0;
    let finish = () => {};
    const work = coalescing(async () => {
      calls++;
      if (calls === 1) {
        await new Promise<void>((resolve) => (finish = resolve));
        throw new Error('first failed');
      }
    });
    const first = work('a');
    void work('a');
    finish();
    await expect(first).rejects.toThrow('first failed');
    expect(calls).toBe(2);
  });
});
