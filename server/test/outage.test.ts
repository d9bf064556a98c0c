import { type DatabaseHandle, openDatabase } from '@ticketflow/db/client';
import {
  createDatabaseRelay,
  testDatabaseKind,
  ticketUpdatesDeadlock,
} from '@ticketflow/db/testing';
import type { ClientToServerEvents, JoinAck, ServerToClientEvents } from '@ticketflow/shared/api';
import { eventually } from '@ticketflow/shared/testing';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/app.ts';
import { login, memberWrites, seedTicket, useServer } from './support.ts';

// The relay needs a database server to relay to.
if (testDatabaseKind !== 'postgres') {
  console.log(
    '[server] database outage test: needs a Postgres server to cut the server off from (set TEST_DATABASE_URL); not run on PGlite',
  );
}

describe.runIf(testDatabaseKind === 'postgres')('the database going away under the server', () => {
  const t = useServer({ dataJobs: false });
  let relay: Awaited<ReturnType<typeof createDatabaseRelay>>;
  let relayed: DatabaseHandle;
  let app: App;
  beforeAll(async () => {
    relay = await createDatabaseRelay(new URL(t.databaseUrl as string));
    relayed = await openDatabase({ kind: 'postgres', url: relay.url, max: 4 });
    app = await t.build({ database: relayed, dataJobs: false });
  });
  afterAll(async () => {
    await app?.close();
    await relayed?.close();
    await relay?.close();
  });

  it('answers 503 with a readable reason and Retry-After, changes nothing, and serves again once it is back', async () => {
    const cookie = await login({ emulator: t.emulator, app }, t.world.users.admin);
    const ticket = await seedTicket(t, t.world.categories.support);
    const g = `/api/guilds/${t.world.guildId}`;
    const board = () => app.inject({ url: `${g}/board`, headers: { cookie } });
    expect((await board()).statusCode).toBe(200);

    relay.cut();
    const away = await board();
    expect(away.statusCode).toBe(503);
    expect(away.headers['retry-after']).toBe('5');
    expect(away.json()).toEqual({
      error: 'database_unavailable',
      message: 'The database cannot be reached just now; try again in a moment.',
    });
    const reply = await app.inject({
      method: 'POST',
      url: `${g}/tickets/${ticket.id}/messages`,
      headers: { cookie, origin: t.url, 'content-type': 'application/json' },
      payload: { content: 'typed while the database was away' },
    });
    expect(reply.statusCode).toBe(503);

    relay.restore();
    expect((await board()).statusCode).toBe(200);
    expect(
      await t.database.query('select 1 from messages where ticket_id = $1', [ticket.id]),
    ).toEqual([]);
  });

  it('tells its sockets to read what they missed once it hears the database again', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const cookie = await login({ emulator: t.emulator, app }, t.world.users.admin);
    const ticket = await seedTicket(t, t.world.categories.support);
    const client: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, {
      transports: ['websocket'],
      extraHeaders: { cookie },
      reconnection: false,
    });
    try {
      const ticks: { seq: number; resync?: true }[] = [];
      client.on('tick', (tick) => ticks.push(tick));
      await new Promise<void>((resolve, reject) => {
        client.on('connect', () => resolve());
        client.on('connect_error', reject);
      });
      const joined = await new Promise<JoinAck>((resolve) =>
        client.emit('join', { guildId: t.world.guildId }, resolve),
      );
      if (!joined.ok) throw new Error(`join: ${joined.error}`);

      relay.cut();
      // One change this server does not hear of (its LISTEN connection is down).
      const written = await memberWrites(t, ticket.id, 'Said while the server was deaf');
      if (!written.changed) throw new Error('the message was not stored');
      relay.restore();
      // A plain tick one past the client's seq would read as one event it may not see.
      // (A resync tick from the earlier test's outage may come first: it is older.)
      await eventually(() => ticks.some((x) => x.resync && x.seq >= written.seq), 30_000);
      expect(written.seq).toBeGreaterThan(joined.seq);
    } finally {
      client.close();
    }
  });
});

describe('a change Postgres aborts for a deadlock on every try', () => {
  const t = useServer({ dataJobs: false });

  it('is tried three times, then answered 503 saying it clashed with another change, not that the database is away, and nothing is changed', async () => {
    const cookie = await login(t, t.world.users.admin);
    const ticket = await seedTicket(t, t.world.categories.support);
    {
      await using _deadlocks = await ticketUpdatesDeadlock(t.database);
      const retriedBefore = t.database.conflictsRetried;
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/api/guilds/${t.world.guildId}/tickets/${ticket.id}`,
        headers: { cookie },
        payload: { version: ticket.version, priority: 'high' },
      });
      expect({
        status: res.statusCode,
        retried: t.database.conflictsRetried - retriedBefore,
      }).toEqual({
        status: 503,
        retried: 2,
      });
      expect(res.headers['retry-after']).toBe('1');
      expect(res.json()).toEqual({
        error: 'conflict_busy',
        message:
          'Another change to the same thing was being saved at the same moment, so nothing was changed. Please try again.',
      });
    }
    const [row] = await t.database.query<{ priority: string; n: number }>(
      `select priority, (select count(*)::int from outbox where ticket_id = $1) as n
       from tickets where id = $1`,
      [ticket.id],
    );
    expect(row).toEqual({ priority: 'normal', n: 0 });
  });
});
