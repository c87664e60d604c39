import { Injectable } from '@nestjs/common';
import { QueryFailedError, type EntityManager } from 'typeorm';
import { compileRegex } from '../../libs/engine/src';
import type { Principal } from '../auth/principal';
import {
  type FieldErrors,
  NotFound,
  PermissionDenied,
  ValidationFailed,
  ValidationMessages,
} from '../common/domain-errors';
import { parseUuid } from '../common/drf-values';
import type { PageRequest } from '../common/pagination';
import { UnitOfWork } from '../common/unit-of-work';
import { allows, PermissionsService } from '../permissions/permissions.service';
import { EntityMetadata } from '../entity-metadata/entity-metadata';
import type { Project } from '../projects/project.entity';
import { Feature, MultivariateFeatureOption } from './feature.entity';
import {
  type CreateFeatureInput,
  type FeatureJson,
  type FeatureListQueryInput,
  featureValueText,
  idList,
  type NestedOptionInput,
  type ProjectFeatureJson,
  type UpdateFeatureInput,
} from './feature.schemas';
import { featureJson, type FeatureRelations, projectFeatureJson } from './feature.serializers';
import { FeatureStateValuesService } from './feature-state-values.service';
import { FeatureStateWebhookEvents } from './feature-state-webhook';
import { FeatureColumns, FeatureFilter, FeaturesRepository, OwnerRelation } from './features.repository';
import { MvOptionsService, optionColumns } from './mv-options.service';

export const FEATURE_CREATED = (name: string) => `New Flag / Remote Config created: ${name}`;
export const FEATURE_UPDATED = (name: string) => `Flag / Remote Config updated: ${name}`;
export const FEATURE_DELETED = (name: string) => `Flag / Remote Config Deleted: ${name}`;
const NAME_TAKEN =
  'Feature with that name already exists for this project. Note that feature names are case insensitive.';
const MV_ADMIN_ONLY = 'User must be project admin to modify / create MV options.';

/** An item of a feature's `multivariate_options` (a null item reads as an empty one, as before). */
interface NestedOption {
  id?: number;
  fields: NestedOptionInput;
}

function nestedOptions(items: readonly (NestedOptionInput | null)[]): NestedOption[] {
  return items.map((item) => {
    const { id, ...fields } = item ?? {};
    return { id: id ?? undefined, fields };
  });
}

function isUniqueViolation(err: unknown): boolean {
  return (
    err instanceof QueryFailedError && (err.driverError as { code?: string } | undefined)?.code === '23505'
  );
}

/** The list query → the repository's filter (the schema has checked every value). */
export function featureFilter(query: FeatureListQueryInput): FeatureFilter {
  const filter: FeatureFilter = {
    sortField: query.sort_field ?? 'created_date',
    sortDirection: query.sort_direction ?? 'ASC',
  };
  if (query.search) filter.search = query.search;
  if (query.tags !== undefined)
    filter.tags = {
      ids: query.tags.trim() === '' ? [] : idList(query.tags)!,
      strategy: query.tag_strategy ?? 'INTERSECTION',
    };
  if (query.is_archived !== undefined) filter.isArchived = query.is_archived;
  if (query.type) filter.type = query.type;
  if (query.owners) filter.owners = idList(query.owners);
  if (query.group_owners) filter.groupOwners = idList(query.group_owners);
  // Flagsmith filters by stage only in an environment's context.
  if (query.lifecycle_stage && query.environment !== undefined)
    filter.permanent = { new: false, permanent: true }[query.lifecycle_stage as string] ?? null;
  return filter;
}

/**
 * Features of a project (docs/contracts/admin-api.md §6): list/filters, create with its side effects, update, soft
 * delete, owners. SQL in FeaturesRepository; writes through the unit of work (the admin panel calls these too).
 */
@Injectable()
export class FeaturesService {
  constructor(
    private readonly features: FeaturesRepository,
    private readonly uow: UnitOfWork,
    private readonly permissions: PermissionsService,
    private readonly values: FeatureStateValuesService,
    private readonly mvOptions: MvOptionsService,
    private readonly metadata: EntityMetadata,
    private readonly webhooks: FeatureStateWebhookEvents,
  ) {}

  /** A live feature of the project, else NotFound. */
  async feature(project: Project, id: number): Promise<Feature> {
    const feature = await this.features.find(project.id, id);
    if (!feature) throw new NotFound();
    return feature;
  }

  /** A live feature by uuid (as Django's <uuid:> path converter reads it), of any project: the caller checks it. */
  async featureByUuid(raw: string): Promise<Feature> {
    const uuid = parseUuid(raw, 'converter');
    const feature = uuid ? await this.features.findAnywhere({ uuid }) : null;
    if (!feature) throw new NotFound();
    return feature;
  }

  /** One page of the list: a fixed number of queries (count, page, four relations, two with ?environment). */
  async page(
    project: Project,
    query: FeatureListQueryInput,
    page: PageRequest,
  ): Promise<{ count: number; rows: FeatureJson[] }> {
    const environment =
      query.environment !== undefined ? await this.features.environment(project.id, query.environment) : null;
    if (query.environment !== undefined && !environment) throw new NotFound();
    const { count, rows } = await this.features.page(project.id, featureFilter(query), page);
    const ids = rows.map((f) => f.id);
    const rel = await this.relations(ids);
    if (!environment) return { count, rows: rows.map((f) => featureJson(f, rel)) };
    const env = await this.features.environmentContext(environment.id, ids);
    // Flagsmith's lifecycle stage with no code references and no stale tags: permanent, or new.
    const permanent = await this.features.permanentFeatureIds(ids);
    return {
      count,
      rows: rows.map((f) => ({
        ...featureJson(f, rel, env),
        lifecycle_stage: permanent.has(f.id) ? ('permanent' as const) : ('new' as const),
      })),
    };
  }

  async json(feature: Feature, manager?: EntityManager): Promise<FeatureJson> {
    return featureJson(feature, await this.relations([feature.id], manager));
  }

  /** The relations a feature body shows, custom field values included. */
  private async relations(ids: readonly number[], manager?: EntityManager): Promise<FeatureRelations> {
    const rel = await this.features.relations([...ids], manager);
    return { ...rel, metadata: await this.metadata.valuesOf('feature', ids, manager) };
  }

  // ---- create / update / delete

  async create(principal: Principal, project: Project, input: CreateFeatureInput): Promise<FeatureJson> {
    this.checkName(project, input.name);
    const options = nestedOptions(input.multivariate_options ?? []);
    const ownerIds = input.owners ?? [];
    const groupIds = input.group_owners ?? [];
    const tagIds = input.tags ?? [];
    if (options.length) await this.requireProjectAdmin(principal, project);
    if (project.enforceFeatureOwners && !ownerIds.length && !groupIds.length)
      throw ValidationFailed.field(
        'non_field_errors',
        'This project requires at least one owner or group owner when creating a feature.',
      );
    await this.checkOwners(project, ownerIds, 'owners');
    await this.checkGroups(project, groupIds, 'group_owners');

    return this.uow
      .run(async (tx) => {
        if (await this.features.nameTaken(tx.manager, project.id, input.name))
          throw ValidationFailed.field('name', NAME_TAKEN);
        await this.checkTags(tx.manager, project, tagIds);
        const saved = await this.features.insert(tx.manager, {
          name: input.name,
          projectId: project.id,
          type: options.length ? 'MULTIVARIATE' : (input.type ?? 'STANDARD'),
          defaultEnabled: input.default_enabled ?? false,
          initialValue: featureValueText(input.initial_value),
          description: input.description ?? null,
          isServerKeyOnly: input.is_server_key_only ?? false,
          isArchived: input.is_archived ?? false,
        });
        await this.features.setTags(tx.manager, saved.id, tagIds, false);
        const owners = ownerIds.length ? ownerIds : principal.kind === 'user' ? [principal.user.id] : [];
        await this.features.addOwners(tx.manager, saved.id, 'owners', owners);
        await this.features.addOwners(tx.manager, saved.id, 'groupOwners', groupIds);
        const created: MultivariateFeatureOption[] = [];
        for (const o of options)
          created.push(await this.mvOptions.insert(tx.manager, saved, optionColumns(o.fields)));
        await this.values.createDefaultStates(tx.manager, project, saved, created);
        await this.metadata.replace(
          tx.manager,
          { model: 'feature', id: saved.id, project },
          input.metadata ?? [],
        );
        tx.projectChanged(project.id);
        const json = await this.json(saved, tx.manager);
        tx.audit({
          log: FEATURE_CREATED(saved.name),
          ...auditTarget(principal, project, saved),
          after: json,
        });
        return json;
      })
      .catch((err: unknown) => {
        if (isUniqueViolation(err)) throw ValidationFailed.field('name', NAME_TAKEN);
        throw err;
      });
  }

  /** PUT and PATCH alike (Flagsmith: name, default_enabled, initial_value, owners are read-only here). */
  update(
    principal: Principal,
    project: Project,
    featureId: number,
    input: UpdateFeatureInput,
  ): Promise<FeatureJson> {
    const options = input.multivariate_options && nestedOptions(input.multivariate_options);
    return this.uow.run(async (tx) => {
      // The row as it is now, locked: `before` and the option sync see the current state, not the request's copy.
      const feature = await this.features.lock(tx.manager, featureId);
      if (!feature || feature.projectId !== project.id) throw new NotFound();
      const before = await this.json(feature, tx.manager);
      if (input.tags) await this.checkTags(tx.manager, project, input.tags);
      // Only the columns this request names: a concurrent PATCH of another field is kept (no lost update).
      const columns: FeatureColumns = {};
      if (input.type !== undefined) columns.type = input.type;
      if (input.description !== undefined) columns.description = input.description;
      if (input.is_server_key_only !== undefined) columns.isServerKeyOnly = input.is_server_key_only;
      if (input.is_archived !== undefined) columns.isArchived = input.is_archived;
      await this.features.update(tx.manager, feature.id, columns);
      if (input.tags) await this.features.setTags(tx.manager, feature.id, input.tags, true);
      if (options) await this.syncOptions(tx.manager, principal, project, feature, options);
      // Only when sent (PATCH writes only what it names); when sent, the complete list, required fields checked.
      if (input.metadata)
        await this.metadata.replace(
          tx.manager,
          { model: 'feature', id: feature.id, project },
          input.metadata,
        );
      tx.projectChanged(project.id);
      const saved = await this.features.update(tx.manager, feature.id, {});
      const json = await this.json(saved, tx.manager);
      tx.audit({
        log: FEATURE_UPDATED(saved.name),
        ...auditTarget(principal, project, saved),
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
    const existing = (await this.features.relations([feature.id], manager)).options.get(feature.id) ?? [];
    const byId = new Map(existing.map((o) => [o.id, o]));
    const unknownId = items.find((i) => i.id !== undefined && !byId.has(i.id));
    if (unknownId)
      throw new ValidationFailed({
        multivariate_options: items.map((i): FieldErrors =>
          i === unknownId ? { id: [`Invalid pk "${i.id}" - object does not exist.`] } : {},
        ),
      });
    const keep = new Set(items.map((i) => i.id).filter((id): id is number => id !== undefined));
    const removed = existing.filter((o) => !keep.has(o.id)).map((o) => o.id);
    const changed = items.filter((i) => {
      if (i.id === undefined) return true;
      const o = byId.get(i.id)!;
      const c = optionColumns(i.fields);
      return (
        (c.type !== undefined && c.type !== o.type) ||
        (c.stringValue !== undefined && c.stringValue !== o.stringValue) ||
        (c.integerValue !== undefined && c.integerValue !== o.integerValue) ||
        (c.booleanValue !== undefined && c.booleanValue !== o.booleanValue) ||
        (c.defaultPercentageAllocation !== undefined &&
          c.defaultPercentageAllocation !== o.defaultPercentageAllocation)
      );
    });
    if (!removed.length && !changed.length) return;
    await this.requireProjectAdmin(principal, project);
    await this.mvOptions.delete(manager, feature, removed);
    for (const item of changed) {
      if (item.id === undefined) await this.mvOptions.insert(manager, feature, optionColumns(item.fields));
      else await this.mvOptions.modify(manager, feature, byId.get(item.id)!, optionColumns(item.fields));
    }
  }

  /** Soft delete: the feature is marked deleted; its states (all kinds) and feature segments are removed. */
  remove(principal: Principal, project: Project, featureId: number): Promise<void> {
    return this.uow.run(async (tx) => {
      const feature = await this.features.lock(tx.manager, featureId);
      if (!feature || feature.projectId !== project.id) throw new NotFound();
      const before = await this.json(feature, tx.manager);
      await this.webhooks.featureDeleted(tx, project, principal, feature);
      await this.features.softDelete(tx.manager, feature.id);
      await this.metadata.remove(tx.manager, 'feature', [feature.id]);
      tx.projectChanged(project.id);
      tx.audit({ log: FEATURE_DELETED(feature.name), ...auditTarget(principal, project, feature), before });
    });
  }

  // ---- owners

  /** add-owners / remove-owners (`users`) and add-group-owners / remove-group-owners (`groups`). */
  async changeOwners(
    principal: Principal,
    project: Project,
    featureId: number,
    ids: readonly number[],
    kind: 'users' | 'groups',
    action: 'add' | 'remove',
  ): Promise<ProjectFeatureJson> {
    const unique = [...new Set(ids)];
    const relation: OwnerRelation = kind === 'users' ? 'owners' : 'groupOwners';
    return this.uow.run(async (tx) => {
      // The feature first: a feature of another project is 404 whatever the ids (no hint about other tenants).
      const feature = await this.features.lock(tx.manager, featureId);
      if (!feature || feature.projectId !== project.id) throw new NotFound();
      if (kind === 'users') {
        const count = unique.length ? (await this.features.users(unique)).length : 0;
        if (count !== unique.length) throw ValidationFailed.field('non_field_errors', 'Some users not found');
        if (action === 'add') await this.checkOwners(project, unique, null);
      } else if (action === 'add') {
        await this.checkGroups(project, unique, null);
      }
      const rel = await this.features.relations([feature.id], tx.manager);
      const owners = rel.owners.get(feature.id) ?? [];
      const groupOwners = rel.groupOwners.get(feature.id) ?? [];
      const current = new Set((kind === 'users' ? owners : groupOwners).map((o) => o.id));
      if (action === 'remove' && project.enforceFeatureOwners) {
        const remaining = owners.length + groupOwners.length - unique.filter((id) => current.has(id)).length;
        if (remaining < 1)
          throw new ValidationMessages([
            'This project requires at least one owner or group owner per feature.',
          ]);
      }
      if (action === 'add')
        await this.features.addOwners(
          tx.manager,
          feature.id,
          relation,
          unique.filter((id) => !current.has(id)),
        );
      else
        await this.features.removeOwners(
          tx.manager,
          feature.id,
          relation,
          unique.filter((id) => current.has(id)),
        );
      const after = await this.features.relations([feature.id], tx.manager);
      tx.audit({
        log: FEATURE_UPDATED(feature.name),
        ...auditTarget(principal, project, feature),
        before: { owners, group_owners: groupOwners },
        after: {
          owners: after.owners.get(feature.id) ?? [],
          group_owners: after.groupOwners.get(feature.id) ?? [],
        },
      });
      return projectFeatureJson(feature, after);
    });
  }

  // ---- rules

  private checkName(project: Project, name: string): void {
    const messages: string[] = [];
    if (project.featureNameRegex) {
      // RE2 (linear time): a project admin's pattern must not stall the server for every tenant.
      const matches = compileRegex(`^(?:${project.featureNameRegex})$`)?.(name) ?? false;
      if (!matches) messages.push(`Feature name must match regex: ${project.featureNameRegex}`);
    }
    if (project.onlyAllowLowerCaseFeatureNames && name !== name.toLowerCase())
      messages.push('Feature name must be lower case: this project only allows lower case feature names.');
    if (messages.length) throw ValidationFailed.field('name', ...messages);
  }

  private async checkTags(
    manager: EntityManager,
    project: Project,
    tagIds: readonly number[],
  ): Promise<void> {
    if (!tagIds.length) return;
    const found = await this.features.tags(manager, tagIds);
    const missing = tagIds.find((id) => !found.some((t) => t.id === id));
    if (missing !== undefined)
      throw ValidationFailed.field('tags', `Invalid pk "${missing}" - object does not exist.`);
    if (found.some((t) => t.projectId !== project.id))
      throw ValidationFailed.field(
        'non_field_errors',
        'Selected Tags must be from the same Project as current Feature',
      );
  }

  /** Users who may see the project (VIEW_PROJECT); `field` null: the owner routes' list-bodied refusal. */
  private async checkOwners(project: Project, userIds: readonly number[], field: string | null) {
    if (!userIds.length) return;
    const users = await this.features.users(userIds);
    const missing = userIds.filter((id) => !users.some((u) => u.id === id));
    if (missing.length) {
      if (field) throw ValidationFailed.field(field, `Invalid pk "${missing[0]}" - object does not exist.`);
      throw new ValidationMessages(['Some users not found']);
    }
    const denied: number[] = [];
    for (const user of users) {
      const grant = await this.permissions.projectGrant({ kind: 'user', user, tokenKey: '' }, project);
      if (!grant || !allows(grant, 'VIEW_PROJECT')) denied.push(user.id);
    }
    if (!denied.length) return;
    if (field)
      throw ValidationFailed.field(
        field,
        `Users with ids [${denied.join(', ')}] do not have access to this project.`,
      );
    throw new ValidationMessages(['Some users not found']);
  }

  private async checkGroups(project: Project, groupIds: readonly number[], field: string | null) {
    if (!groupIds.length) return;
    const groups = await this.features.groups(groupIds);
    const missing = groupIds.find((id) => !groups.some((g) => g.id === id));
    if (field && missing !== undefined)
      throw ValidationFailed.field(field, `Invalid pk "${missing}" - object does not exist.`);
    const foreign = groups.filter((g) => g.organisationId !== project.organisationId).map((g) => g.id);
    if (!field && (missing !== undefined || foreign.length))
      throw new ValidationMessages(['Some groups not found']);
    if (field && foreign.length)
      throw ValidationFailed.field(
        field,
        `Groups with ids [${foreign.join(', ')}] do not belong to this project's organisation.`,
      );
  }

  private async requireProjectAdmin(principal: Principal, project: Project) {
    const grant = await this.permissions.projectGrant(principal, project);
    if (!grant?.admin) throw new PermissionDenied(MV_ADMIN_ONLY);
  }
}

function auditTarget(principal: Principal, project: Project, feature: Feature) {
  return {
    principal,
    organisationId: project.organisationId,
    projectId: project.id,
    relatedObjectType: 'FEATURE' as const,
    relatedObjectId: feature.id,
    relatedObjectUuid: feature.uuid,
  };
}
