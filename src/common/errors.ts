import {
  BadRequestException,
  HttpException,
  ForbiddenException,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';

/** Flagsmith/DRF `{"detail": …}` errors. Objects outside the caller's organisations are always `notFound()`. */
export const notFound = (detail = 'Not found.') => new NotFoundException({ detail });
export const forbidden = (detail = 'You do not have permission to perform this action.') =>
  new ForbiddenException({ detail });
export const unauthorized = (detail = 'Authentication credentials were not provided.') =>
  new UnauthorizedException({ detail });
export const badRequestDetail = (detail: string) => new BadRequestException({ detail });

/** 400 `{"field": ["msg"]}` (or `{"non_field_errors": [...]}`). */
export function fieldError(field: string, ...messages: string[]): BadRequestException {
  return new BadRequestException({ [field]: messages });
}

/**
 * 429 as DRF's Throttled says it: `{"detail": "Request was throttled. Expected available in N seconds."}` with
 * `Retry-After: N` (N = the wait rounded up, at least 1).
 */
export class ThrottledException extends HttpException {
  readonly retryAfterSeconds: number;

  constructor(waitSeconds: number) {
    const wait = Math.max(1, Math.ceil(waitSeconds));
    super(
      { detail: `Request was throttled. Expected available in ${wait} second${wait === 1 ? '' : 's'}.` },
      429,
    );
    this.retryAfterSeconds = wait;
  }
}
