import { RESTJSONErrorCodes } from 'discord-api-types/v10';
import { z } from 'zod';
import { DiscordError } from '../errors.ts';
import type { AttachmentRecord, MessageRecord } from '../model.ts';
import type { MessageInput } from '../state.ts';
import { parse } from './router.ts';

const embedSchema = z
  .object({
    title: z.string().max(256).optional(),
    description: z.string().max(4096).optional(),
    url: z.string().optional(),
    color: z.number().int().optional(),
    timestamp: z.string().optional(),
    footer: z
      .object({ text: z.string().max(2048) })
      .passthrough()
      .optional(),
    author: z
      .object({ name: z.string().max(256) })
      .passthrough()
      .optional(),
    fields: z
      .array(
        z.object({
          name: z.string().max(256),
          value: z.string().max(1024),
          inline: z.boolean().optional(),
        }),
      )
      .max(25)
      .optional(),
  })
  .passthrough();

/** The body of a message create or edit, interaction reply, or webhook execution. */
export const messageBodySchema = z.object({
  content: z.string().max(2000, 'Must be 2000 or fewer in length.').nullish(),
  nonce: z.union([z.string().max(25), z.number().int()]).nullish(),
  enforce_nonce: z.boolean().optional(),
  tts: z.boolean().optional(),
  embeds: z.array(embedSchema).max(10).nullish(),
  components: z
    .array(z.object({ type: z.number().int() }).passthrough())
    .max(40)
    .nullish(),
  allowed_mentions: z.unknown().optional(),
  message_reference: z.unknown().optional(),
  flags: z.number().int().nullish(),
  attachments: z.array(z.object({ id: z.union([z.string(), z.number()]) }).passthrough()).nullish(),
  sticker_ids: z.array(z.string()).optional(),
  username: z.string().max(80).optional(),
  avatar_url: z.string().optional(),
  thread_id: z.string().optional(),
});
export type MessageBody = z.output<typeof messageBodySchema>;

const EPHEMERAL = 1 << 6;

type Json = Record<string, unknown>;

/** Embeds as Discord stores them: `type: 'rich'`, every field with `inline`. */
function normalizeEmbeds(embeds: Json[]): MessageRecord['embeds'] {
  return embeds.map((e) => ({
    type: 'rich',
    ...e,
    ...(Array.isArray(e.fields)
      ? { fields: (e.fields as Json[]).map((f) => ({ inline: false, ...f })) }
      : {}),
  })) as unknown as MessageRecord['embeds'];
}

/**
 * Components as Discord stores them: every component gets a numeric `id`
 * (depth-first from 1 unless given) and select menus their value bounds.
 */
function normalizeComponents(rows: Json[]): MessageRecord['components'] {
  let next = 1;
  const visit = (c: Json): Json => {
    const id = typeof c.id === 'number' ? c.id : next;
    next = Math.max(next, id) + 1;
    const out: Json = { ...c, id };
    if (Array.isArray(c.components)) out.components = (c.components as Json[]).map(visit);
    if (c.type === 3 || (typeof c.type === 'number' && c.type >= 5 && c.type <= 8)) {
      out.min_values ??= 1;
      out.max_values ??= 1;
    }
    return out;
  };
  return rows.map(visit) as unknown as MessageRecord['components'];
}

/** Validates a create body into the state's input; empty messages are refused as Discord does. */
export function messageInput(
  body: unknown,
  files: AttachmentRecord[],
  authorId: string,
): MessageInput & { enforceNonce: boolean } {
  const parsed = parse(messageBodySchema, body);
  const content = parsed.content ?? '';
  const embeds = normalizeEmbeds(parsed.embeds ?? []);
  const components = normalizeComponents(parsed.components ?? []);
  if (!content && embeds.length === 0 && components.length === 0 && files.length === 0) {
    throw new DiscordError(
      400,
      RESTJSONErrorCodes.CannotSendAnEmptyMessage,
      'Cannot send an empty message',
    );
  }
  return {
    authorId,
    content,
    embeds,
    components,
    attachments: files,
    nonce: parsed.nonce === undefined || parsed.nonce === null ? null : String(parsed.nonce),
    enforceNonce: parsed.enforce_nonce ?? false,
    flags: (parsed.flags ?? 0) & EPHEMERAL,
  };
}

/** The fields of an edit body that were given (null clears, as in Discord). */
export function messagePatch(body: unknown, files: AttachmentRecord[]) {
  const parsed = parse(messageBodySchema, body);
  const patch: Partial<Pick<MessageRecord, 'content' | 'embeds' | 'components' | 'attachments'>> =
    {};
  if (parsed.content !== undefined) patch.content = parsed.content ?? '';
  if (parsed.embeds !== undefined) patch.embeds = normalizeEmbeds(parsed.embeds ?? []);
  if (parsed.components !== undefined)
    patch.components = normalizeComponents(parsed.components ?? []);
  if (files.length > 0) patch.attachments = files;
  return patch;
}

export const isEphemeral = (flags: number | undefined) => ((flags ?? 0) & EPHEMERAL) !== 0;
