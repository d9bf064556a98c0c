import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChannelType } from 'discord-api-types/v10';
import { afterAll, describe, expect, it } from 'vitest';
import { Emulator } from '../src/emulator.ts';
import { findDemo, seedDemo } from '../src/seed.ts';
import { connectBot, eventually } from './support.ts';

/** The dashboard's part of OAuth: a code for `userId`, traded for a bearer token. */
async function oauthToken(
  emulator: Emulator,
  app: { id: string; clientSecret: string },
  userId: string,
): Promise<string> {
  const redirectUri = 'http://localhost:3000/auth/callback';
  const decided = await fetch(`${emulator.url}/oauth2/authorize`, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({
      client_id: app.id,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'identify guilds',
      state: 's',
      decision: 'allow',
      user_id: userId,
    }),
  });
  const code = new URL(decided.headers.get('location') ?? '').searchParams.get('code') ?? '';
  const token = await fetch(`${emulator.apiUrl}/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({
      client_id: app.id,
      client_secret: app.clientSecret,
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
    }),
  });
  return ((await token.json()) as { access_token: string }).access_token;
}

describe('a world kept in a state file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tf-emulator-state-'));
  const file = join(dir, 'emulator.json');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('comes back after a restart: people, roles, channels and overwrites, messages with files, OAuth tokens', async () => {
    const first = await Emulator.start({ stateFile: file });
    expect(first.restored).toBe(false);
    const world = seedDemo(first);
    const { control, state } = first;
    const ticket = control.createChannel(world.guildId, {
      name: 'ticket-1',
      parentId: world.channels.ticketsCategory,
      overwrites: [
        { id: world.guildId, type: 0, allow: 0n, deny: 1n << 10n },
        { id: world.users.member, type: 1, allow: 1n << 10n, deny: 0n },
      ],
    });
    control.sendMessage(world.users.member, ticket.id, 'my order never came', [
      { filename: 'receipt.txt', data: Buffer.from('order 1042'), contentType: 'text/plain' },
    ]);
    const thread = state.createThread(ticket.id, {
      name: 'private notes',
      type: ChannelType.PrivateThread,
      ownerId: world.users.support,
    });
    const token = await oauthToken(first, world.application, world.users.admin);
    await first.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const second = await Emulator.start({ stateFile: file });
    try {
      expect(second.restored).toBe(true);
      expect(findDemo(second)).toEqual(world);
      const again = second.state;
      // A guild's channels are the world's channels, not copies.
      const channel = again.channel(ticket.id);
      expect(again.guild(world.guildId).channels.get(ticket.id)).toBe(channel);
      expect(channel.overwrites.get(world.users.member)?.allow).toBe(1n << 10n);
      expect(again.channel(thread.id).threadMembers.has(world.users.support)).toBe(true);
      const [message] = second.control.channelMessages(ticket.id);
      expect(message?.content).toBe('my order never came');
      const file1 = message?.attachments[0];
      const download = await fetch(
        `${second.url}/attachments/${ticket.id}/${file1?.id}/${file1?.filename}`,
      );
      expect(await download.text()).toBe('order 1042');
      // The dashboard's OAuth token still works.
      const me = await fetch(`${second.apiUrl}/v10/users/@me`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(((await me.json()) as { id: string }).id).toBe(world.users.admin);

      // The bot logs in with the same token and sees the channel; a new message is saved too.
      const bot = await connectBot(second, world);
      try {
        const fetched = await bot.channels.fetch(ticket.id);
        expect(fetched?.isTextBased() && 'name' in fetched ? fetched.name : null).toBe('ticket-1');
        second.control.sendMessage(world.users.member, ticket.id, 'still waiting');
        await eventually(() => readFileSync(file, 'utf8').includes('still waiting'));
      } finally {
        await bot.destroy();
      }
    } finally {
      await second.close();
    }
  });

  it('refuses a damaged file with its name and what is wrong, and leaves it as it was', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"version":1,"users":"nope"}');
    await expect(Emulator.start({ stateFile: bad })).rejects.toThrow(
      `${bad} cannot be read (users:`,
    );
    writeFileSync(bad, '{"version":1,');
    await expect(Emulator.start({ stateFile: bad })).rejects.toThrow(`${bad} cannot be read (`);
    expect(readFileSync(bad, 'utf8')).toBe('{"version":1,');
  });
});
