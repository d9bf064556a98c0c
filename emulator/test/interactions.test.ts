import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  Events,
  type Interaction,
  MessageFlags,
  ModalBuilder,
  SlashCommandBuilder,
  StringSelectMenuBuilder,
  type TextChannel,
  TextInputBuilder,
  TextInputStyle,
} from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBot, useEmulator } from './support.ts';

describe('interactions with the real discord.js client', () => {
  const t = useEmulator();
  let client: Awaited<ReturnType<typeof connectBot>>;
  const handlers: ((i: Interaction) => Promise<void>)[] = [];

  beforeAll(async () => {
    client = await connectBot(t.emulator, t.world);
    client.on(Events.InteractionCreate, async (interaction) => {
      for (const h of handlers) await h(interaction);
    });
    await client.application.commands.set([
      new SlashCommandBuilder()
        .setName('ticket')
        .setDescription('Ticket tools')
        .addSubcommand((s) =>
          s
            .setName('add')
            .setDescription('Add someone')
            .addUserOption((o) => o.setName('user').setDescription('who').setRequired(true)),
        )
        .toJSON(),
      new SlashCommandBuilder().setName('ping').setDescription('Ping').toJSON(),
    ]);
  });
  afterAll(async () => {
    handlers.length = 0;
    await client?.destroy();
  });
  const panel = () => client.channels.cache.get(t.world.channels.panel) as TextChannel;

  it('registers commands and answers a slash command with an ephemeral reply', async () => {
    handlers[0] = async (i) => {
      if (i.isChatInputCommand() && i.commandName === 'ticket') {
        const user = i.options.getUser('user', true);
        await i.reply({
          content: `added ${user.username} via ${i.options.getSubcommand()}`,
          flags: MessageFlags.Ephemeral,
        });
      }
    };
    const commands = await client.application.commands.fetch();
    expect([...commands.values()].map((c) => c.name).sort()).toEqual(['ping', 'ticket']);

    const run = t.emulator.control.runCommand(
      t.world.users.support,
      t.world.channels.welcome,
      'ticket',
      {
        subcommand: 'add',
        options: { user: t.world.users.member2 },
      },
    );
    const outcome = await run.response();
    expect(outcome.message).toMatchObject({ content: 'added max via add', flags: 64 });
    // Only the user who ran it sees an ephemeral reply.
    const mine = t.emulator.control.readMessages(t.world.users.support, t.world.channels.welcome);
    const theirs = t.emulator.control.readMessages(t.world.users.member, t.world.channels.welcome);
    expect(mine.map((m) => m.content)).toContain('added max via add');
    expect(theirs.map((m) => m.content)).not.toContain('added max via add');
  });

  it('handles a button with a deferred reply and a follow-up', async () => {
    handlers[0] = async (i) => {
      if (i.isButton() && i.customId === 'open') {
        await i.deferReply({ flags: MessageFlags.Ephemeral });
        await i.editReply('Your ticket is being created');
        await i.followUp({ content: 'Done: #ticket-1', flags: MessageFlags.Ephemeral });
      }
    };
    const message = await panel().send({
      content: 'Open a ticket',
      components: [
        new ActionRowBuilder<ButtonBuilder>().addComponents(
          new ButtonBuilder().setCustomId('open').setLabel('Open').setStyle(ButtonStyle.Primary),
        ),
      ],
    });
    const click = t.emulator.control.clickButton(
      t.world.users.member,
      t.world.channels.panel,
      message.id,
      'open',
    );
    const outcome = await click.response();
    expect(outcome.type).toBe(5);
    const seen = await waitForContents(t.world.users.member, [
      'Your ticket is being created',
      'Done: #ticket-1',
    ]);
    expect(seen).toBe(true);
  });

  it('handles a select menu by updating the message', async () => {
    handlers[0] = async (i) => {
      if (i.isStringSelectMenu() && i.customId === 'category') {
        await i.update({ content: `Chosen: ${i.values.join(',')}`, components: [] });
      }
    };
    const message = await panel().send({
      content: 'Choose a category',
      components: [
        new ActionRowBuilder<StringSelectMenuBuilder>().addComponents(
          new StringSelectMenuBuilder()
            .setCustomId('category')
            .addOptions(
              { label: 'Support', value: 'support' },
              { label: 'Billing', value: 'billing' },
            ),
        ),
      ],
    });
    const choose = t.emulator.control.chooseOptions(
      t.world.users.member,
      t.world.channels.panel,
      message.id,
      'category',
      ['billing'],
    );
    const outcome = await choose.response();
    expect(outcome.message).toMatchObject({
      id: message.id,
      content: 'Chosen: billing',
      components: [],
    });
  });

  it('shows a modal and receives its submitted answers', async () => {
    handlers[0] = async (i) => {
      if (i.isButton() && i.customId === 'ask') {
        await i.showModal(
          new ModalBuilder()
            .setCustomId('questions')
            .setTitle('Open a ticket')
            .addComponents(
              new ActionRowBuilder<TextInputBuilder>().addComponents(
                new TextInputBuilder()
                  .setCustomId('topic')
                  .setLabel('Topic')
                  .setStyle(TextInputStyle.Short),
              ),
              new ActionRowBuilder<TextInputBuilder>().addComponents(
                new TextInputBuilder()
                  .setCustomId('details')
                  .setLabel('Details')
                  .setStyle(TextInputStyle.Paragraph)
                  .setRequired(false),
              ),
            ),
        );
      }
      if (i.isModalSubmit() && i.customId === 'questions') {
        await i.reply(
          `topic=${i.fields.getTextInputValue('topic')} details=${i.fields.getTextInputValue('details')}`,
        );
      }
    };
    const message = await panel().send({
      content: 'Questions',
      components: [
        new ActionRowBuilder<ButtonBuilder>().addComponents(
          new ButtonBuilder().setCustomId('ask').setLabel('Ask').setStyle(ButtonStyle.Secondary),
        ),
      ],
    });
    const click = t.emulator.control.clickButton(
      t.world.users.member,
      t.world.channels.panel,
      message.id,
      'ask',
    );
    const shown = await click.response();
    expect(shown.modal).toMatchObject({ custom_id: 'questions', title: 'Open a ticket' });

    expect(() =>
      t.emulator.control.submitModal(t.world.users.member, click.interaction.id, {
        details: 'no topic',
      }),
    ).toThrow(/topic is required/);
    const submit = t.emulator.control.submitModal(t.world.users.member, click.interaction.id, {
      topic: 'Refund',
      details: 'Charged twice',
    });
    const answered = await submit.response();
    expect(answered.message?.content).toBe('topic=Refund details=Charged twice');
  });

  it('refuses a second acknowledgement of the same interaction', async () => {
    let second: unknown;
    handlers[0] = async (i) => {
      if (i.isChatInputCommand() && i.commandName === 'ping') {
        await i.reply('pong');
        second = await client.rest
          .post(`/interactions/${i.id}/${i.token}/callback`, {
            body: { type: 4, data: { content: 'again' } },
            auth: false,
          })
          .catch((e: unknown) => e);
      }
    };
    const run = t.emulator.control.runCommand(
      t.world.users.member,
      t.world.channels.welcome,
      'ping',
    );
    await run.response();
    await expect.poll(() => second).toMatchObject({ code: 40060 });
  });

  async function waitForContents(userId: string, contents: string[]) {
    await expect
      .poll(() =>
        t.emulator.control.readMessages(userId, t.world.channels.panel).map((m) => m.content),
      )
      .toEqual(expect.arrayContaining(contents));
    return true;
  }
});
