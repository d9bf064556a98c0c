import { eventually as pollUntil } from '@ticketflow/shared/testing';
import { Client, type ClientOptions, Events, GatewayIntentBits } from 'discord.js';
import { afterAll, beforeAll } from 'vitest';
import { Emulator, type EmulatorOptions } from '../src/emulator.ts';
import { type DemoWorld, seedDemo } from '../src/seed.ts';

export const ALL_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMembers,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
  GatewayIntentBits.DirectMessages,
];

/** A discord.js client logged in to the emulator as the demo application's bot. */
export async function connectBot(
  emulator: Emulator,
  world: DemoWorld,
  options: Partial<ClientOptions> = {},
): Promise<Client<true>> {
  const client = new Client({
    intents: ALL_INTENTS,
    ...options,
    rest: { api: emulator.apiUrl, ...options.rest },
  });
  const ready = new Promise<void>((resolve, reject) => {
    client.once(Events.ClientReady, () => resolve());
    client.once(Events.Error, reject);
  });
  await client.login(world.application.botToken);
  await ready;
  return client as Client<true>;
}

/** For a test file: one emulator with the demo world, closed at the end. */
export function useEmulator(options: EmulatorOptions = {}) {
  const box = {} as { emulator: Emulator; world: DemoWorld };
  beforeAll(async () => {
    box.emulator = await Emulator.start(options);
    box.world = seedDemo(box.emulator);
  });
  afterAll(async () => {
    await box.emulator?.close();
  });
  return box;
}

/** Waits until `check` returns something truthy, polling; for effects that have no event to await. */
export const eventually = <T>(check: () => T | Promise<T>, timeoutMs = 5000) =>
  pollUntil(check, timeoutMs, 10);
