import {
  BadRequestException,
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
