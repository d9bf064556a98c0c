import { HTTPError, type TextChannel } from 'discord.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectBot, useEmulator } from './support.ts';

describe('injected faults and rate limits', () => {
  const t = useEmulator();
  let client: Awaited<ReturnType<typeof connectBot>>;
  beforeAll(async () => {
    client = await connectBot(t.emulator, t.world);
  });
  afterEach(() => {
    t.emulator.control.clearFaults();
    t.emulator.control.setRateLimit(Number.POSITIVE_INFINITY);
  });
  afterAll(async () => {
    await client?.destroy();
  });
  const welcome = () => client.channels.cache.get(t.world.channels.welcome) as TextChannel;
  const route = '/channels/:channelId/messages';

  it('makes discord.js wait retry_after on an injected 429 and then succeed', async () => {
    t.emulator.control.addFault({
      method: 'POST',
      route,
      kind: 'rate_limit',
      retryAfter: 0.2,
      count: 1,
    });
    const since = Date.now();
    const message = await welcome().send('after a rate limit');
    const calls = t.emulator.control.requests({ method: 'POST', route, since });
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(150);
    expect(message.content).toBe('after a rate limit');
  });

  it('surfaces a 500 that does not go away as an error', async () => {
    t.emulator.control.addFault({ method: 'POST', route, kind: 'server_error', status: 500 });
    const since = Date.now();
    const error = await welcome()
      .send('doomed')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HTTPError);
    expect((error as HTTPError).status).toBe(500);
    // discord.js retried before giving up; nothing was posted.
    expect(t.emulator.control.requests({ method: 'POST', route, since }).length).toBeGreaterThan(1);
    expect(
      t.emulator.control.channelMessages(t.world.channels.welcome).map((m) => m.content),
    ).not.toContain('doomed');
  });

  it('lets discord.js recover from a single 500 or a reset connection by retrying', async () => {
    t.emulator.control.addFault({ method: 'POST', route, kind: 'server_error', count: 1 });
    t.emulator.control.addFault({ method: 'POST', route, kind: 'reset', count: 1 });
    const message = await welcome().send('third time lucky');
    expect(message.content).toBe('third time lucky');
    const stored = t.emulator.control
      .channelMessages(t.world.channels.welcome)
      .filter((m) => m.content === 'third time lucky');
    expect(stored).toHaveLength(1);
  });

  it('injects faults by rate', async () => {
    t.emulator.control.addFault({
      method: 'GET',
      route: '/channels/:channelId',
      kind: 'server_error',
      rate: 0,
    });
    await expect(
      client.channels.fetch(t.world.channels.welcome, { force: true }),
    ).resolves.toBeTruthy();
  });

  it('sends rate-limit headers, and answers 429 with retry_after past the bucket', async () => {
    t.emulator.control.setRateLimit(1, 60_000);
    const url = `${t.emulator.apiUrl}/v10/channels/${t.world.channels.welcome}`;
    const headers = { authorization: `Bot ${t.world.application.botToken}` };
    const first = await fetch(url, { headers });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('1');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(first.headers.get('x-ratelimit-bucket')).toMatch(/^[0-9a-f]+$/);
    const second = await fetch(url, { headers });
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBeTruthy();
    expect(await second.json()).toMatchObject({
      message: 'You are being rate limited.',
      global: false,
      retry_after: expect.any(Number),
    });
  });

  it('checks the Authorization header', async () => {
    const url = `${t.emulator.apiUrl}/v10/users/@me`;
    expect((await fetch(url)).status).toBe(401);
    const wrong = await fetch(url, { headers: { authorization: 'Bot not.a.token' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ code: 0, message: '401: Unauthorized' });
  });

  it('answers a malformed body with 50035 and field errors', async () => {
    const res = await fetch(
      `${t.emulator.apiUrl}/v10/channels/${t.world.channels.welcome}/messages`,
      {
        method: 'POST',
        headers: {
          authorization: `Bot ${t.world.application.botToken}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ content: 'x'.repeat(2001) }),
      },
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      code: 50035,
      message: 'Invalid Form Body',
      errors: { content: { _errors: [{ message: 'Must be 2000 or fewer in length.' }] } },
    });
  });
});
