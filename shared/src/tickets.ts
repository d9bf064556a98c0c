/** Pure ticket rules: who may do what, what a channel is called, whether a member may open one now. */

export interface CategoryRules {
  staffRoleIds: string[];
  blockedRoleIds: string[];
  openTicketLimit: number;
  cooldownSeconds: number;
  channelNamePattern: string;
}

export interface MemberFacts {
  userId: string;
  roleIds: string[];
  /** Owner, Administrator or Manage Server in Discord. */
  managesGuild: boolean;
}

/** An admin of a guild: owner, Administrator or Manage Server, or one of the admin roles in settings. */
export function isAdmin(member: MemberFacts, adminRoleIds: readonly string[] = []): boolean {
  return member.managesGuild || member.roleIds.some((r) => adminRoleIds.includes(r));
}

/** Staff of a category: holds one of its staff roles (admins count as staff everywhere). */
export function isStaffOf(
  member: MemberFacts,
  category: Pick<CategoryRules, 'staffRoleIds'>,
  adminRoleIds: readonly string[] = [],
): boolean {
  return (
    isAdmin(member, adminRoleIds) || member.roleIds.some((r) => category.staffRoleIds.includes(r))
  );
}

/** What Discord allows in a channel name: lower case, no spaces, at most 100 characters. */
export function channelName(
  pattern: string,
  values: { number: number; username: string; category: string },
): string {
  const filled = pattern
    .replaceAll('{number}', String(values.number).padStart(4, '0'))
    .replaceAll('{username}', values.username)
    .replaceAll('{category}', values.category);
  const clean = filled
    .toLowerCase()
    .replace(/[\s_]+/g, '-')
    .replace(/[^\p{L}\p{N}-]/gu, '')
    .replace(/-{2,}/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 100);
  return clean || `ticket-${values.number}`;
}

export interface OpenCheck {
  category: CategoryRules;
  member: MemberFacts;
  /** The member's tickets of this category that are still open. */
  openCount: number;
  /** When the member last opened a ticket in this category. */
  lastOpenedAt: Date | null;
  /** Channels in the guild now (Discord allows 500). */
  guildChannelCount: number;
  now: Date;
}

export const GUILD_CHANNEL_LIMIT = 500;

/** Why the member may not open a ticket now, in words for them; null when they may. */
export function refuseToOpen(check: OpenCheck): string | null {
  const { category, member } = check;
  if (member.roleIds.some((r) => category.blockedRoleIds.includes(r))) {
    return 'You are not allowed to open tickets in this category.';
  }
  if (category.openTicketLimit > 0 && check.openCount >= category.openTicketLimit) {
    return category.openTicketLimit === 1
      ? 'You already have an open ticket in this category.'
      : `You already have ${check.openCount} open tickets in this category (the limit is ${category.openTicketLimit}).`;
  }
  if (check.lastOpenedAt && category.cooldownSeconds > 0) {
    const waitMs =
      check.lastOpenedAt.getTime() + category.cooldownSeconds * 1000 - check.now.getTime();
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      const words = seconds >= 120 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} seconds`;
      return `Please wait ${words} before opening another ticket in this category.`;
    }
  }
  // Leave headroom for staff's own channels.
  if (check.guildChannelCount >= GUILD_CHANNEL_LIMIT - 5) {
    return 'This server has too many channels to open a ticket right now. Please tell a moderator.';
  }
  return null;
}

/** Default wait between closing a ticket and deleting its channel. */
export const DEFAULT_CLOSE_DELAY_SECONDS = 300;

/** The most characters Discord takes in a message's content. */
export const DISCORD_MESSAGE_MAX = 2000;

/** How a dashboard reply reads in Discord: the staff member's name, then the text. */
export function formatReply(authorName: string, content: string): string {
  return `**${authorName.replace(/[*_~`|\\]/g, '')}:** ${content}`;
}

/** How many characters of text a reply signed with this name can carry into Discord. */
export function replyRoom(authorName: string): number {
  return DISCORD_MESSAGE_MAX - formatReply(authorName, '').length;
}
