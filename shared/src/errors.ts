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
