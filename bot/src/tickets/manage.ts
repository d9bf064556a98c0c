import { getCategory, listCategories } from '@ticketflow/db/repositories/categories';
import { reopenAndKeepChannel } from '@ticketflow/db/repositories/closing';
import { addNote } from '@ticketflow/db/repositories/messages';
import { findTicketByChannel, updateTicket } from '@ticketflow/db/repositories/tickets';
import type { tickets } from '@ticketflow/db/schema';
import { channelName, isAdmin, isStaffOf, type MemberFacts } from '@ticketflow/shared/tickets';
import {
  ActionRowBuilder,
  ButtonBuilder,
  type ButtonInteraction,
  ButtonStyle,
  type ChatInputCommandInteraction,
  type GuildTextBasedChannel,
  MessageFlags,
  OverwriteType,
} from 'discord.js';
import { adminRoleIds, type BotContext, memberFacts, UserError } from '../context.ts';
import { closeInDiscord } from './closing.ts';
import { PARTICIPANT, PARTICIPANT_FLAGS } from './open.ts';

type Ticket = typeof tickets.$inferSelect;
type Acting = ChatInputCommandInteraction<'cached'> | ButtonInteraction<'cached'>;

const CONFIRM_TTL_MS = 10 * 60_000;
// Overwrites by user id: discord.js keeps no member cache to resolve ids from.
const MEMBER = { type: OverwriteType.Member } as const;

/** The ticket of the channel the interaction happened in. */
export async function ticketHere(ctx: BotContext, interaction: Acting): Promise<Ticket> {
  const ticket = interaction.channelId
    ? await findTicketByChannel(ctx.db, interaction.channelId)
    : undefined;
  if (!ticket || ticket.guildId !== interaction.guildId)
    throw new UserError('Use this inside a ticket channel.');
  return ticket;
}

/** Whether these member facts make someone staff of the ticket's category (or an admin). */
async function isStaffOfTicket(
  ctx: BotContext,
  facts: MemberFacts,
  ticket: Ticket,
): Promise<boolean> {
  const adminRoles = await adminRoleIds(ctx, ticket.guildId);
  if (isAdmin(facts, adminRoles)) return true;
  const category = ticket.categoryId
    ? await getCategory(ctx.db, ticket.guildId, ticket.categoryId)
    : undefined;
  return Boolean(category && isStaffOf(facts, category, adminRoles));
}

export async function requireStaff(
  ctx: BotContext,
  interaction: Acting,
  ticket: Ticket,
): Promise<void> {
  if (!(await isStaffOfTicket(ctx, memberFacts(interaction), ticket))) {
    throw new UserError("Only staff of this ticket's category can do that.");
  }
}

function ticketChannel(interaction: Acting): GuildTextBasedChannel {
  const channel = interaction.channel;
  if (!channel) throw new UserError("This ticket's channel is not available.");
  return channel;
}

const pendingCloses = new Map<string, { reason: string | null; until: number }>();

/**
 * Asks for confirmation before closing (the Close button, `/ticket close`).
 * The opener may close their own ticket; otherwise it takes staff.
 */
export async function askToClose(ctx: BotContext, interaction: Acting, reason: string | null) {
  const ticket = await ticketHere(ctx, interaction);
  if (ticket.status === 'closed') throw new UserError('This ticket is already closed.');
  if (ticket.openerId !== interaction.user.id) await requireStaff(ctx, interaction, ticket);
  const now = Date.now();
  for (const [key, value] of pendingCloses) if (value.until < now) pendingCloses.delete(key);
  pendingCloses.set(`${ticket.id}:${interaction.user.id}`, { reason, until: now + CONFIRM_TTL_MS });
  await interaction.reply({
    content: `Close ticket #${ticket.number}?${reason ? ` Reason: ${reason}` : ''}`,
    components: [
      new ActionRowBuilder<ButtonBuilder>().addComponents(
        new ButtonBuilder()
          .setCustomId(`tf:close-confirm:${ticket.id}`)
          .setLabel('Close ticket')
          .setStyle(ButtonStyle.Danger),
        new ButtonBuilder()
          .setCustomId('tf:close-cancel')
          .setLabel('Keep it open')
          .setStyle(ButtonStyle.Secondary),
      ),
    ],
    flags: MessageFlags.Ephemeral,
  });
}

/**
 * Closes for real: the ticket row and its event, the channel locked for the
 * opener, a closing message, and the channel's deletion scheduled as a job
 * (it survives restarts; reopening calls it off).
 */
export async function confirmClose(
  ctx: BotContext,
  interaction: ButtonInteraction<'cached'>,
  ticketId: string,
) {
  const pending = pendingCloses.get(`${ticketId}:${interaction.user.id}`);
  if (!pending || pending.until < Date.now()) {
    throw new UserError('That confirmation has expired. Press Close or run /ticket close again.');
  }
  pendingCloses.delete(`${ticketId}:${interaction.user.id}`);
  const ticket = await ticketHere(ctx, interaction);
  if (ticket.id !== ticketId) throw new UserError('That confirmation belongs to another ticket.');
  const closed = await closeInDiscord(
    ctx,
    ticket,
    { actorId: interaction.user.id, reason: pending.reason },
    async () => {
      await interaction.update({ content: `Ticket #${ticket.number} closed.`, components: [] });
    },
  );
  if (!closed) throw new UserError('This ticket is already closed.');
}

/** Opens a closed ticket again while its channel exists, and calls off the deletion. */
export async function reopen(ctx: BotContext, interaction: ChatInputCommandInteraction<'cached'>) {
  const ticket = await ticketHere(ctx, interaction);
  await requireStaff(ctx, interaction, ticket);
  const reopened = await reopenAndKeepChannel(ctx.db, {
    ticketId: ticket.id,
    actorId: interaction.user.id,
  });
  if (!reopened) throw new UserError('This ticket is not closed.');
  const channel = ticketChannel(interaction);
  if (channel.isThread()) await channel.setLocked(false);
  else await channel.permissionOverwrites.edit(ticket.openerId, { SendMessages: true }, MEMBER);
  await interaction.reply({
    content: `🔓 Ticket reopened by ${interaction.user}.`,
    allowedMentions: { parse: [] },
  });
}

/** `/ticket assign @staff`: hands the ticket to a staff member of its category. */
export async function assign(ctx: BotContext, interaction: ChatInputCommandInteraction<'cached'>) {
  const ticket = await ticketHere(ctx, interaction);
  await requireStaff(ctx, interaction, ticket);
  const user = interaction.options.getUser('user', true);
  const member = await interaction.guild.members
    .fetch({ user: user.id, cache: false })
    .catch(() => null);
  if (!member) throw new UserError(`${user.username} is not a member of this server.`);
  const facts = {
    userId: user.id,
    roleIds: [...member.roles.cache.keys()],
    managesGuild:
      interaction.guild.ownerId === user.id ||
      member.permissions.any(['Administrator', 'ManageGuild']),
  };
  if (!(await isStaffOfTicket(ctx, facts, ticket))) {
    throw new UserError(`${user.username} is not staff of this ticket's category.`);
  }
  await updateTicket(
    ctx.db,
    ticket.id,
    { assigneeId: user.id },
    { actorId: interaction.user.id, kind: 'ticket.assigned' },
  );
  await interaction.reply({
    content: `📌 ${interaction.user} assigned this ticket to ${user}.`,
    allowedMentions: { users: [user.id] },
  });
}

/** A staff member takes the ticket (the Claim button, `/ticket claim`). */
export async function claim(ctx: BotContext, interaction: Acting) {
  const ticket = await ticketHere(ctx, interaction);
  await requireStaff(ctx, interaction, ticket);
  if (ticket.assigneeId === interaction.user.id)
    throw new UserError('You have already claimed this ticket.');
  if (ticket.assigneeId)
    throw new UserError(`This ticket is already claimed by <@${ticket.assigneeId}>.`);
  await updateTicket(
    ctx.db,
    ticket.id,
    { assigneeId: interaction.user.id },
    { actorId: interaction.user.id, kind: 'ticket.claimed' },
  );
  await interaction.reply({
    content: `🙋 ${interaction.user} claimed this ticket.`,
    allowedMentions: { parse: [] },
  });
}

export async function unclaim(ctx: BotContext, interaction: ChatInputCommandInteraction<'cached'>) {
  const ticket = await ticketHere(ctx, interaction);
  await requireStaff(ctx, interaction, ticket);
  if (!ticket.assigneeId) throw new UserError('Nobody has claimed this ticket.');
  const adminRoles = await adminRoleIds(ctx, ticket.guildId);
  if (ticket.assigneeId !== interaction.user.id && !isAdmin(memberFacts(interaction), adminRoles)) {
    throw new UserError('Only the staff member who claimed it (or an admin) can unclaim it.');
  }
  await updateTicket(
    ctx.db,
    ticket.id,
    { assigneeId: null },
    { actorId: interaction.user.id, kind: 'ticket.unclaimed' },
  );
  await interaction.reply({
    content: `${interaction.user} unclaimed this ticket.`,
    allowedMentions: { parse: [] },
  });
}

/** Gives someone the ticket channel (or thread), or takes it away again. */
export async function letIn(channel: GuildTextBasedChannel, userId: string, add: boolean) {
  if (channel.isThread()) {
    if (add) await channel.members.add(userId);
    else await channel.members.remove(userId);
  } else if (!('permissionOverwrites' in channel)) {
    throw new UserError('This ticket has no channel whose access can change.');
  } else if (add) {
    await channel.permissionOverwrites.edit(
      userId,
      Object.fromEntries(PARTICIPANT_FLAGS.map((flag) => [flag, true])),
      MEMBER,
    );
  } else {
    await channel.permissionOverwrites.delete(userId);
  }
}

/** Lets someone else into the ticket, or takes them out again. */
export async function setParticipant(
  ctx: BotContext,
  interaction: ChatInputCommandInteraction<'cached'>,
  add: boolean,
) {
  const ticket = await ticketHere(ctx, interaction);
  await requireStaff(ctx, interaction, ticket);
  const user = interaction.options.getUser('user', true);
  if (user.bot) throw new UserError('Bots cannot be added to tickets.');
  if (!add && user.id === ticket.openerId)
    throw new UserError('The person who opened the ticket cannot be removed.');
  await letIn(ticketChannel(interaction), user.id, add);
  await updateTicket(
    ctx.db,
    ticket.id,
    {},
    {
      actorId: interaction.user.id,
      kind: add ? 'ticket.member_added' : 'ticket.member_removed',
      data: { userId: user.id },
    },
  );
  await interaction.reply({
    content: add
      ? `➕ ${interaction.user} added ${user} to this ticket.`
      : `➖ ${interaction.user} removed ${user} from this ticket.`,
    allowedMentions: add ? { users: [user.id] } : { parse: [] },
  });
}

export async function rename(ctx: BotContext, interaction: ChatInputCommandInteraction<'cached'>) {
  const ticket = await ticketHere(ctx, interaction);
  await requireStaff(ctx, interaction, ticket);
  const wanted = interaction.options.getString('name', true);
  const name = channelName(wanted, { number: ticket.number, username: '', category: '' });
  await ticketChannel(interaction).edit({ name });
  await updateTicket(
    ctx.db,
    ticket.id,
    { topic: wanted.slice(0, 200) },
    { actorId: interaction.user.id, kind: 'ticket.renamed' },
  );
  await interaction.reply({ content: `✏️ Renamed to **${name}**.`, flags: MessageFlags.Ephemeral });
}

export async function setPriority(
  ctx: BotContext,
  interaction: ChatInputCommandInteraction<'cached'>,
) {
  const ticket = await ticketHere(ctx, interaction);
  await requireStaff(ctx, interaction, ticket);
  const level = interaction.options.getString('level', true) as Ticket['priority'];
  await updateTicket(
    ctx.db,
    ticket.id,
    { priority: level },
    { actorId: interaction.user.id, kind: 'ticket.priority_changed' },
  );
  await interaction.reply({
    content: `Priority set to **${level}**.`,
    flags: MessageFlags.Ephemeral,
  });
}

/** A staff-only note: stored for the dashboard, never posted in the channel. */
export async function note(ctx: BotContext, interaction: ChatInputCommandInteraction<'cached'>) {
  const ticket = await ticketHere(ctx, interaction);
  await requireStaff(ctx, interaction, ticket);
  const text = interaction.options.getString('text', true);
  await addNote(ctx.db, {
    guildId: ticket.guildId,
    ticketId: ticket.id,
    authorId: interaction.user.id,
    content: text,
  });
  await interaction.reply({
    content: '📝 Note saved. Only staff see it, on the dashboard.',
    flags: MessageFlags.Ephemeral,
  });
}

type Category = Awaited<ReturnType<typeof listCategories>>[number];

/**
 * Moves a ticket channel under another category's Discord category and hands
 * it from the old category's staff roles to the new one's. Safe to repeat.
 */
export async function moveChannel(
  channel: GuildTextBasedChannel,
  from: Pick<Category, 'staffRoleIds'> | undefined,
  to: Pick<Category, 'staffRoleIds' | 'discordCategoryId'>,
) {
  if (channel.isThread() || !('permissionOverwrites' in channel)) return;
  const oldStaff = new Set(
    (from?.staffRoleIds ?? []).filter((id) => !to.staffRoleIds.includes(id)),
  );
  const kept = channel.permissionOverwrites.cache
    .filter((o) => !oldStaff.has(o.id))
    .map((o) => ({ id: o.id, type: o.type, allow: o.allow.bitfield, deny: o.deny.bitfield }));
  const added = to.staffRoleIds
    .filter((id) => !kept.some((o) => o.id === id))
    .map((id) => ({ id, type: OverwriteType.Role, allow: PARTICIPANT, deny: [] as bigint[] }));
  await channel.edit({
    ...(to.discordCategoryId ? { parent: to.discordCategoryId, lockPermissions: false } : {}),
    permissionOverwrites: [...kept, ...added],
  });
}

/**
 * `/ticket transfer category`: moves the ticket to another category — its
 * Discord category and its staff: the old category's staff roles lose the
 * channel, the new one's gain it.
 */
export async function transfer(
  ctx: BotContext,
  interaction: ChatInputCommandInteraction<'cached'>,
) {
  const ticket = await ticketHere(ctx, interaction);
  await requireStaff(ctx, interaction, ticket);
  const wanted = interaction.options.getString('category', true).trim().toLowerCase();
  const all = await listCategories(ctx.db, ticket.guildId);
  const target = all.find((c) => c.name.toLowerCase() === wanted);
  if (!target)
    throw new UserError(
      `No category is called ${wanted}. Categories: ${all.map((c) => c.name).join(', ')}.`,
    );
  if (target.id === ticket.categoryId)
    throw new UserError(`This ticket is already in ${target.name}.`);
  const current = ticket.categoryId ? all.find((c) => c.id === ticket.categoryId) : undefined;
  await moveChannel(ticketChannel(interaction), current, target);
  await updateTicket(
    ctx.db,
    ticket.id,
    { categoryId: target.id },
    { actorId: interaction.user.id, kind: 'ticket.transferred' },
  );
  await interaction.reply({
    content: `➡️ ${interaction.user} moved this ticket to **${target.name}**.${target.staffRoleIds.length > 0 ? ` ${target.staffRoleIds.map((id) => `<@&${id}>`).join(' ')}` : ''}`,
    allowedMentions: { roles: target.staffRoleIds },
  });
}
