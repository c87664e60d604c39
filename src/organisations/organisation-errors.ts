import {
  BadRequestException,
  CallHandler,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  NestInterceptor,
  NotFoundException,
} from '@nestjs/common';
import { catchError, Observable, throwError } from 'rxjs';
import { parseId } from '../common/validation';

/**
 * The organisations domain's own failures, free of HTTP. Deliberately tiny and local to src/organisations: the
 * project-wide domain errors are being built in src/common, and these are to be folded into them.
 * The body is the Flagsmith/DRF error body the client gets: `{"detail": …}` or `{"field": ["msg", …]}`.
 */
export type OrgErrorBody = { detail: string } | Record<string, string[]>;

export abstract class OrgDomainError extends Error {
  protected constructor(readonly body: OrgErrorBody) {
    super('detail' in body && typeof body.detail === 'string' ? body.detail : JSON.stringify(body));
    this.name = new.target.name;
  }
}

/** The object does not exist, or not for this caller (objects of other organisations are never "forbidden"). */
export class OrgNotFoundError extends OrgDomainError {
  constructor(detail = 'Not found.') {
    super({ detail });
  }
}

export class OrgForbiddenError extends OrgDomainError {
  constructor(detail = 'You do not have permission to perform this action.') {
    super({ detail });
  }
}

/** The input breaks a rule of the domain: `{"field": ["msg"]}` via `field()`, or `{"detail": …}`. */
export class OrgInvalidError extends OrgDomainError {
  constructor(body: OrgErrorBody) {
    super(body);
  }
  static field(field: string, ...messages: string[]): OrgInvalidError {
    return new OrgInvalidError({ [field]: messages });
  }
}

/** The input clashes with what is stored (an invite that exists, a user already a member); Flagsmith says 400. */
export class OrgConflictError extends OrgDomainError {
  constructor(body: OrgErrorBody) {
    super(body);
  }
  static field(field: string, ...messages: string[]): OrgConflictError {
    return new OrgConflictError({ [field]: messages });
  }
}

/** The HTTP answer of a domain error; anything else is returned unchanged. */
export function orgErrorToHttp(err: unknown): unknown {
  if (err instanceof OrgNotFoundError) return new NotFoundException(err.body);
  if (err instanceof OrgForbiddenError) return new ForbiddenException(err.body);
  if (err instanceof OrgInvalidError || err instanceof OrgConflictError)
    return new BadRequestException(err.body);
  return err;
}

/** For callers outside this folder that still speak HTTP exceptions (registration, OAuth, the admin panel). */
export async function withOrgErrorsAsHttp<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw orgErrorToHttp(err);
  }
}

/** Put on the organisations controllers: domain errors leave as their HTTP answer. */
@Injectable()
export class OrgErrorsInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(catchError((err: unknown) => throwError(() => orgErrorToHttp(err))));
  }
}

/** A path parameter naming a row by id: one that is no valid id names nothing (NotFound), as in Flagsmith. */
export function pathId(raw: unknown): number {
  const id = parseId(raw);
  if (id === undefined) throw new OrgNotFoundError();
  return id;
}

/** Typed view of an injected class: its public members only, so in-memory fakes fit without casts. */
export type PublicOf<T> = { [K in keyof T]: T[K] };
