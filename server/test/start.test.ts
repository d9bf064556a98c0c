import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** Starts `server/src/main.ts` the way `pnpm start` does, with only the given environment. */
function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [main], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /TicketFlow is running: (\S+)/.exec(stdout);
      if (m?.[1]) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  // Tests that expect a refusal never await the URL.
  url.catch(() => {});
  return { child, url, exited, output: () => ({ stdout, stderr }) };
}

describe('pnpm start with no configuration', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('migrates the embedded database, prints the URL, serves /healthz and stops cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tf-start-'));
    dirs.push(dataDir);
    const run = start({ DATA_DIR: dataDir, PORT: '0' });
    children.push(run.child);
    const url = await run.url;
    expect(url).toMatch(/^http:\/\/localhost:\d+$/);
    expect(run.output().stdout).toContain(`embedded PGlite in ${join(dataDir, 'db')}`);
    // No key configured: the demo makes one, readable only by its owner, and keeps it.
    const keyFile = join(dataDir, 'encryption.key');
    expect(run.output().stdout).toContain(`Encryption at rest: generated key kept in ${keyFile}`);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyFile, 'utf8');
    expect(key).toMatch(/^demo:[A-Za-z0-9+/]{43}=\n$/);
    const health = await fetch(`${url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok', database: 'pglite' });
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);

    // The same folder again: the schema is already there, start-up just works.
    const again = start({ DATA_DIR: dataDir, PORT: '0' });
    children.push(again.child);
    const url2 = await again.url;
    expect((await fetch(`${url2}/healthz`)).status).toBe(200);
    expect(readFileSync(keyFile, 'utf8')).toBe(key);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });

  it('refuses to start with one line naming a bad variable', async () => {
    const run = start({ PORT: 'abc' });
    children.push(run.child);
    expect(await run.exited).toBe(1);
    expect(run.output().stderr.trim()).toBe('Configuration error: PORT must be a port number');
  });

  it('refuses to start with one clear line when the database cannot be reached', async () => {
    const run = start({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', PORT: '0' });
    children.push(run.child);
    expect(await run.exited).toBe(1);
    expect(run.output().stderr).toMatch(
      /^Cannot open the database \(Postgres at 127\.0\.0\.1:1\/none\): .*ECONNREFUSED/,
    );
  });
});
