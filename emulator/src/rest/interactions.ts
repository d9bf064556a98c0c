import {
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  MessageType,
} from 'discord-api-types/v10';
import { z } from 'zod';
import type { EmulatorContext } from '../context.ts';
import {
  alreadyAcknowledged,
  DiscordError,
  unknownInteraction,
  unknownMessage,
  unknownWebhook,
} from '../errors.ts';
import type { InteractionRecord, MessageRecord } from '../model.ts';
import { P } from '../permissions.ts';
import { isEphemeral, messageInput, messagePatch } from './messages.ts';
import {
  parse,
  type RouteContext,
  type Router,
  requireChannelPermission,
  Status,
} from './router.ts';

const callbackSchema = z.object({ type: z.number().int(), data: z.unknown().optional() });
const modalSchema = z.looseObject({
  custom_id: z.string().min(1).max(100),
  title: z.string().min(1).max(45),
  components: z
    .array(z.looseObject({ type: z.number().int() }))
    .min(1)
    .max(5),
});

export function interactionRoutes(r: Router, ctx: EmulatorContext) {
  const { state, serializer } = ctx;

  const interactionFor = (id: string | undefined, token: string | undefined): InteractionRecord => {
    const interaction = id ? state.interactions.get(id) : undefined;
    if (!interaction || interaction.token !== token) throw unknownInteraction();
    return interaction;
  };

  const botOf = (i: InteractionRecord) => {
    const app = state.applications.get(i.applicationId);
    if (!app) throw unknownInteraction();
    return app.botUserId;
  };

  const reply = (
    i: InteractionRecord,
    body: unknown,
    files: RouteContext['files'],
    extraFlags = 0,
  ) => {
    const input = messageInput(body, files, botOf(i));
    const ephemeral = isEphemeral(input.flags);
    return state.createMessage(i.channelId, {
      ...input,
      flags: (ephemeral ? MessageFlags.Ephemeral : 0) | extraFlags,
      visibleTo: ephemeral ? i.userId : null,
      type:
        i.type === InteractionType.ApplicationCommand
          ? MessageType.ChatInputCommand
          : MessageType.Default,
      interaction: { id: i.id, type: i.type, userId: i.userId },
      applicationId: i.applicationId,
    });
  };

  r.route(
    'POST',
    '/interactions/:interactionId/:token/callback',
    'none',
    ({ params, query, body, files }) => {
      const i = interactionFor(params.interactionId, params.token);
      if (i.response) throw alreadyAcknowledged();
      const { type, data } = parse(callbackSchema, body);
      let message: MessageRecord | undefined;
      switch (type) {
        case InteractionResponseType.ChannelMessageWithSource:
          message = reply(i, data, files);
          i.originalMessageId = message.id;
          break;
        case InteractionResponseType.DeferredChannelMessageWithSource: {
          const flags = (data as { flags?: number } | undefined)?.flags ?? 0;
          const ephemeral = isEphemeral(flags);
          // Discord shows "is thinking…" until the original response is edited.
          message = state.createMessage(i.channelId, {
            authorId: botOf(i),
            flags: MessageFlags.Loading | (ephemeral ? MessageFlags.Ephemeral : 0),
            visibleTo: ephemeral ? i.userId : null,
            interaction: { id: i.id, type: i.type, userId: i.userId },
            applicationId: i.applicationId,
          });
          i.originalMessageId = message.id;
          break;
        }
        case InteractionResponseType.DeferredMessageUpdate:
        case InteractionResponseType.UpdateMessage:
          if (
            i.type !== InteractionType.MessageComponent &&
            i.type !== InteractionType.ModalSubmit
          ) {
            throw new DiscordError(400, 40_060, 'Interaction has no message to update');
          }
          if (!i.messageId) throw unknownMessage();
          i.originalMessageId = i.messageId;
          if (type === InteractionResponseType.UpdateMessage) {
            message = state.editMessage(i.channelId, i.messageId, messagePatch(data, files));
          }
          break;
        case InteractionResponseType.Modal:
          if (i.type === InteractionType.ModalSubmit || i.type === InteractionType.Ping) {
            throw new DiscordError(400, 50_035, 'Invalid Form Body', {
              type: {
                _errors: [
                  {
                    code: 'INTERACTION_RESPONSE_TYPE_INVALID',
                    message: 'A modal cannot answer this interaction',
                  },
                ],
              },
            });
          }
          i.modal = parse(modalSchema, data) as unknown as InteractionRecord['modal'];
          break;
        case InteractionResponseType.ApplicationCommandAutocompleteResult:
        case InteractionResponseType.Pong:
          break;
        default:
          throw new DiscordError(400, 50_035, 'Invalid Form Body', {
            type: {
              _errors: [
                { code: 'BASE_TYPE_CHOICES', message: `Value must be one of the response types.` },
              ],
            },
          });
      }
      i.response = { type, ...(message ? { messageId: message.id } : {}) };
      state.respondedTo(i);
      if (query.with_response !== 'true') return undefined;
      return {
        interaction: {
          id: i.id,
          type: i.type,
          response_message_id: i.originalMessageId,
          response_message_loading:
            type === InteractionResponseType.DeferredChannelMessageWithSource,
          response_message_ephemeral: Boolean(message && message.flags & MessageFlags.Ephemeral),
        },
        resource: {
          type,
          ...(message ? { message: serializer.message(message) } : {}),
        },
      };
    },
  );

  // --- webhooks: a channel's incoming webhooks, and an interaction's follow-ups ------

  /** `/webhooks/:appId/:interactionToken` addresses an interaction; anything else a real webhook. */
  const target = (webhookId: string | undefined, token: string | undefined) => {
    const interaction = token ? state.interactionByToken(token) : undefined;
    if (interaction && interaction.applicationId === webhookId) return { interaction } as const;
    const webhook = webhookId ? state.webhooks.get(webhookId) : undefined;
    if (!webhook || webhook.token !== token) throw unknownWebhook();
    return { webhook } as const;
  };

  r.route('POST', '/webhooks/:webhookId/:token', 'none', ({ params, query, body, files }) => {
    const t = target(params.webhookId, params.token);
    if (t.interaction) {
      if (!t.interaction.response) throw unknownInteraction();
      return serializer.message(reply(t.interaction, body, files));
    }
    const webhook = t.webhook;
    const channelId = query.thread_id ?? webhook.channelId;
    if (!channelId) throw unknownWebhook();
    const input = messageInput(body, files, webhook.id);
    const raw = body as { username?: string; avatar_url?: string };
    const message = state.createMessage(channelId, {
      ...input,
      flags: 0,
      webhook: {
        id: webhook.id,
        username: raw.username ?? webhook.name,
        avatar: raw.avatar_url ?? webhook.avatar,
      },
      applicationId: webhook.applicationId,
    });
    return query.wait === 'true' ? serializer.message(message) : undefined;
  });

  const messageOf = (params: Record<string, string>) => {
    const t = target(params.webhookId, params.token);
    if (t.interaction) {
      const id =
        params.messageId === '@original' ? t.interaction.originalMessageId : params.messageId;
      if (!id) throw unknownMessage();
      const message = state.message(t.interaction.channelId, id);
      if (message.interaction?.id !== t.interaction.id && id !== t.interaction.originalMessageId)
        throw unknownMessage();
      return message;
    }
    const channelId = t.webhook.channelId as string;
    const message = state.message(channelId, params.messageId as string);
    if (message.webhook?.id !== t.webhook.id) throw unknownMessage();
    return message;
  };

  r.route('GET', '/webhooks/:webhookId/:token/messages/:messageId', 'none', ({ params }) =>
    serializer.message(messageOf(params)),
  );

  r.route(
    'PATCH',
    '/webhooks/:webhookId/:token/messages/:messageId',
    'none',
    ({ params, body, files }) => {
      const message = messageOf(params);
      const patch = messagePatch(body, files);
      const edited = state.editMessage(message.channelId, message.id, {
        ...patch,
        flags: message.flags & ~MessageFlags.Loading,
      });
      return serializer.message(edited);
    },
  );

  r.route('DELETE', '/webhooks/:webhookId/:token/messages/:messageId', 'none', ({ params }) => {
    const message = messageOf(params);
    state.deleteMessage(message.channelId, message.id);
    return undefined;
  });

  r.route('GET', '/webhooks/:webhookId/:token', 'none', ({ params }) => {
    const t = target(params.webhookId, params.token);
    if (!t.webhook) throw unknownWebhook();
    return serializer.webhook(t.webhook, false);
  });

  r.route('GET', '/webhooks/:webhookId', 'bot', ({ caller, params }) => {
    const webhook = state.webhook(params.webhookId as string);
    if (webhook.channelId)
      requireChannelPermission(ctx, caller, state.channel(webhook.channelId), P.ManageWebhooks);
    return serializer.webhook(webhook);
  });

  r.route('DELETE', '/webhooks/:webhookId/:token', 'none', ({ params }) => {
    const t = target(params.webhookId, params.token);
    if (!t.webhook) throw unknownWebhook();
    state.webhooks.delete(t.webhook.id);
    return new Status(204);
  });
}
