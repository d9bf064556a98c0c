// Start-up with Discord configured; and what it refuses, with one clear line each and exit code 1.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useEmulator } from '@ticketflow/emulator/test/support';
import { BOT_PERMISSIONS } from '@ticketflow/shared/permissions';
import { afterAll, describe, expect, it } from 'vitest';
import { type Run, startScript } from './support.ts';

describe('start-up refusals', () => {
  const t = useEmulator();
  const dataDir = mkdtempSync(join(tmpdir(), 'tf-refuse-'));
  const runs: Run[] = [];
  afterAll(() => {
    for (const r of runs) r.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function refusal(
    script: 'start' | 'start:bot' | 'start:server',
    env: Record<string, string>,
    args: string[] = [],
  ) {
    const run = startScript(script, { DATA_DIR: dataDir, PORT: '0', ...env }, args);
    runs.push(run);
    const code = await run.exited;
    return { code, ...run.output() };
  }
  /** Real-Discord configuration pointing at the emulator, with a token it has never issued. */
  const wrongToken = () => ({
    DISCORD_TOKEN: 'MTIz.bad.token',
    DISCORD_CLIENT_ID: t.world.application.id,
    DISCORD_CLIENT_SECRET: t.world.application.clientSecret,
    DISCORD_API_URL: t.emulator.apiUrl,
    DISCORD_OAUTH_URL: t.emulator.url,
  });

  it('with Discord configured, runs against it (no demo) and prints the invite link with the permissions the bot needs', async () => {
    const run = startScript('start', {
      ...wrongToken(),
      DISCORD_TOKEN: t.world.application.botToken,
      DATA_DIR: dataDir,
      PORT: '0',
    });
    runs.push(run);
    const [, invite] = await run.waitFor(/Invite the bot to your server: (\S+)/);
    const url = new URL(invite ?? '');
    expect(url.origin + url.pathname).toBe(`${t.emulator.url}/oauth2/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: t.world.application.id,
      scope: 'bot applications.commands',
      permissions: BOT_PERMISSIONS.toString(),
    });
    expect(run.output().stdout).toContain('Bot online as TicketFlow');
    expect(run.output().stdout).not.toContain('Offline demo');
    expect((await run.terminate()).code).toBe(0);
  });

  it('names a bad variable', async () => {
    const r = await refusal('start', { PORT: 'abc' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('Configuration error: PORT must be a port number');
  });

  it('says so when the database cannot be reached', async () => {
    const r = await refusal('start', { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^Cannot open the database \(Postgres at 127\.0\.0\.1:1\/none\): .*ECONNREFUSED[^\n]*$/,
    );
  });

  it('refuses a wrong Discord token, whichever part is started', async () => {
    const all = await refusal('start', wrongToken());
    expect(all.code).toBe(1);
    expect(all.stderr.trim()).toBe('Cannot log in to Discord: An invalid token was provided.');
    const url = process.env.TEST_DATABASE_URL;
    if (url) {
      // The split parts need Postgres; the token is refused before anything is written.
      for (const script of ['start:bot', 'start:server'] as const) {
        const r = await refusal(script, { ...wrongToken(), DATABASE_URL: url });
        expect(r.code, script).toBe(1);
        expect(r.stderr.trim(), script).toBe(
          'Cannot log in to Discord: An invalid token was provided.',
        );
      }
      // The same bot from its TypeScript sources (no bundle, Node's defaults) says the same.
      const sources = await refusal('start:bot', {
        ...wrongToken(),
        DATABASE_URL: url,
        TF_BOT_BUNDLE: 'off',
      });
      expect(sources.code).toBe(1);
      expect(sources.stderr.trim()).toBe(
        'Cannot log in to Discord: An invalid token was provided.',
      );
    }
  });

  it('says how to turn the members intent on when DISCORD_MEMBER_EVENTS asks for it and Discord refuses', async () => {
    // An application whose "Server Members Intent" is off (message content only).
    const app = t.emulator.state.createApplication({
      name: 'No members',
      privilegedIntents: 1 << 15,
    });
    const r = await refusal('start', {
      ...wrongToken(),
      DISCORD_TOKEN: app.botToken,
      DISCORD_CLIENT_ID: app.id,
      DISCORD_CLIENT_SECRET: app.clientSecret,
      DISCORD_MEMBER_EVENTS: 'true',
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^Cannot log in to Discord: .*disallowed intents.*DISCORD_MEMBER_EVENTS needs "Server Members Intent" turned on/i,
    );
  });

  it('refuses a data folder another live TicketFlow is using, for a start and for --reset', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'tf-held-'));
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    try {
      writeFileSync(join(folder, 'ticketflow.lock'), String(other.pid));
      writeFileSync(join(folder, 'emulator.json'), 'kept');
      const start = await refusal('start', { DATA_DIR: folder });
      expect(start.code).toBe(1);
      expect(start.stderr.trim()).toBe(
        `${folder} is in use by another TicketFlow (process ${other.pid}); stop it first, or set DATA_DIR to another folder`,
      );
      const reset = await refusal('start', { DATA_DIR: folder }, ['--reset']);
      expect(reset.code).toBe(1);
      expect(reset.stderr.trim()).toBe(
        `${folder} is in use by another TicketFlow (process ${other.pid}); stop it before starting over`,
      );
      expect(readFileSync(join(folder, 'emulator.json'), 'utf8')).toBe('kept');
    } finally {
      other.kill();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('refuses production without an encryption key', async () => {
    const r = await refusal('start', {
      ...wrongToken(),
      NODE_ENV: 'production',
      SESSION_SECRET: 'x'.repeat(40),
      PUBLIC_URL: 'https://tickets.example.com',
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'Configuration error: ENCRYPTION_KEY is required in production (or ENCRYPTION_KEYS): message content and tokens are encrypted at rest with it',
    );
  });

  it('runs a part on its own only with Postgres, and resets only the embedded database', async () => {
    const bot = await refusal('start:bot', wrongToken());
    expect(bot.code).toBe(1);
    expect(bot.stderr.trim()).toMatch(/^DATABASE_URL is required to run the bot on its own/);
    const reset = await refusal('start', { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, [
      '--reset',
    ]);
    expect(reset.code).toBe(1);
    expect(reset.stderr.trim()).toBe(
      '--reset only clears the embedded database; with DATABASE_URL set, drop that database yourself',
    );
    const only = await refusal('start', {}, ['--only', 'everything']);
    expect(only.code).toBe(1);
    expect(only.stderr).toMatch(
      /^--only must be bot or server, not "everything"\nUsage: pnpm start/,
    );
  });
});
