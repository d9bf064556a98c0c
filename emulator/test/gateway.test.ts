import { ChannelType, Events, type Message } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { connectBot, eventually, useEmulator } from './support.ts';

describe('gateway with the real discord.js client', () => {
  const t = useEmulator();

  it('logs in, receives READY and GUILD_CREATE, and caches the guild, channels and roles', async () => {
    const client = await connectBot(t.emulator, t.world);
    try {
      expect(client.user.id).toBe(t.world.application.botUserId);
      const guild = client.guilds.cache.get(t.world.guildId);
      expect(guild?.name).toBe('TicketFlow Demo');
      expect(guild?.channels.cache.get(t.world.channels.panel)?.name).toBe('open-a-ticket');
      expect(guild?.channels.cache.get(t.world.channels.ticketsCategory)?.type).toBe(
        ChannelType.GuildCategory,
      );
      expect(guild?.roles.cache.get(t.world.roles.support)?.name).toBe('Support');
      expect(guild?.members.cache.size).toBe(7);
    } finally {
      await client.destroy();
    }
  });

  it('resumes after the connection drops and receives each missed dispatch once', async () => {
    const client = await connectBot(t.emulator, t.world);
    const seen: string[] = [];
    client.on(Events.MessageCreate, (m: Message) => {
      seen.push(m.content);
    });
    try {
      const { member } = t.world.users;
      t.emulator.control.sendMessage(member, t.world.channels.welcome, 'before the drop');
      await eventually(() => seen.includes('before the drop'));

      const resumed = new Promise<void>((resolve) =>
        client.once(Events.ShardResume, () => resolve()),
      );
      t.emulator.control.dropGateway();
      for (let i = 0; i < 5; i++)
        t.emulator.control.sendMessage(member, t.world.channels.welcome, `missed ${i}`);
      await resumed;
      await eventually(() => seen.length === 6);
      expect(seen).toEqual([
        'before the drop',
        'missed 0',
        'missed 1',
        'missed 2',
        'missed 3',
        'missed 4',
      ]);
      const identifies = t.emulator.gateway.log.filter((f) => f.direction === 'in' && f.op === 2);
      const resumes = t.emulator.gateway.log.filter((f) => f.direction === 'in' && f.op === 6);
      expect(resumes.length).toBeGreaterThanOrEqual(1);
      expect(identifies.length).toBe(2); // one per test's login, none for the resume
    } finally {
      await client.destroy();
    }
  });

  it('answers a resume of a forgotten session with INVALID_SESSION, and the client identifies again', async () => {
    const client = await connectBot(t.emulator, t.world);
    const seen: string[] = [];
    client.on(Events.MessageCreate, (m: Message) => {
      seen.push(m.content);
    });
    try {
      const invalidBefore = t.emulator.gateway.log.filter(
        (f) => f.direction === 'out' && f.op === 9,
      ).length;
      t.emulator.control.dropGateway({ resumable: false });
      await eventually(() => t.emulator.gateway.connectedSessions().length === 1, 15_000);
      expect(t.emulator.gateway.log.filter((f) => f.direction === 'out' && f.op === 9).length).toBe(
        invalidBefore + 1,
      );
      await eventually(() => client.guilds.cache.has(t.world.guildId));
      t.emulator.control.sendMessage(
        t.world.users.member,
        t.world.channels.welcome,
        'after re-identify',
      );
      await eventually(() => seen.includes('after re-identify'));
    } finally {
      await client.destroy();
    }
  });

  it('closes the connection with 4014 when a privileged intent is not granted', async () => {
    const app = t.emulator.state.applications.get(t.world.application.id);
    if (!app) throw new Error('no app');
    const granted = app.privilegedIntents;
    app.privilegedIntents = 0;
    try {
      await expect(connectBot(t.emulator, t.world)).rejects.toThrow(/disallowed intents/i);
    } finally {
      app.privilegedIntents = granted;
    }
  });

  it('sends message content only with the MESSAGE_CONTENT intent (or a mention of the bot)', async () => {
    const client = await connectBot(t.emulator, t.world, {
      intents: ['Guilds', 'GuildMessages'],
    });
    const seen: string[] = [];
    client.on(Events.MessageCreate, (m: Message) => {
      seen.push(m.content);
    });
    try {
      const { member } = t.world.users;
      t.emulator.control.sendMessage(member, t.world.channels.welcome, 'secret words');
      t.emulator.control.sendMessage(
        member,
        t.world.channels.welcome,
        `<@${client.user.id}> hello bot`,
      );
      await eventually(() => seen.length === 2);
      expect(seen).toEqual(['', `<@${client.user.id}> hello bot`]);
    } finally {
      await client.destroy();
    }
  });
});
