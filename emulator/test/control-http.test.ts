import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useEmulator } from './support.ts';

describe('control API over HTTP', () => {
  const t = useEmulator();
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t.emulator.url}/_emulator${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };

  it('builds a world, acts as a user, and reads it back', async () => {
    const owner = await call('POST', '/users', { username: 'zoe' });
    expect(owner.status).toBe(201);
    const guild = await call('POST', '/guilds', { name: 'Other server', ownerId: owner.body.id });
    const role = await call('POST', `/guilds/${guild.body.id}/roles`, {
      name: 'Helpers',
      permissions: '1024',
    });
    expect(role.body).toMatchObject({ name: 'Helpers', permissions: '1024' });
    const member = await call('POST', '/users', { username: 'yan' });
    await call('POST', `/guilds/${guild.body.id}/members`, {
      userId: member.body.id,
      roleIds: [role.body.id],
    });
    const channel = await call('POST', `/guilds/${guild.body.id}/channels`, { name: 'general' });
    const sent = await call(
      'POST',
      `/users/${member.body.id}/channels/${channel.body.id}/messages`,
      { content: 'hi there' },
    );
    expect(sent.status).toBe(201);
    const edited = await call(
      'PATCH',
      `/users/${member.body.id}/channels/${channel.body.id}/messages/${sent.body.id}`,
      { content: 'hi again' },
    );
    expect(edited.body.content).toBe('hi again');
    const read = await call('GET', `/users/${owner.body.id}/channels/${channel.body.id}/messages`);
    expect(read.body.map((m: { content: string }) => m.content)).toEqual(['hi again']);
    const world = await call('GET', '/world');
    expect(world.body.guilds.map((g: { name: string }) => g.name)).toContain('Other server');
    const gone = await call('DELETE', `/channels/${channel.body.id}`);
    expect(gone.status).toBe(200);
    expect(
      (await call('GET', `/users/${owner.body.id}/channels/${channel.body.id}/messages`)).status,
    ).toBe(404);
  });

  it("answers a bad body with 400 and what is wrong, and a forbidden read with Discord's 403", async () => {
    const bad = await call('POST', '/guilds', { name: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/name/);
    const hidden = await call('POST', `/guilds/${t.world.guildId}/channels`, {
      name: 'secret',
      overwrites: [{ id: t.world.guildId, type: 0, deny: '1024' }],
    });
    const denied = await call(
      'GET',
      `/users/${t.world.users.member}/channels/${hidden.body.id}/messages`,
    );
    expect(denied).toEqual({ status: 403, body: { code: 50001, message: 'Missing Access' } });
  });

  it('injects and clears faults, and lists the REST calls it received', async () => {
    const fault = await call('POST', '/faults', {
      route: '/users/@me',
      kind: 'server_error',
      count: 1,
    });
    expect(fault.status).toBe(201);
    const since = Date.now();
    const headers = { authorization: `Bot ${t.world.application.botToken}` };
    expect((await fetch(`${t.emulator.apiUrl}/v10/users/@me`, { headers })).status).toBe(500);
    expect((await fetch(`${t.emulator.apiUrl}/v10/users/@me`, { headers })).status).toBe(200);
    const log = await call(
      'GET',
      `/requests?route=${encodeURIComponent('/users/@me')}&since=${since}`,
    );
    expect(
      log.body.map((r: { status: number; fault?: string }) => [r.status, r.fault ?? null]),
    ).toEqual([
      [500, 'server_error'],
      [200, null],
    ]);
    expect((await call('DELETE', '/faults')).status).toBe(204);
  });
});

describe('standalone start', () => {
  it('starts the demo server, prints its URLs and stops on SIGTERM', async () => {
    const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
    const child = spawn(process.execPath, [cli], {
      env: { ...process.env, EMULATOR_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /Discord emulator running: (\S+)/.exec(out);
        if (m?.[1] && out.includes('member2')) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    expect(out).toContain('/app');
    expect(out).toMatch(/DISCORD_CLIENT_SECRET=\S+/);
    const world = (await (await fetch(`${url}/_emulator/world`)).json()) as {
      guilds: { name: string; roles: { name: string }[] }[];
    };
    expect(world.guilds[0]?.name).toBe('TicketFlow Demo');
    expect(world.guilds[0]?.roles.map((r) => r.name)).toEqual(
      expect.arrayContaining(['Admins', 'Support', 'Billing']),
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
