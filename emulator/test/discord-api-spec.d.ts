// The package ships its zod schemas as plain JavaScript (its "types" entry points at the .js file).
declare module 'discord-api-spec/zod' {
  type Schema = { safeParse(value: unknown): { success: boolean; error?: { issues: unknown[] } } };
  export const ApplicationCommandResponseSchema: Schema;
  export const GuildChannelResponseSchema: Schema;
  export const GuildIncomingWebhookResponseSchema: Schema;
  export const GuildMemberResponseSchema: Schema;
  export const GuildRoleResponseSchema: Schema;
  export const GuildWithCountsResponseSchema: Schema;
  export const MessageResponseSchema: Schema;
  export const MyGuildResponseSchema: Schema;
  export const PrivateChannelResponseSchema: Schema;
  export const ThreadResponseSchema: Schema;
  export const UserPIIResponseSchema: Schema;
  export const UserResponseSchema: Schema;
}
