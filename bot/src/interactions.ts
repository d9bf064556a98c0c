import {
  isLostConflict,
  isTransientDatabaseError,
  LOST_CONFLICT_ANSWER,
} from '@ticketflow/db/errors';
import { Events, type Interaction, MessageFlags } from 'discord.js';
import { type BotContext, UserError } from './context.ts';
import { exportData } from './data.ts';
import { askForComment, rate, saveComment } from './feedback.ts';
import { postPanel } from './panels.ts';
import { postTag } from './tags.ts';
import { answerCloseRequest, requestClose } from './tickets/close-request.ts';
import {
  askToClose,
  assign,
  claim,
  confirmClose,
  note,
  rename,
  reopen,
  setParticipant,
  setPriority,
  transfer,
  unclaim,
} from './tickets/manage.ts';
import { finishOpening, startOpening } from './tickets/open.ts';

/** Custom ids are `tf:<action>[:<id>]`; anything else is not ours. */
function parseCustomId(customId: string): { action: string; id: string } | null {
  const m = /^tf:([a-z-]+)(?::([\w-]{1,80}))?$/.exec(customId);
  return m?.[1] ? { action: m[1], id: m[2] ?? '' } : null;
}

async function route(ctx: BotContext, interaction: Interaction) {
  // Feedback buttons live in the opener's DMs, outside any server.
  if (interaction.isButton()) {
    const parsed = parseCustomId(interaction.customId);
    if (parsed?.action === 'rate') return rate(ctx, interaction, parsed.id);
    if (parsed?.action === 'comment') return askForComment(interaction, parsed.id);
  }
  if (interaction.isModalSubmit()) {
    const parsed = parseCustomId(interaction.customId);
    if (parsed?.action === 'comment-modal') return saveComment(ctx, interaction, parsed.id);
  }
  if (!interaction.inCachedGuild()) {
    if (interaction.isRepliable()) {
      await interaction.reply({
        content: 'TicketFlow works inside servers only.',
        flags: MessageFlags.Ephemeral,
      });
    }
    return;
  }
  if (interaction.isChatInputCommand()) {
    if (interaction.commandName === 'panel') return postPanel(ctx, interaction);
    if (interaction.commandName === 'tag') return postTag(ctx, interaction);
    if (interaction.commandName === 'ticketflow') return exportData(ctx, interaction);
    if (interaction.commandName !== 'ticket') return;
    switch (interaction.options.getSubcommand()) {
      case 'close':
        return askToClose(ctx, interaction, interaction.options.getString('reason'));
      case 'close-request':
        return requestClose(ctx, interaction);
      case 'reopen':
        return reopen(ctx, interaction);
      case 'transfer':
        return transfer(ctx, interaction);
      case 'claim':
        return claim(ctx, interaction);
      case 'assign':
        return assign(ctx, interaction);
      case 'unclaim':
        return unclaim(ctx, interaction);
      case 'add':
        return setParticipant(ctx, interaction, true);
      case 'remove':
        return setParticipant(ctx, interaction, false);
      case 'rename':
        return rename(ctx, interaction);
      case 'priority':
        return setPriority(ctx, interaction);
      case 'note':
        return note(ctx, interaction);
      default:
        throw new UserError('Unknown ticket command.');
    }
  }
  if (interaction.isButton()) {
    const parsed = parseCustomId(interaction.customId);
    switch (parsed?.action) {
      case 'open':
        return startOpening(ctx, interaction, parsed.id);
      case 'close':
        return askToClose(ctx, interaction, null);
      case 'close-confirm':
        return confirmClose(ctx, interaction, parsed.id);
      case 'close-cancel':
        return interaction.update({ content: 'The ticket stays open.', components: [] });
      case 'claim':
        return claim(ctx, interaction);
      case 'cr-accept':
        return answerCloseRequest(ctx, interaction, parsed.id, true);
      case 'cr-deny':
        return answerCloseRequest(ctx, interaction, parsed.id, false);
      default:
        return;
    }
  }
  if (interaction.isStringSelectMenu() && interaction.customId === 'tf:open') {
    const categoryId = interaction.values[0];
    if (!categoryId) throw new UserError('Choose a category.');
    return startOpening(ctx, interaction, categoryId);
  }
  if (interaction.isModalSubmit()) {
    const parsed = parseCustomId(interaction.customId);
    if (parsed?.action === 'questions') return finishOpening(ctx, interaction, parsed.id);
  }
}

/** What a person is told when their click or command found the database out of reach. */
export const DATABASE_AWAY =
  'TicketFlow cannot reach its database just now. Please try again in a moment.';

/**
 * Routes interactions to the ticket handlers. A refusal (UserError) becomes an
 * ephemeral reply saying why; the database out of reach is said as such;
 * anything unexpected is logged and the person is told something went wrong. The process never goes down for one interaction.
 */
export function registerInteractions(ctx: BotContext) {
  const inFlight = new Set<Promise<void>>();
  ctx.client.on(Events.InteractionCreate, (interaction) => {
    const work = handle(ctx, interaction);
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  });
  return {
    /** Resolves when every interaction being handled has finished (for a graceful stop). */
    async idle() {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
  };
}

async function handle(ctx: BotContext, interaction: Interaction) {
  try {
    await route(ctx, interaction);
  } catch (error) {
    const expected = error instanceof UserError;
    const clash = !expected && isLostConflict(error);
    const outage = !expected && !clash && isTransientDatabaseError(error);
    if (clash)
      ctx.log.warn({ err: error, interaction: interaction.id }, 'interaction lost a deadlock');
    else if (outage)
      ctx.log.warn({ err: error, interaction: interaction.id }, 'interaction failed: no database');
    else if (!expected)
      ctx.log.error({ err: error, interaction: interaction.id }, 'interaction failed');
    if (!interaction.isRepliable()) return;
    const content = expected
      ? error.message
      : clash
        ? LOST_CONFLICT_ANSWER
        : outage
          ? DATABASE_AWAY
          : 'Something went wrong on our side. Please try again in a moment.';
    try {
      if (interaction.deferred || interaction.replied)
        await interaction.editReply({ content, components: [] });
      else await interaction.reply({ content, flags: MessageFlags.Ephemeral });
    } catch (replyError) {
      ctx.log.warn({ err: replyError }, 'could not tell the user about a failed interaction');
    }
  }
}
