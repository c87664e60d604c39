import { HttpException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityTarget, ObjectLiteral, QueryFailedError } from 'typeorm';
import { Principal } from '../auth/principal';
import { DomainError } from '../common/domain-errors';

/** Field errors by property path (camelCase, as the panel names them) plus an optional message for the form. */
export class AdminWriteError extends Error {
  constructor(
    readonly fieldErrors: Record<string, string>,
    message = 'The record was not saved: correct the marked fields.',
  ) {
    super(message);
    this.name = 'AdminWriteError';
  }
}

export type Values = Record<string, unknown>;

/**
 * How the panel writes one entity: through the API's own domain service (`service`), which owns the whole write —
 * validation (the API's schema via readInput, so the same rules and messages), permission and ownership rules, the
 * unit of work's transaction, change events and audit record. The panel only translates its form values into
 * the service's input and the service's errors back into form errors.
 */
export interface WritePolicy<E extends ObjectLiteral> {
  readonly entity: EntityTarget<E>;
  /** Human name for messages, e.g. "Feature". */
  readonly label: string;
  readonly service: ServiceWrites<E>;
  /**
   * Service error paths (dotted, list indexes left out, e.g. `feature_state_value.type`) → panel property, where
   * the default (the last segment in camelCase, `…Id` for parent links) does not fit.
   */
  readonly fields?: Readonly<Record<string, string>>;
}

/** Writes delegated to the API services. `values` are the panel's camelCase values. */
export interface ServiceWrites<E> {
  create(principal: Principal, values: Values): Promise<E>;
  update(principal: Principal, row: E, values: Values): Promise<E>;
  remove(principal: Principal, row: E): Promise<void>;
}

/** `initialValue` → `initial_value`; entries left undefined (not sent / blank number) are dropped. */
export function snakeBody(
  values: Values,
  rename: Readonly<Record<string, string>> = {},
): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    body[rename[key] ?? key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value;
  }
  return body;
}

/** Parent links of existing rows stay put, as in the API (their URLs name the parent). */
export function unchanged<E extends object>(
  values: Values,
  row: E,
  message: string,
  ...keys: (keyof E & string)[]
): void {
  const errors: Record<string, string> = {};
  for (const key of keys) {
    if (!(key in values)) continue;
    const a = values[key] ?? null;
    const b = (row[key] as unknown) ?? null;
    // A blank text box is "no value" for a nullable text column.
    if (!((a === '' && b === null) || (a === null && b === '') || a === b)) errors[key] = message;
  }
  if (Object.keys(errors).length) throw new AdminWriteError(errors);
}

export const FIXED_PARENT = 'Cannot be changed; create a new record instead.';

/** A positive integer id among the values, else undefined. */
export function idOf(values: Values, key: string): number | undefined {
  const id = values[key];
  return typeof id === 'number' && Number.isInteger(id) && id > 0 ? id : undefined;
}

/**
 * The admin panel's write path: every create, update and delete made in /admin is handed to its policy's domain
 * service (the API's), with the signed-in superuser as principal, so it is validated, audited and announced exactly
 * like the API's write. This class opens no transaction and records nothing itself: it loads the row the panel
 * names and turns the service's errors into form errors.
 */
@Injectable()
export class AdminWriter {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  create<E extends ObjectLiteral>(policy: WritePolicy<E>, principal: Principal, values: Values): Promise<E> {
    return translateErrors(() => policy.service.create(principal, values), policy.fields);
  }

  async update<E extends ObjectLiteral>(
    policy: WritePolicy<E>,
    principal: Principal,
    id: number,
    values: Values,
  ): Promise<E> {
    const row = await this.load(policy, id);
    return translateErrors(() => policy.service.update(principal, row, values), policy.fields);
  }

  async remove<E extends ObjectLiteral>(
    policy: WritePolicy<E>,
    principal: Principal,
    id: number,
  ): Promise<void> {
    const row = await this.load(policy, id);
    return translateErrors(() => policy.service.remove(principal, row), policy.fields);
  }

  /** The row as stored now (the service locks what it validates against). */
  private async load<E extends ObjectLiteral>(policy: WritePolicy<E>, id: number): Promise<E> {
    const row = await this.dataSource
      .getRepository(policy.entity)
      .createQueryBuilder('row')
      .where('row.id = :id', { id })
      .getOne();
    if (!row) throw new AdminWriteError({}, `${policy.label} ${id} does not exist (any more).`);
    return row;
  }
}

/** The writes of a resource the panel only shows. */
export function readOnlyWrites<E>(label: string): ServiceWrites<E> {
  const refuse = () => Promise.reject(new AdminWriteError({}, `${label} records are read-only.`));
  return { create: refuse, update: refuse, remove: refuse };
}

const snakeToCamel = (s: string) => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/**
 * Runs a service call and turns its DRF-style 400 body (`{"field": ["msg"]}`, nested objects and per-item lists
 * included) into form errors: each message under its panel property, and all of them in the form's message, so
 * one the form has no input for is still shown.
 */
async function translateErrors<T>(
  work: () => Promise<T>,
  fields: Readonly<Record<string, string>> = {},
): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof HttpException || err instanceof DomainError) {
      const body = err instanceof DomainError ? err.body() : err.getResponse();
      const fieldErrors: Record<string, string> = {};
      const general: string[] = [];
      const named: string[] = [];
      for (const { path, message } of errorMessages(typeof body === 'string' ? [body] : body)) {
        const names = path.filter((p): p is string => typeof p === 'string');
        const leaf = names[names.length - 1];
        if (leaf === undefined || leaf === 'detail' || leaf === 'non_field_errors') {
          general.push(message);
          continue;
        }
        const property = fields[names.join('.')] ?? serviceFieldToPath(leaf);
        fieldErrors[property] = fieldErrors[property] ? `${fieldErrors[property]} ${message}` : message;
        named.push(`${path.join('.')}: ${message}`);
      }
      const text = [...general, ...named].join(' ');
      throw new AdminWriteError(fieldErrors, text || err.message);
    }
    throw databaseError(err);
  }
}

/** Every message of a DRF error body with its path (`['feature_state_value', 'integer_value']`). */
function errorMessages(
  body: unknown,
  path: (string | number)[] = [],
): { path: (string | number)[]; message: string }[] {
  if (typeof body === 'string') return [{ path, message: body }];
  if (Array.isArray(body)) {
    if (body.every((item) => typeof item === 'string'))
      return body.length ? [{ path, message: body.join(' ') }] : [];
    return body.flatMap((item, index) => errorMessages(item, [...path, index]));
  }
  if (typeof body === 'object' && body !== null)
    return Object.entries(body).flatMap(([key, value]) =>
      // Nest's own error envelope ({statusCode, message, error}) carries its text in `message`.
      key === 'statusCode' || key === 'error'
        ? []
        : errorMessages(value, key === 'message' ? path : [...path, key]),
    );
  return body === undefined || body === null ? [] : [{ path, message: JSON.stringify(body) }];
}

/** `organisation` → `organisationId`, `hide_disabled_flags` → `hideDisabledFlags`. */
export function serviceFieldToPath(field: string): string {
  return [
    'organisation',
    'project',
    'environment',
    'feature',
    'segment',
    'identity',
    'feature_segment',
    'feature_state',
    'multivariate_feature_option',
  ].includes(field)
    ? `${snakeToCamel(field)}Id`
    : snakeToCamel(field);
}

/** Constraint violations become form errors instead of 500s. */
function databaseError(err: unknown): unknown {
  if (!(err instanceof QueryFailedError)) return err;
  const driver = err.driverError as { code?: string; detail?: string; column?: string };
  const messages: Record<string, string> = {
    '23505': 'Another record already has this value.',
    '23503': 'This refers to a record that does not exist, or other records still refer to this one.',
    '23502': 'A required value is missing.',
    '23514': 'The values are inconsistent with each other.',
    '22001': 'A value is too long.',
    '22P02': 'A value has the wrong format.',
    '22003': 'A number is out of range.',
  };
  const message = (driver.code && messages[driver.code]) ?? 'The database refused the change.';
  const column = driver.column ?? /^Key \(([a-z_]+)\)/.exec(driver.detail ?? '')?.[1];
  return new AdminWriteError(
    column ? { [snakeToCamel(column)]: message } : {},
    `${message}${driver.detail ? ` (${driver.detail})` : ''}`,
  );
}
