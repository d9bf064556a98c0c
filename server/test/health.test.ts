import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, useTestDatabase } from '@ticketflow/db/testing';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';

describe('server skeleton', () => {
  const t = useTestDatabase();

  it('answers /healthz with 200 while the database answers', async () => {
    const app = await buildApp({ database: t.handle });
    const res = await app.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', database: t.handle.kind });
    await app.close();
  });

  it('answers /healthz with 503 when the database is gone', async () => {
    const other = await createTestDatabase();
    const app = await buildApp({ database: other.handle });
    await other[Symbol.asyncDispose]();
    const res = await app.inject('/healthz');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'unavailable' });
    await app.close();
  });

  it('shows a placeholder page when the dashboard is not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tf-nodash-'));
    const app = await buildApp({ database: t.handle, dashboardRoot: empty });
    const res = await app.inject('/board/123');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('TicketFlow is running');
    await app.close();
    rmSync(empty, { recursive: true });
  });

  it('serves the built dashboard, with index.html for client-side routes', async () => {
    const dist = mkdtempSync(join(tmpdir(), 'tf-dash-'));
    writeFileSync(join(dist, 'index.html'), '<!doctype html><div id="root">board</div>');
    writeFileSync(join(dist, 'app.js'), 'console.log(1)');
    const app = await buildApp({ database: t.handle, dashboardRoot: dist });
    expect((await app.inject('/app.js')).body).toBe('console.log(1)');
    expect((await app.inject('/guilds/1/board')).body).toContain('id="root"');
    await app.close();
    rmSync(dist, { recursive: true });
  });

  it('answers an unknown API route with a JSON 404, not the page', async () => {
    const app = await buildApp({ database: t.handle });
    const res = await app.inject('/api/nope');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'not_found' });
    await app.close();
  });
});
