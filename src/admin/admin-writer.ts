import { HttpException, Injectable } from '@nestjs/common';
import { DomainError } from '../common/domain-errors';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, EntityTarget, ObjectLiteral, QueryFailedError } from 'typeorm';
import { AuditRelatedObjectType } from '../audit/audit-log.entity';
import { AuditService } from '../audit/audit.service';
import { Principal } from '../auth/principal';
import { EnvironmentChangesService } from '../environments/environment-changes.service';

/** Where a row lives, for audit records and cache invalidation. */
export interface Scope {
  organisationId: number | null;
  projectId: number | null;
  environmentId: number | null;
}

export const NO_SCOPE: Scope = { organisationId: null, projectId: null, environmentId: null };

/**
 * What a change to a row can alter in flag evaluation, i.e. which SDK caches EnvironmentChangesService must drop:
 * `environment` = the row's environment, `project` = every environment of its project, `organisation` = of its
 * organisation, `keys` = the environment's server keys changed (notify only), `none` = nothing evaluated.
 */
export type Impact = 'environment' | 'project' | 'organisation' | 'keys' | 'none';

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
 * How the panel writes one entity. Either `service` (the API's own service does the whole write: validation,
 * audit, cache invalidation) or the generic path below, which runs in ONE transaction:
 * validate → save/remove → `afterInsert` → EnvironmentChangesService per `impact` → audit record.
 */
export interface WritePolicy<E extends ObjectLiteral> {
  readonly entity: EntityTarget<E>;
  /** Human name for audit lines, e.g. "Feature". */
  readonly label: string;
  readonly auditType?: AuditRelatedObjectType;
  readonly impact: Impact;
  /** The row's name in audit lines. */
  describe(row: E): string;
  scope(manager: EntityManager, row: E): Promise<Scope>;
  /** Returns field errors (empty/undefined = fine); may normalise `values` in place. */
  validate?(
    manager: EntityManager,
    values: Values,
    existing: E | null,
  ): Promise<Record<string, string> | void>;
  /** Extra rows a new record needs (e.g. a feature's default states). */
  afterInsert?(manager: EntityManager, row: E): Promise<void>;
  /** Custom removal (e.g. soft delete); default: DELETE the row. */
  remove?(manager: EntityManager, row: E): Promise<void>;
  /** Audit wording overrides (Flagsmith's lines where they exist). */
  auditLog?(verb: 'created' | 'updated' | 'deleted', row: E): string;
  service?: ServiceWrites<E>;
  /**
   * Service error paths (dotted, list indexes left out, e.g. `feature_state_value.type`) → panel property, where
   * the default (the last segment in camelCase, `…Id` for parent links) does not fit.
   */
  fields?: Readonly<Record<string, string>>;
}

/** Writes delegated to the API services. `values` are the panel's camelCase values. */
export interface ServiceWrites<E> {
  create(principal: Principal, values: Values): Promise<E>;
  update(principal: Principal, row: E, values: Values): Promise<E>;
  remove(principal: Principal, row: E): Promise<void>;
}

/**
 * THE write path of the admin panel: every create, update and delete made in /admin goes through here, so each is
 * validated, audited (author = the signed-in superuser) and reported to EnvironmentChangesService inside its
 * transaction, exactly like the API's own writes (SDK caches are dropped on commit).
 */
@Injectable()
export class AdminWriter {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly changes: EnvironmentChangesService,
  ) {}

  async create<E extends ObjectLiteral>(
    policy: WritePolicy<E>,
    principal: Principal,
    values: Values,
  ): Promise<E> {
    if (policy.service)
      return translateErrors(() => policy.service!.create(principal, values), policy.fields);
    return this.write(async (manager) => {
      const errors = await policy.validate?.(manager, values, null);
      if (errors && Object.keys(errors).length) throw new AdminWriteError(errors);
      const repo = manager.getRepository(policy.entity);
      const saved = await repo.save(repo.create(values as E));
      await policy.afterInsert?.(manager, saved);
      const scope = await policy.scope(manager, saved);
      await this.impact(manager, policy.impact, scope);
      await this.record(manager, policy, principal, 'created', saved, scope, null);
      return saved;
    });
  }

  async update<E extends ObjectLiteral>(
    policy: WritePolicy<E>,
    principal: Principal,
    id: number,
    values: Values,
  ): Promise<E> {
    if (policy.service) {
      const row = await this.load(this.dataSource.manager, policy, id);
      return translateErrors(() => policy.service!.update(principal, row, values), policy.fields);
    }
    return this.write(async (manager) => {
      const existing = await this.load(manager, policy, id, true);
      const errors = await policy.validate?.(manager, values, existing);
      if (errors && Object.keys(errors).length) throw new AdminWriteError(errors);
      const before = snapshot(existing);
      const scopeBefore = await policy.scope(manager, existing);
      const repo = manager.getRepository(policy.entity);
      const saved = await repo.save(repo.merge(repo.create(existing), values as E));
      const scope = await policy.scope(manager, saved);
      await this.impact(manager, policy.impact, scope);
      if (scopeBefore.environmentId !== scope.environmentId || scopeBefore.projectId !== scope.projectId)
        await this.impact(manager, policy.impact, scopeBefore);
      await this.record(manager, policy, principal, 'updated', saved, scope, before);
      return saved;
    });
  }

  async remove<E extends ObjectLiteral>(
    policy: WritePolicy<E>,
    principal: Principal,
    id: number,
  ): Promise<void> {
    if (policy.service) {
      const row = await this.load(this.dataSource.manager, policy, id);
      return translateErrors(() => policy.service!.remove(principal, row), policy.fields);
    }
    await this.write(async (manager) => {
      const existing = await this.load(manager, policy, id, true);
      const scope = await policy.scope(manager, existing);
      const before = snapshot(existing);
      if (policy.remove) await policy.remove(manager, existing);
      else await manager.getRepository(policy.entity).delete(id);
      await this.impact(manager, policy.impact, scope);
      await this.record(manager, policy, principal, 'deleted', existing, scope, before);
    });
  }

  private async load<E extends ObjectLiteral>(
    manager: EntityManager,
    policy: WritePolicy<E>,
    id: number,
    lock = false,
  ): Promise<E> {
    const repo = manager.getRepository(policy.entity);
    const qb = repo.createQueryBuilder('row').where('row.id = :id', { id });
    if (lock) qb.setLock('for_no_key_update');
    const row = await qb.getOne();
    if (!row) throw new AdminWriteError({}, `${policy.label} ${id} does not exist (any more).`);
    return row;
  }

  private async write<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.dataSource.transaction(work);
    } catch (err) {
      throw databaseError(err);
    }
  }

  private async impact(manager: EntityManager, impact: Impact, scope: Scope): Promise<void> {
    switch (impact) {
      case 'environment':
        if (scope.environmentId !== null)
          await this.changes.environmentsChanged(manager, [scope.environmentId]);
        return;
      case 'keys':
        if (scope.environmentId !== null) await this.changes.keysChanged(manager, [scope.environmentId]);
        return;
      case 'project':
        if (scope.projectId !== null) await this.changes.projectChanged(manager, scope.projectId);
        return;
      case 'organisation':
        if (scope.organisationId !== null)
          await this.changes.organisationChanged(manager, scope.organisationId);
        return;
      case 'none':
        return;
    }
  }

  private async record<E extends ObjectLiteral>(
    manager: EntityManager,
    policy: WritePolicy<E>,
    principal: Principal,
    verb: 'created' | 'updated' | 'deleted',
    row: E,
    scope: Scope,
    before: unknown,
  ): Promise<void> {
    const id: unknown = row.id;
    const uuid: unknown = row.uuid;
    await this.audit.record(manager, {
      log: policy.auditLog?.(verb, row) ?? `${policy.label} ${verb} (admin panel): ${policy.describe(row)}`,
      principal,
      ...scope,
      relatedObjectType: policy.auditType,
      relatedObjectId: typeof id === 'number' ? id : null,
      relatedObjectUuid: typeof uuid === 'string' ? uuid : null,
      before,
      after: verb === 'deleted' ? null : snapshot(row),
    });
  }
}

/** A JSON-safe copy of a row's own columns (relations left out) for the audit record. */
export function snapshot(row: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Array.isArray(value))
      continue;
    if (key === 'password' || key === 'key' || key === 'hashedKey') continue;
    out[key] = value instanceof Date ? value.toISOString() : value;
  }
  return out;
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
