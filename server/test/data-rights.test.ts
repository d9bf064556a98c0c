import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transaction } from '@ticketflow/db/client';
import { decrypt } from '@ticketflow/db/crypto';
import { EXPORT_HANDED_BACK, requestExport } from '@ticketflow/db/repositories/data-requests';
import {
  countGuildRows,
  eraseGuild,
  guildTables,
  schemaTables,
  tablesWithoutGuild,
} from '@ticketflow/db/repositories/erasure';
import { saveFeedback } from '@ticketflow/db/repositories/feedback';
import { markGuildLeft, upsertUser } from '@ticketflow/db/repositories/guilds';
import { addNote, upsertMessage } from '@ticketflow/db/repositories/messages';
import { createTicket } from '@ticketflow/db/repositories/tickets';
import { testDatabaseKind } from '@ticketflow/db/testing';
import type {
  AuditResponse,
  BoardResponse,
  DataOverview,
  DataRequest,
} from '@ticketflow/shared/api';
import { mintSnowflake } from '@ticketflow/shared/snowflake';
import { eventually } from '@ticketflow/shared/testing';
import { sql } from 'drizzle-orm';
import { strFromU8, unzipSync } from 'fflate';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportParts } from '../src/data-export.ts';
import { createDataJobWorker } from '../src/data-jobs.ts';
import { login, type ServerBox, seedTicket, useServer } from './support.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'tf-data-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Every row of every table as JSON text, encrypted values decrypted: what a full dump would reveal. */
async function dumpDatabase(t: ServerBox): Promise<string> {
  const parts: string[] = [];
  for (const name of schemaTables().keys()) {
    const rows = await t.database.query<{ j: string }>(
      `select row_to_json(x)::text as j from "${name}" x`,
    );
    for (const r of rows) parts.push(r.j.replace(/ef1\.[\w-]+\.[\w-]+/g, (v) => decrypt(v)));
  }
  return parts.join('\n');
}

/**
 * Holds a lock under which an export's archive pieces cannot be stored: the
 * export reads the whole server, then waits to write its archive. `waiting`
 * counts the statements waiting on it; `release` runs `meanwhile` in the
 * lock's own transaction, then commits.
 */
async function holdChunks(t: ServerBox) {
  let release: (meanwhile: (tx: Transaction) => Promise<unknown>) => void = () => {};
  const released = new Promise<(tx: Transaction) => Promise<unknown>>((resolve) => {
    release = resolve;
  });
  let locked = () => {};
  const holding = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const holder = t.database.db.transaction(async (tx) => {
    await tx.execute(sql`lock table export_chunks in share mode`);
    locked();
    await (await released)(tx);
  });
  await holding;
  return {
    waiting: async () =>
      Number(
        (
          await t.database.query<{ n: string }>(
            `select count(*) as n from pg_locks where not granted
               and database = (select oid from pg_database where datname = current_database())
               and relation = 'export_chunks'::regclass`,
          )
        )[0]?.n,
      ),
    release: async (meanwhile: (tx: Transaction) => Promise<unknown> = async () => {}) => {
      release(meanwhile);
      await holder;
    },
  };
}

async function say(t: ServerBox, ticketId: string, authorId: string, content: string) {
  await upsertMessage(t.database.db, {
    id: mintSnowflake(),
    guildId: t.world.guildId,
    ticketId,
    authorId,
    content,
    attachments: [
      {
        id: '1',
        filename: `${content.split(' ')[0]}.png`,
        size: 1,
        url: 'https://cdn.example/x.png',
      },
    ],
    createdAt: new Date(),
  });
}

describe('export', () => {
  /** What the server logged (the data jobs' log included). */
  const logged: { level: number; msg?: string }[] = [];
  const t = useServer({
    dataDir,
    dataJobs: { pollMs: 200 },
    logger: pino({ level: 'info' }, { write: (line: string) => logged.push(JSON.parse(line)) }),
  });
  let admin = '';
  let otherAdmin = '';
  beforeAll(async () => {
    admin = await login(t, t.world.users.admin);
    otherAdmin = await login(t, t.world.users.owner);
  });
  const g = () => `/api/guilds/${t.world.guildId}`;
  /** An admin asks for an export (or is shown the one under way). */
  const askExport = async () => {
    const asked = await t.app.inject({
      method: 'POST',
      url: `${g()}/exports`,
      headers: { cookie: admin },
    });
    expect(asked.statusCode).toBe(202);
    return asked.json() as DataRequest;
  };
  /** The export as the Data page shows it, once it is done or failed. */
  const settled = async (id: string) => {
    let request: DataRequest | undefined;
    await eventually(async () => {
      const overview = (
        await t.app.inject({ url: `${g()}/data`, headers: { cookie: admin } })
      ).json() as DataOverview;
      request = overview.requests.find((r) => r.id === id);
      return request?.status === 'done' || request?.status === 'failed';
    }, 30_000);
    return request;
  };

  it('builds an archive with every stored row of the server and a transcript per ticket, for the admin who asked only', async () => {
    const ticket = await seedTicket(t, t.world.categories.support);
    await say(t, ticket.id, t.world.users.member, 'Where is my parcel Capybara?');
    await say(t, ticket.id, t.world.users.support, 'Checking with the courier');
    await addNote(t.database.db, {
      guildId: t.world.guildId,
      ticketId: ticket.id,
      authorId: t.world.users.support,
      content: 'Courier says lost',
    });
    await seedTicket(t, t.world.categories.billing);
    // An unrelated server's rows must not be in the archive.
    const elsewhere = await createTicket(t.database.db, {
      guildId: t.world.otherGuildId,
      openerId: t.world.users.member,
      topic: 'Not yours',
    });

    const request = await askExport();
    expect(request).toMatchObject({ kind: 'export', requestedBy: t.world.users.admin });
    // Asking again while it runs shows the same export.
    expect((await askExport()).id).toBe(request.id);

    const done = await settled(request.id);
    expect(done).toMatchObject({ status: 'done', progress: 100, downloadable: true });
    const { export_chunks: pieces, ...counts } = await countGuildRows(
      t.database.db,
      t.world.guildId,
    );
    // The archive's own pieces are counted among what is stored (and erased), not in the archive.
    const [stored] = await t.database.query<{ n: number }>(
      'select count(*)::int as n from export_chunks where request_id = $1',
      [request.id],
    );
    expect(pieces).toBe(stored?.n);
    expect(pieces).toBeGreaterThan(0);

    // Another admin of the server may not download it.
    const theirs = await t.app.inject({
      url: `${g()}/exports/${request.id}/download`,
      headers: { cookie: otherAdmin },
    });
    expect(theirs.statusCode).toBe(403);
    const staff = await login(t, t.world.users.support);
    expect(
      (
        await t.app.inject({
          url: `${g()}/exports/${request.id}/download`,
          headers: { cookie: staff },
        })
      ).statusCode,
    ).toBe(404);

    // Served by another replica, with a DATA_DIR of its own and no job worker: the archive is in Postgres.
    const replica = await t.build({
      dataDir: mkdtempSync(join(tmpdir(), 'tf-replica-')),
      dataJobs: false,
      realtime: false,
    });
    const res = await replica.inject({
      url: `${g()}/exports/${request.id}/download`,
      headers: { cookie: admin },
    });
    expect(res.statusCode).toBe(200);
    expect(Number(res.headers['content-length'])).toBe(res.rawPayload.length);
    expect(done?.archiveBytes).toBe(res.rawPayload.length);
    expect(res.headers['content-type']).toBe('application/zip');
    const files = unzipSync(new Uint8Array(res.rawPayload));
    const json = (name: string) =>
      JSON.parse(strFromU8(files[name] as Uint8Array)) as Record<string, unknown>[];

    // Every table holding the server's rows has its file, and every row is there.
    const parts = exportParts(t.world.guildId);
    for (const table of guildTables()) {
      expect(
        parts.map((p) => p.table),
        `${table} has no file in the export`,
      ).toContain(table);
    }
    expect(parts.map((p) => p.table)).toContain('guilds');
    const inArchive: Record<string, number> = {};
    for (const p of parts) inArchive[p.table] = (inArchive[p.table] ?? 0) + json(p.file).length;
    expect(inArchive).toEqual(counts);

    const messages = json('messages.json');
    expect(messages.map((m) => m.content)).toEqual(
      expect.arrayContaining(['Where is my parcel Capybara?', 'Checking with the courier']),
    );
    expect(json('notes.json').map((m) => m.content)).toEqual(['Courier says lost']);
    expect(json('tickets.json').map((x) => x.id)).not.toContain(elsewhere.ticket.id);
    expect(json('server.json')[0]).toMatchObject({ id: t.world.guildId, name: 'TicketFlow Demo' });
    // The people the rows mention and the dashboard knows (the admin logged in; the bot stores the rest).
    expect(json('users.json').map((u) => u.id)).toContain(t.world.users.admin);
    const transcript = strFromU8(files[`transcripts/ticket-${ticket.number}.html`] as Uint8Array);
    expect(transcript).toContain('Where is my parcel Capybara?');
    expect(Object.keys(files).filter((f) => f.startsWith('transcripts/'))).toHaveLength(
      counts.tickets ?? -1,
    );

    const audit = (
      await t.app.inject({ url: `${g()}/audit?action=export.`, headers: { cookie: admin } })
    ).json() as AuditResponse;
    expect(audit.entries.map((e) => [e.action, e.actorId, e.targetId])).toEqual([
      ['export.downloaded', t.world.users.admin, request.id],
      ['export.requested', t.world.users.admin, request.id],
    ]);
  });

  it('refuses a download that is unknown, withdrawn or expired, with a clear status', async () => {
    const missing = await t.app.inject({
      url: `${g()}/exports/00000000-0000-4000-8000-000000000000/download`,
      headers: { cookie: admin },
    });
    expect(missing.statusCode).toBe(404);
    const [row] = await t.database.query<{ id: string }>(
      `select id from data_requests where kind = 'export' and status = 'done' limit 1`,
    );
    // A person's data erased since: the archive that holds it is gone.
    const erased = await t.app.inject({
      method: 'POST',
      url: `${g()}/erase-user`,
      headers: { cookie: admin },
      payload: { userId: t.world.users.member },
    });
    expect(erased.statusCode).toBe(200);
    const withdrawn = await t.app.inject({
      url: `${g()}/exports/${row?.id}/download`,
      headers: { cookie: admin },
    });
    expect(withdrawn.statusCode).toBe(410);
    expect(withdrawn.json().message).toMatch(/withdrawn/);
    // The data page says so too.
    const overview = (
      await t.app.inject({ url: `${g()}/data`, headers: { cookie: admin } })
    ).json() as DataOverview;
    expect(overview.requests.find((r) => r.id === row?.id)).toMatchObject({
      archiveBytes: null,
      downloadable: false,
      refusal: withdrawn.json().message,
    });
    expect(
      await t.database.query('select 1 from export_chunks where request_id = $1', [row?.id]),
    ).toEqual([]);
    await t.database.query(
      `update data_requests set expires_at = now() - interval '1 second' where id = $1`,
      [row?.id],
    );
    const expired = await t.app.inject({
      url: `${g()}/exports/${row?.id}/download`,
      headers: { cookie: admin },
    });
    expect(expired.statusCode).toBe(410);
    expect(expired.json().message).toMatch(/expired/);
  });

  // A lock needs a second connection, which PGlite has not: these run on Postgres (as CI does).
  if (testDatabaseKind !== 'postgres') {
    console.log(
      '[server] exports interrupted by an erasure or a stopping worker: need a Postgres server (set TEST_DATABASE_URL); not run on PGlite',
    );
  }
  it.runIf(testDatabaseKind === 'postgres')(
    'builds an export again when a person is erased while it is being built: the archive never holds them',
    async () => {
      const ticket = await seedTicket(t, t.world.categories.support);
      const person = mintSnowflake();
      await say(t, ticket.id, person, 'Secret Wombat lives at 4 Privet Drive');
      await say(t, ticket.id, t.world.users.support, 'Noted, thanks');

      const chunks = await holdChunks(t);
      const request = await askExport();
      const progress = async () =>
        (
          await t.database.query<{ progress: number }>(
            'select progress from data_requests where id = $1',
            [request.id],
          )
        )[0]?.progress;
      await eventually(async () => (await chunks.waiting()) === 1, 30_000);
      // Waiting with every row read: 99% until the archive is stored.
      expect(await progress()).toBe(99);

      // Everything is read (the person included) when their erasure comes.
      const erasing = t.app.inject({
        method: 'POST',
        url: `${g()}/erase-user`,
        headers: { cookie: admin },
        payload: { userId: person },
      });
      await eventually(async () => (await chunks.waiting()) === 2, 30_000);
      await chunks.release();
      expect((await erasing).statusCode).toBe(200);

      expect(await settled(request.id)).toMatchObject({
        status: 'done',
        progress: 100,
        note: null,
        downloadable: true,
      });
      const res = await t.app.inject({
        url: `${g()}/exports/${request.id}/download`,
        headers: { cookie: admin },
      });
      expect(res.statusCode).toBe(200);
      const files = unzipSync(new Uint8Array(res.rawPayload));
      const everything = Object.values(files)
        .map((f) => strFromU8(f))
        .join('\n');
      expect(everything).toContain('Noted, thanks');
      expect(everything).not.toContain('Wombat');
      // Their message stays as the deleted user's, emptied; only the erasure's own record names them.
      const json = (name: string) =>
        JSON.parse(strFromU8(files[name] as Uint8Array)) as Record<string, unknown>[];
      expect(json('messages.json').map((m) => m.authorId)).not.toContain(person);
      expect(json('users.json').map((u) => u.id)).not.toContain(person);
    },
  );

  it('fails an export whose rows cannot be read, with the reason on the Data page, and the next one runs', async () => {
    const ticket = await seedTicket(t, t.world.categories.support);
    await say(t, ticket.id, t.world.users.member, 'Sealed with a retired key');
    // As if ENCRYPTION_KEYS had lost the key this message was sealed with.
    await t.database.query(
      `update messages set content = 'ef1.retired.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' where ticket_id = $1`,
      [ticket.id],
    );
    const failed = await settled((await askExport()).id);
    expect(failed).toMatchObject({ status: 'failed', downloadable: false });
    expect(failed?.error).toMatch(/encrypted with key "retired"/);
    expect(
      await t.database.query('select 1 from export_chunks where request_id = $1', [failed?.id]),
    ).toEqual([]);

    await t.database.query('delete from messages where ticket_id = $1', [ticket.id]);
    expect(await settled((await askExport()).id)).toMatchObject({
      status: 'done',
      downloadable: true,
    });
  });

  it.runIf(testDatabaseKind === 'postgres')(
    'ends an export quietly when its server is erased while it is being built: nothing is left, no failure is logged',
    async () => {
      const guildId = t.world.otherGuildId;
      const since = logged.length;
      const { ticket } = await createTicket(t.database.db, {
        guildId,
        openerId: t.world.users.member,
      });
      await upsertMessage(t.database.db, {
        id: mintSnowflake(),
        guildId,
        ticketId: ticket.id,
        authorId: t.world.users.member,
        content: 'Hello from the other server',
        createdAt: new Date(),
      });
      const chunks = await holdChunks(t);
      const { request } = await requestExport(t.database.db, {
        guildId,
        userId: t.world.users.admin,
      });
      await eventually(async () => (await chunks.waiting()) === 1, 30_000);
      // The server is erased (its export request and job with it) while the export waits to store its archive.
      await chunks.release((tx) => eraseGuild(tx, guildId));
      const ours = () => logged.slice(since);
      await eventually(() => ours().some((l) => l.msg?.startsWith('export stopped')), 30_000);
      expect(ours().filter((l) => l.level >= 50)).toEqual([]);
      expect(
        await t.database.query('select 1 from data_requests where id = $1', [request.id]),
      ).toEqual([]);
      expect(
        await t.database.query('select 1 from export_chunks where request_id = $1', [request.id]),
      ).toEqual([]);
    },
  );
});

describe('an export whose worker stops', () => {
  // Workers of the test's own (none in the app), so it knows which one builds it.
  const t = useServer({ dataDir, dataJobs: false });
  const worker = (workerId: string) =>
    createDataJobWorker({
      database: t.database,
      dataDir,
      log: pino({ level: 'silent' }),
      workerId,
      pollMs: 100,
    });

  it.runIf(testDatabaseKind === 'postgres')(
    'is handed back as its process stops, the Data page says why, and the next worker builds it from the start',
    async () => {
      const admin = await login(t, t.world.users.admin);
      const g = `/api/guilds/${t.world.guildId}`;
      const ticket = await seedTicket(t, t.world.categories.support);
      await say(t, ticket.id, t.world.users.member, 'Built twice, stored once');
      const shown = async (id: string) =>
        (
          (
            await t.app.inject({ url: `${g}/data`, headers: { cookie: admin } })
          ).json() as DataOverview
        ).requests.find((r) => r.id === id);

      const chunks = await holdChunks(t);
      const asked = await t.app.inject({
        method: 'POST',
        url: `${g}/exports`,
        headers: { cookie: admin },
      });
      const request = asked.json() as DataRequest;
      const first = worker('first');
      await first.start();
      await eventually(async () => (await chunks.waiting()) === 1, 30_000);
      expect(await shown(request.id)).toMatchObject({
        status: 'running',
        progress: 99,
        note: null,
      });
      // Its process stops while the archive waits to be stored.
      const stopping = first.stop();
      await chunks.release();
      await stopping;
      expect(await shown(request.id)).toMatchObject({
        status: 'pending',
        progress: 0,
        error: null,
        note: EXPORT_HANDED_BACK,
      });

      const second = worker('second');
      await second.start();
      try {
        await eventually(async () => (await shown(request.id))?.status === 'done', 30_000);
      } finally {
        await second.stop();
      }
      expect(await shown(request.id)).toMatchObject({ note: null, downloadable: true });
      const res = await t.app.inject({
        url: `${g}/exports/${request.id}/download`,
        headers: { cookie: admin },
      });
      const files = unzipSync(new Uint8Array(res.rawPayload));
      const messages = JSON.parse(strFromU8(files['messages.json'] as Uint8Array)) as {
        content: string;
      }[];
      // The first attempt's pieces were cleared: the message is in the archive once.
      expect(messages.filter((m) => m.content === 'Built twice, stored once')).toHaveLength(1);
    },
  );
});

describe('erasure', () => {
  const t = useServer({ dataDir, dataJobs: { pollMs: 200 } });
  const g = () => `/api/guilds/${t.world.guildId}`;

  it("erases one person in a server: their words and name are nowhere in the database, the timeline stays as 'Deleted user'", async () => {
    const admin = await login(t, t.world.users.admin);
    const { member } = t.world.users;
    // As the bot stores a member it sees write.
    await upsertUser(t.database.db, {
      id: member,
      username: 'pangolin_fan',
      globalName: 'Pangolin Fan',
    });
    const ticket = await createTicket(t.database.db, {
      guildId: t.world.guildId,
      openerId: member,
      categoryId: t.world.categories.support,
      topic: 'Pangolin invoice',
      answers: { q1: 'Account pangolin-77' },
    });
    await say(t, ticket.ticket.id, member, 'Pangolin says hello');
    await say(t, ticket.ticket.id, t.world.users.support, 'Hello! Looking into it');
    await saveFeedback(t.database.db, { ticketId: ticket.ticket.id, userId: member, rating: 2 });
    await saveFeedback(t.database.db, {
      ticketId: ticket.ticket.id,
      userId: member,
      comment: 'Pangolin was slow',
    });
    const [memberRow] = await t.database.query<{ username: string; global_name: string | null }>(
      'select username, global_name from users where id = $1',
      [member],
    );
    expect(memberRow).toBeDefined();
    expect((await dumpDatabase(t)).toLowerCase()).toContain('pangolin');

    const res = await t.app.inject({
      method: 'POST',
      url: `${g()}/erase-user`,
      headers: { cookie: admin },
      payload: { userId: member },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().counts.messages).toBeGreaterThanOrEqual(1);

    const dump = (await dumpDatabase(t)).toLowerCase();
    expect(dump).not.toContain('pangolin');
    const board = (
      await t.app.inject({ url: `${g()}/board?status=all`, headers: { cookie: admin } })
    ).json() as BoardResponse;
    const card = board.columns.flatMap((c) => c.cards).find((c) => c.id === ticket.ticket.id);
    expect(card?.opener?.username).toBe('Deleted user');
    // The staff reply is untouched.
    expect(dump).toContain('looking into it');
    const audit = (
      await t.app.inject({ url: `${g()}/audit?action=user.erased`, headers: { cookie: admin } })
    ).json() as AuditResponse;
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0]).toMatchObject({
      actorId: t.world.users.admin,
      targetType: 'user',
      targetId: member,
    });
  });

  it('erases a person everywhere at their own request, and logs them out', async () => {
    const staffId = t.world.users.billing;
    const cookie = await login(t, staffId);
    const ticket = await seedTicket(t, t.world.categories.billing);
    await say(t, ticket.id, staffId, 'Armadillo refund approved');
    await createTicket(t.database.db, {
      guildId: t.world.otherGuildId,
      openerId: staffId,
      topic: 'Armadillo elsewhere',
    });
    const [{ username } = { username: '' }] = await t.database.query<{ username: string }>(
      'select username from users where id = $1',
      [staffId],
    );
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/me/erase',
      headers: { cookie },
      payload: { confirm: 'yes' },
    });
    expect(wrong.statusCode).toBe(400);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/me/erase',
      headers: { cookie },
      payload: { confirm: 'erase my data' },
    });
    expect(res.statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/me', headers: { cookie } })).statusCode).toBe(401);
    const dump = (await dumpDatabase(t)).toLowerCase();
    expect(dump).not.toContain('armadillo');
    expect(dump).not.toContain(`"${username.toLowerCase()}"`);
    expect(await t.database.query('select 1 from users where id = $1', [staffId])).toHaveLength(0);
    expect(
      await t.database.query('select 1 from sessions where user_id = $1', [staffId]),
    ).toHaveLength(0);
  });

  it("erases the whole server for its owner, confirmed by its name: every table holds none of its rows, another server's are untouched", async () => {
    // Every table either has a guild_id or is declared as holding no server's rows.
    for (const [name, table] of schemaTables()) {
      if (!table.columns.includes('guild_id') && name !== 'guilds') {
        expect(
          tablesWithoutGuild,
          `table ${name} has no guild_id: erase it or declare why not`,
        ).toHaveProperty(name);
      }
    }
    const owner = await login(t, t.world.users.owner);
    const admin = await login(t, t.world.users.admin);
    await seedTicket(t, t.world.categories.support);
    const elsewhere = await createTicket(t.database.db, {
      guildId: t.world.otherGuildId,
      openerId: t.world.users.member,
    });
    await say(t, elsewhere.ticket.id, t.world.users.member, 'other server');
    const otherBefore = await countGuildRows(t.database.db, t.world.otherGuildId);
    const overview = (
      await t.app.inject({ url: `${g()}/data`, headers: { cookie: owner } })
    ).json() as DataOverview;
    expect(overview.canEraseServer).toBe(true);
    expect(overview.counts).toEqual(await countGuildRows(t.database.db, t.world.guildId));
    expect(overview.counts.tickets).toBeGreaterThan(0);

    const byAdmin = await t.app.inject({
      method: 'POST',
      url: `${g()}/erase`,
      headers: { cookie: admin },
      payload: { confirmName: 'TicketFlow Demo' },
    });
    expect(byAdmin.statusCode).toBe(403);
    const wrongName = await t.app.inject({
      method: 'POST',
      url: `${g()}/erase`,
      headers: { cookie: owner },
      payload: { confirmName: 'TicketFlow' },
    });
    expect(wrongName.statusCode).toBe(400);
    const res = await t.app.inject({
      method: 'POST',
      url: `${g()}/erase`,
      headers: { cookie: owner },
      payload: { confirmName: 'TicketFlow Demo', leave: true },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().counts.tickets).toBe(overview.counts.tickets);
    // The owner asked the bot to leave too.
    const guild = t.emulator.state.guild(t.world.guildId);
    expect(guild.members.has(t.world.application.botUserId)).toBe(false);

    for (const name of guildTables()) {
      const [row] = await t.database.query<{ n: number }>(
        `select count(*)::int as n from "${name}" where guild_id = $1`,
        [t.world.guildId],
      );
      expect(row?.n, `rows left in ${name}`).toBe(0);
    }
    expect(
      await t.database.query('select 1 from guilds where id = $1', [t.world.guildId]),
    ).toHaveLength(0);
    expect(await countGuildRows(t.database.db, t.world.otherGuildId)).toEqual(otherBefore);
    const [record] = await t.database.query<{ action: string; target_id: string }>(
      `select action, target_id::text from audit_log where action = 'guild.erased'`,
    );
    expect(record).toEqual({ action: 'guild.erased', target_id: t.world.guildId });
    // The server is gone for the dashboard too.
    expect(
      (await t.app.inject({ url: `${g()}/board`, headers: { cookie: owner } })).statusCode,
    ).toBe(404);
  });

  it('purges a server 30 days after the bot left it, by a scheduled job', async () => {
    const guildId = t.world.otherGuildId;
    expect((await countGuildRows(t.database.db, guildId)).tickets).toBeGreaterThan(0);
    await markGuildLeft(t.database.db, guildId, new Date(Date.now() - 31 * 24 * 3600 * 1000));
    await eventually(
      async () => (await countGuildRows(t.database.db, guildId)).guilds === 0,
      20_000,
    );
    expect(Object.values(await countGuildRows(t.database.db, guildId)).every((n) => n === 0)).toBe(
      true,
    );
  });
});
