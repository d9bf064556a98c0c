/** Base of every error a user may see; `status` is the HTTP status the API answers with. */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
  }
}

/** Missing, or not visible to the actor: both answer 404 so nothing leaks across guilds. */
export class NotFoundError extends AppError {
  constructor(what = 'Not found') {
    super(404, 'not_found', what);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You are not allowed to do that') {
    super(403, 'forbidden', message);
  }
}

/** A stale `version`, a duplicate name: the client should reload and try again. */
export class ConflictError extends AppError {
  constructor(message: string) {
    super(409, 'conflict', message);
  }
}

/** Not logged in, or the session expired. */
export class UnauthorizedError extends AppError {
  constructor(message = 'Please log in') {
    super(401, 'unauthorized', message);
  }
}

/** Discord (or the emulator) did not answer; the request may work in a moment. */
export class UpstreamError extends AppError {
  constructor(message = 'Discord is not answering right now; try again in a moment') {
    super(503, 'discord_unavailable', message);
  }
}

/**
 * Input its schema accepts that breaks a rule needing more than the schema
 * knows (a reply too long once signed with its author's name): a 400 with the
 * field, as a schema's failure.
 */
export class FieldError extends AppError {
  readonly fields: { path: string; message: string }[];
  constructor(path: string, message: string) {
    super(400, 'bad_request', `Invalid request: ${path} ${message}`);
    this.fields = [{ path, message }];
  }
}
