import { Events, type Message, type PartialMessage, type TextChannel } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBot, eventually, useEmulator } from './support.ts';

describe('messages both ways with the real discord.js client', () => {
  const t = useEmulator();
  let client: Awaited<ReturnType<typeof connectBot>>;
  beforeAll(async () => {
    client = await connectBot(t.emulator, t.world);
  });
  afterAll(async () => {
    await client?.destroy();
  });
  const welcome = () => client.channels.cache.get(t.world.channels.welcome) as TextChannel;

  it("delivers a member's message, edit and delete to the bot", async () => {
    const created: Message[] = [];
    const updated: string[] = [];
    const deleted: string[] = [];
    client.on(Events.MessageCreate, (m) => created.push(m));
    client.on(Events.MessageUpdate, (_old, m) => updated.push(m.content ?? ''));
    client.on(Events.MessageDelete, (m: Message | PartialMessage) => deleted.push(m.id));

    const { member } = t.world.users;
    const sent = t.emulator.control.sendMessage(member, t.world.channels.welcome, 'I need help');
    const got = await eventually(() => created.find((m) => m.id === sent.id));
    expect(got.author.id).toBe(member);
    expect(got.member?.id).toBe(member);
    expect(got.guildId).toBe(t.world.guildId);

    t.emulator.control.editMessage(
      member,
      t.world.channels.welcome,
      sent.id,
      'I need help, please',
    );
    await eventually(() => updated.includes('I need help, please'));
    t.emulator.control.deleteMessage(member, t.world.channels.welcome, sent.id);
    await eventually(() => deleted.includes(sent.id));
  });

  it('lets the bot send, edit and delete, and members see it', async () => {
    const message = await welcome().send('Hello from the bot');
    const seen = t.emulator.control.readMessages(t.world.users.member, t.world.channels.welcome);
    expect(seen[0]).toMatchObject({ id: message.id, content: 'Hello from the bot' });
    await message.edit('Edited by the bot');
    expect(
      t.emulator.control.readMessages(t.world.users.member, t.world.channels.welcome)[0],
    ).toMatchObject({
      content: 'Edited by the bot',
      edited_timestamp: expect.any(String),
    });
    await message.delete();
    const ids = t.emulator.control
      .readMessages(t.world.users.member, t.world.channels.welcome)
      .map((m) => m.id);
    expect(ids).not.toContain(message.id);
  });

  it("refuses to edit another user's message with Discord's error", async () => {
    const sent = t.emulator.control.sendMessage(
      t.world.users.member,
      t.world.channels.welcome,
      'mine',
    );
    const message = await welcome().messages.fetch(sent.id);
    await expect(message.edit('not yours')).rejects.toMatchObject({ code: 50005, status: 403 });
  });

  it('pages history with before and after', async () => {
    const channel = t.emulator.control.createChannel(t.world.guildId, { name: 'history' });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++)
      ids.push(t.emulator.control.sendMessage(t.world.users.member, channel.id, `m${i}`).id);
    const text = (await client.channels.fetch(channel.id)) as TextChannel;

    const newest = await text.messages.fetch({ limit: 10, cache: false });
    expect([...newest.values()].map((m) => m.content)).toEqual(
      Array.from({ length: 10 }, (_, i) => `m${29 - i}`),
    );
    const older = await text.messages.fetch({ limit: 10, before: ids[20], cache: false });
    expect([...older.values()].map((m) => m.content)).toEqual(
      Array.from({ length: 10 }, (_, i) => `m${19 - i}`),
    );
    const fromStart = await text.messages.fetch({ limit: 3, after: '0', cache: false });
    expect([...fromStart.values()].map((m) => m.content).sort()).toEqual(['m0', 'm1', 'm2']);
    const after = await text.messages.fetch({ limit: 5, after: ids[3], cache: false });
    expect([...after.values()].map((m) => m.content).sort()).toEqual([
      'm4',
      'm5',
      'm6',
      'm7',
      'm8',
    ]);
    const around = await text.messages.fetch({ limit: 5, around: ids[15], cache: false });
    expect([...around.values()].map((m) => m.content)).toContain('m15');
    expect(around.size).toBe(5);
  });

  it('posts a retried message once when it carries a nonce with enforce_nonce', async () => {
    const first = await welcome().send({
      content: 'only once',
      nonce: '123456789',
      enforceNonce: true,
    });
    const second = await welcome().send({
      content: 'only once',
      nonce: '123456789',
      enforceNonce: true,
    });
    expect(second.id).toBe(first.id);
    const count = t.emulator.control
      .channelMessages(t.world.channels.welcome)
      .filter((m) => m.content === 'only once');
    expect(count).toHaveLength(1);
  });

  it('bulk deletes, and tells the bot which messages went', async () => {
    const a = t.emulator.control.sendMessage(
      t.world.users.member,
      t.world.channels.welcome,
      'bulk a',
    );
    const b = t.emulator.control.sendMessage(
      t.world.users.member,
      t.world.channels.welcome,
      'bulk b',
    );
    const gone: string[] = [];
    client.on(Events.MessageBulkDelete, (messages) => gone.push(...messages.keys()));
    await welcome().bulkDelete([a.id, b.id]);
    await eventually(() => gone.length === 2);
    expect(gone.sort()).toEqual([a.id, b.id].sort());
  });

  it('sends a file as an attachment the member can download', async () => {
    const message = await welcome().send({
      content: 'transcript',
      files: [{ attachment: Buffer.from('<h1>hi</h1>'), name: 'transcript.html' }],
    });
    const attachment = message.attachments.first();
    expect(attachment?.name).toBe('transcript.html');
    const res = await fetch(attachment?.url ?? '');
    expect(await res.text()).toBe('<h1>hi</h1>');
  });
});
