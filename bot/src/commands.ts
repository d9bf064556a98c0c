import { PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';

/** The slash commands TicketFlow registers; permissions are enforced again when they run. */
export const commandDefinitions = [
  new SlashCommandBuilder()
    .setName('panel')
    .setDescription('Post a ticket panel in this channel')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .addStringOption((o) =>
      o
        .setName('style')
        .setDescription('Buttons or a select menu')
        .addChoices(
          { name: 'buttons', value: 'buttons' },
          { name: 'select menu', value: 'select' },
        ),
    )
    .addStringOption((o) =>
      o
        .setName('categories')
        .setDescription('Category names, comma-separated (default: all)')
        .setMaxLength(500),
    )
    .addStringOption((o) => o.setName('title').setDescription('Panel title').setMaxLength(256))
    .addStringOption((o) =>
      o.setName('description').setDescription('Panel text').setMaxLength(2000),
    ),
  new SlashCommandBuilder()
    .setName('ticket')
    .setDescription('Work on this ticket')
    .addSubcommand((s) =>
      s
        .setName('close')
        .setDescription('Close this ticket')
        .addStringOption((o) =>
          o.setName('reason').setDescription('Why it is closed').setMaxLength(500),
        ),
    )
    .addSubcommand((s) =>
      s
        .setName('close-request')
        .setDescription('Ask the opener whether this ticket can be closed')
        .addStringOption((o) => o.setName('reason').setDescription('Why').setMaxLength(500)),
    )
    .addSubcommand((s) => s.setName('reopen').setDescription('Reopen this closed ticket'))
    .addSubcommand((s) =>
      s
        .setName('transfer')
        .setDescription('Move this ticket to another category')
        .addStringOption((o) =>
          o.setName('category').setDescription('Category name').setRequired(true).setMaxLength(100),
        ),
    )
    .addSubcommand((s) => s.setName('claim').setDescription('Take this ticket'))
    .addSubcommand((s) =>
      s
        .setName('assign')
        .setDescription('Give this ticket to a staff member')
        .addUserOption((o) => o.setName('user').setDescription('Who').setRequired(true)),
    )
    .addSubcommand((s) => s.setName('unclaim').setDescription('Give this ticket back'))
    .addSubcommand((s) =>
      s
        .setName('add')
        .setDescription('Let someone into this ticket')
        .addUserOption((o) => o.setName('user').setDescription('Who').setRequired(true)),
    )
    .addSubcommand((s) =>
      s
        .setName('remove')
        .setDescription('Take someone out of this ticket')
        .addUserOption((o) => o.setName('user').setDescription('Who').setRequired(true)),
    )
    .addSubcommand((s) =>
      s
        .setName('rename')
        .setDescription('Rename this ticket')
        .addStringOption((o) =>
          o.setName('name').setDescription('New name').setRequired(true).setMaxLength(100),
        ),
    )
    .addSubcommand((s) =>
      s
        .setName('priority')
        .setDescription('Set the priority')
        .addStringOption((o) =>
          o
            .setName('level')
            .setDescription('Priority')
            .setRequired(true)
            .addChoices(
              { name: 'low', value: 'low' },
              { name: 'normal', value: 'normal' },
              { name: 'high', value: 'high' },
              { name: 'urgent', value: 'urgent' },
            ),
        ),
    )
    .addSubcommand((s) =>
      s
        .setName('note')
        .setDescription('Write a staff-only note (never posted here)')
        .addStringOption((o) =>
          o.setName('text').setDescription('The note').setRequired(true).setMaxLength(2000),
        ),
    ),
  new SlashCommandBuilder()
    .setName('tag')
    .setDescription('Post a saved reply')
    .addStringOption((o) =>
      o.setName('name').setDescription('Which saved reply').setRequired(true).setMaxLength(100),
    ),
  new SlashCommandBuilder()
    .setName('ticketflow')
    .setDescription("This server's TicketFlow data")
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .addSubcommand((s) =>
      s.setName('export').setDescription("Export all of this server's TicketFlow data"),
    ),
].map((c) => c.toJSON());
