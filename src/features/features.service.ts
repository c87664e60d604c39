import { writeTransaction } from '../common/transaction';
import { BadRequestException, Injectable } from '@nestjs/common';
import { compileRegex } from '../../libs/engine/src';
import { InjectDataSource } from '@nestjs/typeorm';
import { FastifyRequest } from 'fastify';
import { DataSource, EntityManager, In, IsNull, QueryFailedError } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Principal } from '../auth/principal';
import { fieldError, forbidden, notFound } from '../common/errors';
import { Page, paginate } from '../common/pagination';
import { BodyReader, isPlainObject, MESSAGES, parseId, toInteger } from '../common/validation';
import { EnvironmentChangesService } from '../environments/environment-changes.service';
import { Environment } from '../environments/environment.entity';
import { UserGroup } from '../organisations/organisation.entity';
import { allows, PermissionsService } from '../permissions/permissions.service';
import { Project, Tag } from '../projects/project.entity';
import { User } from '../users/user.entity';
import {
  Feature,
  FeatureSegment,
  FeatureState,
  FeatureType,
  MultivariateFeatureOption,
} from './feature.entity';
import {
  EnvironmentContext,
  FeatureRelations,
  featureJson,
  GroupOwnerJson,
  OwnerJson,
  projectFeatureJson,
} from './feature.serializers';
import { FeatureStateValuesService } from './feature-state-values.service';
import { queryString } from './query-params';
import { FEATURE_VALUE_LIMIT } from './feature-values';
import { INVALID_ALLOCATION, MvOptionsService, OptionFields, readOptionFields } from './mv-options.service';

export const FEATURE_CREATED = (name: string) => `New Flag / Remote Config created: ${name}`;
export const FEATURE_UPDATED = (name: string) => `Flag / Remote Config updated: ${name}`;
export const FEATURE_DELETED = (name: string) => `Flag / Remote Config Deleted: ${name}`;
const NAME_TAKEN =
  'Feature with that name already exists for this project. Note that feature names are case insensitive.';
const MV_ADMIN_ONLY = 'User must be project admin to modify / create MV options.';

type FeatureJson = ReturnType<typeof featureJson>;

interface NestedOption {
  id?: number;
  fields: OptionFields;
}

function isUniqueViolation(err: unknown): boolean {
  return (
    err instanceof QueryFailedError && (err.driverError as { code?: string } | undefined)?.code === '23505'
  );
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Features of a project (docs/contracts/admin-api.md §6): list/filters, create with its side effects, update, soft delete, owners. */
@Injectable()
export class FeaturesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly permissions: PermissionsService,
    private readonly audit: AuditService,
    private readonly changes: EnvironmentChangesService,
    private readonly values: FeatureStateValuesService,
    private readonly mvOptions: MvOptionsService,
  ) {}

  /** A live feature of the project, else 404. */
  async feature(project: Project, idRaw: unknown, manager: EntityManager = this.dataSource.manager) {
    const id = parseId(idRaw);
    const feature = id ? await manager.getRepository(Feature).findOneBy({ id, projectId: project.id }) : null;
    if (!feature) throw notFound();
    return feature;
  }

  // ---- list

  async list(request: FastifyRequest, project: Project): Promise<Page<FeatureJson>> {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const errors: Record<string, string[]> = {};
    const qb = this.dataSource
      .getRepository(Feature)
      .createQueryBuilder('f')
      .where('f.project_id = :projectId', { projectId: project.id });

    const search = queryString(query, 'search');
    if (search) qb.andWhere(`f.name ILIKE :search ESCAPE '\\'`, { search: `%${escapeLike(search)}%` });

    const tags = queryString(query, 'tags');
    if (tags !== undefined) {
      const strategy = queryString(query, 'tag_strategy') ?? 'INTERSECTION';
      if (strategy !== 'INTERSECTION' && strategy !== 'UNION')
        errors.tag_strategy = [MESSAGES.choice(strategy)];
      if (tags.trim() === '') {
        qb.andWhere('NOT EXISTS (SELECT 1 FROM feature_tags ft WHERE ft.feature_id = f.id)');
      } else {
        const ids = tags.split(',').map((t) => toInteger(t.trim()));
        if (ids.some((id) => id === undefined || Math.abs(id) > 2147483647))
          errors.tags = ['Tag IDs must be integers.'];
        else if (strategy === 'UNION')
          qb.andWhere(
            'EXISTS (SELECT 1 FROM feature_tags ft WHERE ft.feature_id = f.id AND ft.tag_id = ANY(:tagIds))',
            {
              tagIds: ids,
            },
          );
        else
          qb.andWhere(
            `(SELECT COUNT(DISTINCT ft.tag_id) FROM feature_tags ft WHERE ft.feature_id = f.id AND ft.tag_id = ANY(:tagIds)) = :tagCount`,
            { tagIds: ids, tagCount: new Set(ids).size },
          );
      }
    }

    const archived = queryString(query, 'is_archived');
    if (archived !== undefined) {
      const v = new BodyReader({ is_archived: archived });
      const value = v.boolean('is_archived');
      if (value === undefined) errors.is_archived = [MESSAGES.boolean];
      else qb.andWhere('f.is_archived = :archived', { archived: value });
    }

    const type = queryString(query, 'type');
    if (type !== undefined && type !== '') {
      if (type !== 'STANDARD' && type !== 'MULTIVARIATE') errors.type = [MESSAGES.choice(type)];
      else qb.andWhere('f.type = :type', { type });
    }

    for (const [param, table, column] of [
      ['owners', 'feature_owners', 'user_id'],
      ['group_owners', 'feature_group_owners', 'group_id'],
    ] as const) {
      const raw = queryString(query, param);
      if (raw === undefined || raw === '') continue;
      const ids = raw.split(',').map((t) => toInteger(t.trim()));
      if (ids.some((id) => id === undefined || Math.abs(id) > 2147483647))
        errors[param] = [
          param === 'owners' ? 'Owner IDs must be integers.' : 'Group owner IDs must be integers.',
        ];
      else
        qb.andWhere(
          `EXISTS (SELECT 1 FROM ${table} o WHERE o.feature_id = f.id AND o.${column} = ANY(:${param}))`,
          {
            [param]: ids,
          },
        );
    }

    const sortField = queryString(query, 'sort_field') ?? 'created_date';
    if (sortField !== 'created_date' && sortField !== 'name')
      errors.sort_field = [MESSAGES.choice(sortField)];
    const sortDirection = (queryString(query, 'sort_direction') ?? 'ASC') as 'ASC' | 'DESC';
    if (sortDirection !== 'ASC' && sortDirection !== 'DESC')
      errors.sort_direction = [MESSAGES.choice(sortDirection)];

    let environment: Environment | null = null;
    const envRaw = queryString(query, 'environment');
    if (envRaw !== undefined && envRaw !== '') {
      const envId = toInteger(envRaw);
      if (envId === undefined || envId < 1 || envId > 2147483647) errors.environment = [MESSAGES.integer];
      else {
        environment = await this.dataSource
          .getRepository(Environment)
          .findOneBy({ id: envId, projectId: project.id });
        if (!environment) throw notFound();
      }
    }
    if (Object.keys(errors).length) throw new BadRequestException(errors);

    qb.orderBy(sortField === 'name' ? 'f.name' : 'f.created_date', sortDirection).addOrderBy(
      'f.id',
      sortDirection,
    );
    return paginate(request, qb, async (rows) => {
      const ids = rows.map((f) => f.id);
      const rel = await this.relations(this.dataSource.manager, ids);
      const env = environment ? await this.environmentContext(environment.id, ids) : undefined;
      return rows.map((f) => featureJson(f, rel, env));
    });
  }

  /** Tags, MV options, owners and group owners of many features: four queries whatever their number. */
  async relations(manager: EntityManager, featureIds: readonly number[]): Promise<FeatureRelations> {
    const rel: FeatureRelations = {
      tags: new Map(),
      options: new Map(),
      owners: new Map(),
      groupOwners: new Map(),
    };
    if (!featureIds.length) return rel;
    const ids = [...featureIds];
    const push = <T>(map: Map<number, T[]>, key: number, value: T) => {
      const list = map.get(key) ?? [];
      list.push(value);
      map.set(key, list);
    };
    // One after another: `manager` may be a transaction's single connection, which runs one query at a time.
    const tags = await manager.query<{ feature_id: number; tag_id: number }[]>(
      'SELECT feature_id, tag_id FROM feature_tags WHERE feature_id = ANY($1) ORDER BY tag_id',
      [ids],
    );
    const options = await manager
      .getRepository(MultivariateFeatureOption)
      .find({ where: { featureId: In(ids) }, order: { id: 'ASC' } });
    const owners = await manager.query<(OwnerJson & { feature_id: number; last_login: Date | null })[]>(
      `SELECT o.feature_id, u.id, u.email, u.first_name, u.last_name, u.last_login, u.uuid
         FROM feature_owners o JOIN users u ON u.id = o.user_id WHERE o.feature_id = ANY($1) ORDER BY u.id`,
      [ids],
    );
    const groups = await manager.query<(GroupOwnerJson & { feature_id: number })[]>(
      `SELECT o.feature_id, g.id, g.name FROM feature_group_owners o JOIN user_groups g ON g.id = o.group_id
        WHERE o.feature_id = ANY($1) ORDER BY g.id`,
      [ids],
    );
    for (const t of tags) push(rel.tags, t.feature_id, t.tag_id);
    for (const o of options) push(rel.options, o.featureId, o);
    for (const { feature_id, last_login, ...u } of owners)
      push(rel.owners, feature_id, {
        ...u,
        last_login: last_login ? new Date(last_login).toISOString() : null,
      });
    for (const { feature_id, ...g } of groups) push(rel.groupOwners, feature_id, g);
    return rel;
  }

  /** Environment default states and override counts of the given features (two queries). */
  private async environmentContext(environmentId: number, featureIds: number[]): Promise<EnvironmentContext> {
    const ctx: EnvironmentContext = {
      states: new Map(),
      segmentOverrides: new Map(),
      identityOverrides: new Map(),
    };
    if (!featureIds.length) return ctx;
    const [states, counts] = await Promise.all([
      this.dataSource.getRepository(FeatureState).find({
        where: { environmentId, featureId: In(featureIds), identityId: IsNull(), featureSegmentId: IsNull() },
      }),
      this.dataSource.query<{ feature_id: number; segments: string; identities: string }[]>(
        `SELECT feature_id,
                COUNT(*) FILTER (WHERE feature_segment_id IS NOT NULL) AS segments,
                COUNT(*) FILTER (WHERE identity_id IS NOT NULL) AS identities
           FROM feature_states WHERE environment_id = $1 AND feature_id = ANY($2) GROUP BY feature_id`,
        [environmentId, featureIds],
      ),
    ]);
    for (const s of states) ctx.states.set(s.featureId, s);
    for (const c of counts) {
      ctx.segmentOverrides.set(c.feature_id, Number(c.segments));
      ctx.identityOverrides.set(c.feature_id, Number(c.identities));
    }
    return ctx;
  }

  async json(feature: Feature): Promise<FeatureJson> {
    return featureJson(feature, await this.relations(this.dataSource.manager, [feature.id]));
  }

  // ---- create / update / delete

  private readNestedOptions(v: BodyReader): NestedOption[] | undefined {
    const raw = v.raw('multivariate_options');
    if (raw === undefined) return undefined;
    if (raw === null) {
      v.error('multivariate_options', MESSAGES.null);
      return undefined;
    }
    if (!Array.isArray(raw)) {
      v.error('multivariate_options', MESSAGES.list(raw));
      return undefined;
    }
    const out: NestedOption[] = [];
    const itemErrors: Record<string, string[]>[] = [];
    for (const item of raw) {
      const r = new BodyReader(item, { partial: true });
      const fields = readOptionFields(r, false);
      const id =
        isPlainObject(item) && item.id !== undefined && item.id !== null ? parseId(item.id) : undefined;
      if (isPlainObject(item) && item.id !== undefined && item.id !== null && id === undefined)
        r.error('id', MESSAGES.integer);
      itemErrors.push(r.errors);
      out.push({ id, fields });
    }
    if (itemErrors.some((e) => Object.keys(e).length)) {
      (v.errors as Record<string, unknown>).multivariate_options = itemErrors;
      return undefined;
    }
    return out;
  }

  private readInitialValue(v: BodyReader): string | null | undefined {
    const raw = v.raw('initial_value');
    if (raw === undefined) return undefined;
    if (raw === null || raw === '') return raw === '' ? '' : null;
    let text: string;
    if (typeof raw === 'string') text = raw;
    else if (typeof raw === 'boolean') text = raw ? 'True' : 'False';
    else if (typeof raw === 'number') text = String(raw);
    else text = JSON.stringify(raw);
    if (text.length > FEATURE_VALUE_LIMIT) {
      v.error('initial_value', MESSAGES.maxLength(FEATURE_VALUE_LIMIT));
      return undefined;
    }
    return text;
  }

  private checkName(v: BodyReader, project: Project, name: string | undefined) {
    if (name === undefined) return;
    if (project.featureNameRegex) {
      // RE2 (linear time): a project admin's pattern must not stall the server for every tenant.
      const matches = compileRegex(`^(?:${project.featureNameRegex})$`)?.(name) ?? false;
      if (!matches) v.error('name', `Feature name must match regex: ${project.featureNameRegex}`);
    }
    if (project.onlyAllowLowerCaseFeatureNames && name !== name.toLowerCase())
      v.error('name', 'Feature name must be lower case: this project only allows lower case feature names.');
  }

  private async checkNameFree(manager: EntityManager, project: Project, name: string, exceptId?: number) {
    const clash = await manager.query<unknown[]>(
      `SELECT 1 FROM features WHERE project_id = $1 AND lower(name) = lower($2) AND deleted_at IS NULL AND id <> $3`,
      [project.id, name, exceptId ?? 0],
    );
    if (clash.length) throw fieldError('name', NAME_TAKEN);
  }

  private async checkTags(manager: EntityManager, project: Project, tagIds: number[]): Promise<void> {
    if (!tagIds.length) return;
    const found = await manager
      .getRepository(Tag)
      .find({ where: { id: In(tagIds) }, select: { id: true, projectId: true } });
    const missing = tagIds.find((id) => !found.some((t) => t.id === id));
    if (missing !== undefined) throw fieldError('tags', `Invalid pk "${missing}" - object does not exist.`);
    if (found.some((t) => t.projectId !== project.id))
      throw fieldError('non_field_errors', 'Selected Tags must be from the same Project as current Feature');
  }

  /** Users who may see the project (VIEW_PROJECT); answers 400 `message` otherwise. */
  private async checkOwners(project: Project, userIds: number[], field: string | null, message?: string) {
    if (!userIds.length) return;
    const users = await this.dataSource.getRepository(User).findBy({ id: In(userIds) });
    const fail = (ids: number[]) =>
      field
        ? fieldError(
            field,
            message ?? `Users with ids [${ids.join(', ')}] do not have access to this project.`,
          )
        : new BadRequestException([message ?? 'Some users not found']);
    const missing = userIds.filter((id) => !users.some((u) => u.id === id));
    if (missing.length)
      throw field ? fieldError(field, `Invalid pk "${missing[0]}" - object does not exist.`) : fail(missing);
    const denied: number[] = [];
    for (const user of users) {
      const grant = await this.permissions.projectGrant({ kind: 'user', user, tokenKey: '' }, project);
      if (!grant || !allows(grant, 'VIEW_PROJECT')) denied.push(user.id);
    }
    if (denied.length) throw fail(denied);
  }

  private async checkGroups(project: Project, groupIds: number[], field: string | null) {
    if (!groupIds.length) return;
    const groups = await this.dataSource.getRepository(UserGroup).findBy({ id: In(groupIds) });
    const missing = groupIds.find((id) => !groups.some((g) => g.id === id));
    if (field && missing !== undefined)
      throw fieldError(field, `Invalid pk "${missing}" - object does not exist.`);
    const foreign = groups.filter((g) => g.organisationId !== project.organisationId).map((g) => g.id);
    if (!field && (missing !== undefined || foreign.length))
      throw new BadRequestException(['Some groups not found']);
    if (foreign.length)
      throw fieldError(
        field!,
        `Groups with ids [${foreign.join(', ')}] do not belong to this project's organisation.`,
      );
  }

  private async requireProjectAdmin(principal: Principal, project: Project) {
    const grant = await this.permissions.projectGrant(principal, project);
    if (!grant?.admin) throw forbidden(MV_ADMIN_ONLY);
  }

  async create(principal: Principal, project: Project, body: unknown): Promise<FeatureJson> {
    const v = new BodyReader(body);
    const name = v.string('name', { maxLength: 2000 });
    const requestedType = v.choice<FeatureType>('type', ['STANDARD', 'MULTIVARIATE'], { optional: true });
    const defaultEnabled = v.boolean('default_enabled', { optional: true }) ?? false;
    const initialValue = this.readInitialValue(v) ?? null;
    const description = v.string('description', {
      optional: true,
      nullable: true,
      allowBlank: true,
      trim: false,
    });
    const tagIds = v.integerList('tags', { optional: true }) ?? [];
    const isServerKeyOnly = v.boolean('is_server_key_only', { optional: true }) ?? false;
    const isArchived = v.boolean('is_archived', { optional: true }) ?? false;
    const ownerIds = v.integerList('owners', { optional: true }) ?? [];
    const groupIds = v.integerList('group_owners', { optional: true }) ?? [];
    const options = this.readNestedOptions(v) ?? [];
    this.checkName(v, project, name);
    if (options.reduce((sum, o) => sum + (o.fields.defaultPercentageAllocation ?? 100), 0) > 100 + 1e-9)
      v.error('multivariate_options', INVALID_ALLOCATION);
    v.assertValid();
    if (options.length) await this.requireProjectAdmin(principal, project);
    if (project.enforceFeatureOwners && !ownerIds.length && !groupIds.length)
      throw fieldError(
        'non_field_errors',
        'This project requires at least one owner or group owner when creating a feature.',
      );
    await this.checkOwners(project, ownerIds, 'owners');
    await this.checkGroups(project, groupIds, 'group_owners');

    const feature = await writeTransaction(this.dataSource, async (manager) => {
      await this.checkNameFree(manager, project, name!);
      await this.checkTags(manager, project, tagIds);
      const repo = manager.getRepository(Feature);
      const saved = await repo.save(
        repo.create({
          name: name!,
          projectId: project.id,
          type: options.length ? 'MULTIVARIATE' : (requestedType ?? 'STANDARD'),
          defaultEnabled,
          initialValue,
          description: description ?? null,
          isServerKeyOnly,
          isArchived,
        }),
      );
      const relation = manager.createQueryBuilder().relation(Feature, 'tags').of(saved.id);
      if (tagIds.length) await relation.add([...new Set(tagIds)]);
      const owners = ownerIds.length ? ownerIds : principal.kind === 'user' ? [principal.user.id] : [];
      if (owners.length)
        await manager
          .createQueryBuilder()
          .relation(Feature, 'owners')
          .of(saved.id)
          .add([...new Set(owners)]);
      if (groupIds.length)
        await manager
          .createQueryBuilder()
          .relation(Feature, 'groupOwners')
          .of(saved.id)
          .add([...new Set(groupIds)]);
      const created: MultivariateFeatureOption[] = [];
      for (const o of options) created.push(await this.mvOptions.insert(manager, saved, o.fields));
      await this.values.createDefaultStates(manager, project, saved, created);
      await this.changes.projectChanged(manager, project.id);
      const json = featureJson(saved, await this.relations(manager, [saved.id]));
      await this.audit.record(manager, {
        log: FEATURE_CREATED(saved.name),
        principal,
        organisationId: project.organisationId,
        projectId: project.id,
        relatedObjectType: 'FEATURE',
        relatedObjectId: saved.id,
        relatedObjectUuid: saved.uuid,
        after: json,
      });
      return json;
    }).catch((err: unknown) => {
      if (isUniqueViolation(err)) throw fieldError('name', NAME_TAKEN);
      throw err;
    });
    return feature;
  }

  /** PUT and PATCH alike (Flagsmith: name, default_enabled, initial_value, owners are read-only here). */
  async update(
    principal: Principal,
    project: Project,
    feature: Feature,
    body: unknown,
  ): Promise<FeatureJson> {
    const v = new BodyReader(body, { partial: true });
    const type = v.choice<FeatureType>('type', ['STANDARD', 'MULTIVARIATE'], { optional: true });
    const description = v.string('description', {
      optional: true,
      nullable: true,
      allowBlank: true,
      trim: false,
    });
    const tagIds = v.integerList('tags', { optional: true });
    const isServerKeyOnly = v.boolean('is_server_key_only', { optional: true });
    const isArchived = v.boolean('is_archived', { optional: true });
    const options = this.readNestedOptions(v);
    if (
      options &&
      options.reduce((sum, o) => sum + (o.fields.defaultPercentageAllocation ?? 100), 0) > 100 + 1e-9
    )
      v.error('multivariate_options', INVALID_ALLOCATION);
    v.assertValid();

    return writeTransaction(this.dataSource, async (manager) => {
      // The row as it is now, locked: `before` and the option sync see the current state, not the request's copy.
      const current = await manager
        .getRepository(Feature)
        .findOne({ where: { id: feature.id }, lock: { mode: 'for_no_key_update' } });
      if (!current) throw notFound();
      feature = current;
      const before = featureJson(feature, await this.relations(manager, [feature.id]));
      if (tagIds) await this.checkTags(manager, project, tagIds);
      // Only the columns this request names: a concurrent PATCH of another field is kept (no lost update).
      const columns: Partial<Pick<Feature, 'type' | 'description' | 'isServerKeyOnly' | 'isArchived'>> = {};
      if (type !== undefined) columns.type = type;
      if (description !== undefined) columns.description = description;
      if (isServerKeyOnly !== undefined) columns.isServerKeyOnly = isServerKeyOnly;
      if (isArchived !== undefined) columns.isArchived = isArchived;
      if (Object.keys(columns).length)
        await manager.getRepository(Feature).update({ id: feature.id }, columns);
      if (tagIds) {
        await manager.query('DELETE FROM feature_tags WHERE feature_id = $1', [feature.id]);
        if (tagIds.length)
          await manager
            .createQueryBuilder()
            .relation(Feature, 'tags')
            .of(feature.id)
            .add([...new Set(tagIds)]);
      }
      if (options) await this.syncOptions(manager, principal, project, feature, options);
      await this.changes.projectChanged(manager, project.id);
      const saved = await manager.getRepository(Feature).findOneByOrFail({ id: feature.id });
      const json = featureJson(saved, await this.relations(manager, [saved.id]));
      await this.audit.record(manager, {
        log: FEATURE_UPDATED(saved.name),
        principal,
        organisationId: project.organisationId,
        projectId: project.id,
        relatedObjectType: 'FEATURE',
        relatedObjectId: saved.id,
        relatedObjectUuid: saved.uuid,
        before,
        after: json,
      });
      return json;
    });
  }

  /**
   * A feature update's `multivariate_options` is the complete list: items with an id update that option, items
   * without one are created, options not listed are deleted. Changing anything needs project admin (Flagsmith).
   */
  private async syncOptions(
    manager: EntityManager,
    principal: Principal,
    project: Project,
    feature: Feature,
    items: NestedOption[],
  ) {
    const existing = await manager
      .getRepository(MultivariateFeatureOption)
      .find({ where: { featureId: feature.id }, order: { id: 'ASC' } });
    const byId = new Map(existing.map((o) => [o.id, o]));
    const unknownId = items.find((i) => i.id !== undefined && !byId.has(i.id));
    if (unknownId)
      throw new BadRequestException({
        multivariate_options: items.map((i) =>
          i === unknownId ? { id: [`Invalid pk "${i.id}" - object does not exist.`] } : {},
        ),
      });
    const keep = new Set(items.map((i) => i.id).filter((id): id is number => id !== undefined));
    const removed = existing.filter((o) => !keep.has(o.id)).map((o) => o.id);
    const changed = items.filter((i) => {
      if (i.id === undefined) return true;
      const o = byId.get(i.id)!;
      const f = i.fields;
      return (
        (f.type !== undefined && f.type !== o.type) ||
        (f.stringValue !== undefined && f.stringValue !== o.stringValue) ||
        (f.integerValue !== undefined && f.integerValue !== o.integerValue) ||
        (f.booleanValue !== undefined && f.booleanValue !== o.booleanValue) ||
        (f.defaultPercentageAllocation !== undefined &&
          f.defaultPercentageAllocation !== o.defaultPercentageAllocation)
      );
    });
    if (!removed.length && !changed.length) return;
    await this.requireProjectAdmin(principal, project);
    await this.mvOptions.delete(manager, feature, removed);
    for (const item of changed) {
      if (item.id === undefined) await this.mvOptions.insert(manager, feature, item.fields);
      else await this.mvOptions.modify(manager, feature, byId.get(item.id)!, item.fields);
    }
  }

  /** Soft delete: the feature is marked deleted; its states (all kinds) and feature segments are removed. */
  async remove(principal: Principal, project: Project, feature: Feature): Promise<void> {
    await writeTransaction(this.dataSource, async (manager) => {
      const before = featureJson(feature, await this.relations(manager, [feature.id]));
      await manager.getRepository(FeatureState).delete({ featureId: feature.id });
      await manager.getRepository(FeatureSegment).delete({ featureId: feature.id });
      await manager.getRepository(Feature).softDelete({ id: feature.id });
      await this.changes.projectChanged(manager, project.id);
      await this.audit.record(manager, {
        log: FEATURE_DELETED(feature.name),
        principal,
        organisationId: project.organisationId,
        projectId: project.id,
        relatedObjectType: 'FEATURE',
        relatedObjectId: feature.id,
        relatedObjectUuid: feature.uuid,
        before,
      });
    });
  }

  // ---- owners

  async changeOwners(
    principal: Principal,
    project: Project,
    feature: Feature,
    body: unknown,
    kind: 'users' | 'groups',
    action: 'add' | 'remove',
  ) {
    const field = kind === 'users' ? 'user_ids' : 'group_ids';
    const v = new BodyReader(body);
    const ids = v.integerList(field);
    v.assertValid();
    const unique = [...new Set(ids)];
    if (kind === 'users') {
      const count = unique.length ? await this.dataSource.getRepository(User).countBy({ id: In(unique) }) : 0;
      if (count !== unique.length) throw fieldError('non_field_errors', 'Some users not found');
      if (action === 'add') await this.checkOwners(project, unique, null);
    } else if (action === 'add') {
      await this.checkGroups(project, unique, null);
    }
    const relationName = kind === 'users' ? 'owners' : 'groupOwners';
    return writeTransaction(this.dataSource, async (manager) => {
      const rel = await this.relations(manager, [feature.id]);
      const current = new Set(
        kind === 'users'
          ? (rel.owners.get(feature.id) ?? []).map((o) => o.id)
          : (rel.groupOwners.get(feature.id) ?? []).map((g) => g.id),
      );
      if (action === 'remove' && project.enforceFeatureOwners) {
        const remaining =
          (rel.owners.get(feature.id)?.length ?? 0) +
          (rel.groupOwners.get(feature.id)?.length ?? 0) -
          unique.filter((id) => current.has(id)).length;
        if (remaining < 1)
          throw badRequestDetailList('This project requires at least one owner or group owner per feature.');
      }
      const relation = manager.createQueryBuilder().relation(Feature, relationName).of(feature.id);
      if (action === 'add') {
        const toAdd = unique.filter((id) => !current.has(id));
        if (toAdd.length) await relation.add(toAdd);
      } else {
        const toRemove = unique.filter((id) => current.has(id));
        if (toRemove.length) await relation.remove(toRemove);
      }
      const after = await this.relations(manager, [feature.id]);
      await this.audit.record(manager, {
        log: FEATURE_UPDATED(feature.name),
        principal,
        organisationId: project.organisationId,
        projectId: project.id,
        relatedObjectType: 'FEATURE',
        relatedObjectId: feature.id,
        relatedObjectUuid: feature.uuid,
        before: {
          owners: rel.owners.get(feature.id) ?? [],
          group_owners: rel.groupOwners.get(feature.id) ?? [],
        },
        after: {
          owners: after.owners.get(feature.id) ?? [],
          group_owners: after.groupOwners.get(feature.id) ?? [],
        },
      });
      return projectFeatureJson(feature, after);
    });
  }
}

function badRequestDetailList(message: string): BadRequestException {
  return new BadRequestException([message]);
}
