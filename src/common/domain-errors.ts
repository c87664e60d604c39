/**
 * Errors a service throws when a rule refuses a request. Services never throw HTTP exceptions: these carry what
 * went wrong, and src/http/errors.ts (mapError) turns them into Flagsmith's statuses and bodies, in one place:
 *
 *   NotFound            404 {"detail": "Not found."}
 *   NotAuthenticated    401 {"detail": "Authentication credentials were not provided."}
 *   PermissionDenied    403 {"detail": "You do not have permission to perform this action."}
 *   ValidationFailed    400 {"field": ["message"], …} (DRF's field errors, nested as DRF nests them)
 *   BadRequest          400 {"detail": "…"} (a refusal that names no field)
 *   Conflict            409 {"detail": "…"} (only where Flagsmith answers 409)
 *
 * Objects outside the caller's organisations are always NotFound, never PermissionDenied.
 */
export type FieldErrors = { [field: string]: string[] | FieldErrors | FieldErrors[] };

export abstract class DomainError extends Error {
  abstract readonly status: 400 | 401 | 403 | 404 | 409;
  abstract body(): object;
}

abstract class DetailError extends DomainError {
  constructor(readonly detail: string) {
    super(detail);
    this.name = new.target.name;
  }
  body(): object {
    return { detail: this.detail };
  }
}

export class NotFound extends DetailError {
  readonly status = 404;
  constructor(detail = 'Not found.') {
    super(detail);
  }
}

export class NotAuthenticated extends DetailError {
  readonly status = 401;
  constructor(detail = 'Authentication credentials were not provided.') {
    super(detail);
  }
}

export class PermissionDenied extends DetailError {
  readonly status = 403;
  constructor(detail = 'You do not have permission to perform this action.') {
    super(detail);
  }
}

export class BadRequest extends DetailError {
  readonly status = 400;
}

export class Conflict extends DetailError {
  readonly status = 409;
}

export class ValidationFailed extends DomainError {
  readonly status = 400;
  constructor(readonly errors: FieldErrors) {
    super(`invalid fields: ${Object.keys(errors).join(', ')}`);
    this.name = 'ValidationFailed';
  }
  /** One field, one or more messages: `ValidationFailed.field('name', 'Invalid regex pattern')`. */
  static field(field: string, ...messages: string[]): ValidationFailed {
    return new ValidationFailed({ [field]: messages });
  }
  body(): object {
    return this.errors;
  }
}

/** 400 `["message", …]`: DRF's body for a ValidationError raised outside a serializer field (a view's own check). */
export class ValidationMessages extends DomainError {
  readonly status = 400;
  constructor(readonly messages: readonly string[]) {
    super(messages.join(' '));
    this.name = 'ValidationMessages';
  }
  body(): object {
    return [...this.messages];
  }
}
