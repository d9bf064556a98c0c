// What the server benchmarks run on: a fresh Postgres database, the emulator
// with the demo world, optionally the real bot, and the server listening.
import { createServer } from 'node:net';
import type { Bot } from '@ticketflow/bot/bot';
import { startTestBot } from '@ticketflow/bot/test/support';
import { createTestDatabase, type TestDatabase } from '@ticketflow/db/testing';
import { Emulator } from '@ticketflow/emulator/emulator';
import { type App, buildApp } from '../src/app.ts';
import { discordOptions, login, seedWorld, type World } from '../test/world.ts';

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface Stack extends AsyncDisposable {
  t: TestDatabase;
  emulator: Emulator;
  world: World;
  bot?: Bot;
  app: App;
  url: string;
  /** A logged-in admin's session cookie. */
  cookie: string;
}

export async function startStack(options: { bot: boolean }): Promise<Stack> {
  const t = await createTestDatabase();
  const emulator = await Emulator.start();
  const world = await seedWorld(emulator, t.handle);
  const bot = options.bot ? await startTestBot({ emulator, world }, t.handle) : undefined;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const app = await buildApp({
    database: t.handle,
    discord: discordOptions(emulator, world),
    publicUrl: url,
    rateLimits: { perMinute: 10_000_000, authPerMinute: 10_000 },
  });
  await app.listen({ port, host: '127.0.0.1' });
  const cookie = await login({ emulator, app }, world.users.admin);
  return {
    t,
    emulator,
    world,
    ...(bot ? { bot } : {}),
    app,
    url,
    cookie,
    async [Symbol.asyncDispose]() {
      await app.close();
      await bot?.stop();
      await emulator.close();
      await t[Symbol.asyncDispose]();
    },
  };
}

/** The value at quantile q (0–1) of the numbers. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

export const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`;

export const sleep = (millis: number) => new Promise((r) => setTimeout(r, Math.max(0, millis)));
export const epochNow = () => performance.timeOrigin + performance.now();

/** Calls `send(i)` `count` times at `perSecond`, on schedule (late calls catch up, never burst ahead). */
export async function paced(count: number, perSecond: number, send: (i: number) => void) {
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    await sleep(start + (i * 1000) / perSecond - performance.now());
    send(i);
  }
}
