import { RESTJSONErrorCodes } from 'discord-api-types/v10';

/** An error answered the way Discord answers: `{ code, message, errors? }` with an HTTP status. */
export class DiscordError extends Error {
  readonly status: number;
  readonly code: number;
  readonly errors: unknown;
  constructor(status: number, code: number, message: string, errors?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.errors = errors;
  }

  body() {
    return {
      code: this.code,
      message: this.message,
      ...(this.errors === undefined ? {} : { errors: this.errors }),
    };
  }
}

export const unknownChannel = () =>
  new DiscordError(404, RESTJSONErrorCodes.UnknownChannel, 'Unknown Channel');
export const unknownMessage = () =>
  new DiscordError(404, RESTJSONErrorCodes.UnknownMessage, 'Unknown Message');
export const unknownGuild = () =>
  new DiscordError(404, RESTJSONErrorCodes.UnknownGuild, 'Unknown Guild');
export const unknownMember = () =>
  new DiscordError(404, RESTJSONErrorCodes.UnknownMember, 'Unknown Member');
export const unknownRole = () =>
  new DiscordError(404, RESTJSONErrorCodes.UnknownRole, 'Unknown Role');
export const unknownUser = () =>
  new DiscordError(404, RESTJSONErrorCodes.UnknownUser, 'Unknown User');
export const unknownWebhook = () =>
  new DiscordError(404, RESTJSONErrorCodes.UnknownWebhook, 'Unknown Webhook');
export const unknownInteraction = () =>
  new DiscordError(404, RESTJSONErrorCodes.UnknownInteraction, 'Unknown interaction');
export const missingAccess = () =>
  new DiscordError(403, RESTJSONErrorCodes.MissingAccess, 'Missing Access');
export const missingPermissions = () =>
  new DiscordError(403, RESTJSONErrorCodes.MissingPermissions, 'Missing Permissions');
export const unauthorized = () => new DiscordError(401, 0, '401: Unauthorized');
export const alreadyAcknowledged = () =>
  new DiscordError(
    400,
    RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged,
    'Interaction has already been acknowledged.',
  );
export const cannotEditOthersMessage = () =>
  new DiscordError(
    403,
    RESTJSONErrorCodes.CannotEditMessageAuthoredByAnotherUser,
    'Cannot edit a message authored by another user',
  );

/** 50035 with Discord's nested `errors` shape, from a list of (path, message). */
export function invalidFormBody(problems: { path: (string | number)[]; message: string }[]) {
  const errors: Record<string, unknown> = {};
  for (const p of problems) {
    let node = errors;
    for (const key of p.path) {
      node[key] ??= {};
      node = node[key] as Record<string, unknown>;
    }
    node._errors ??= [];
    (node._errors as { code: string; message: string }[]).push({
      code: 'BASE_TYPE_INVALID',
      message: p.message,
    });
  }
  return new DiscordError(
    400,
    RESTJSONErrorCodes.InvalidFormBodyOrContentType,
    'Invalid Form Body',
    errors,
  );
}
