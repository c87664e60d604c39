import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { NotFound, ValidationFailed } from '../common/domain-errors';
import type { PageRequest } from '../common/pagination';
import { parseUuid, toInteger } from '../common/drf-values';
import { UnitOfWork, type WriteContext } from '../common/unit-of-work';
import type { Project } from '../projects/project.entity';
import { Feature, MultivariateFeatureOption } from './feature.entity';
import {
  type CreateMvOptionInput,
  INVALID_ALLOCATION,
  type NestedOptionInput,
  type UpdateMvOptionInput,
} from './feature.schemas';
import { mvOptionJson } from './feature.serializers';
import { MvOptionColumns, MvOptionsRepository } from './mv-options.repository';
import { FeaturesRepository } from './features.repository';

export { INVALID_ALLOCATION };

/** The option fields of a request → the columns they set (null type: unicode; absent: unchanged / default). */
export function optionColumns(input: Partial<NestedOptionInput & { key: string | null }>): MvOptionColumns {
  const columns: MvOptionColumns = {};
  if (input.type !== undefined) columns.type = input.type ?? 'unicode';
  if (input.string_value !== undefined) columns.stringValue = input.string_value;
  if (input.integer_value !== undefined) columns.integerValue = input.integer_value;
  if (input.boolean_value !== undefined) columns.booleanValue = input.boolean_value;
  if (input.default_percentage_allocation !== undefined)
    columns.defaultPercentageAllocation = input.default_percentage_allocation;
  if (input.key !== undefined) columns.key = input.key;
  return columns;
}

/**
 * Multivariate options (docs/contracts/admin-api.md §6 mv-options). Creating one gives every environment default state of the
 * feature an MV value at the option's default allocation (refused when any state would exceed 100 %), and makes the
 * feature MULTIVARIATE; deleting one removes its MV values and turns a feature with no options left STANDARD.
 * Writes lock the feature row first, so concurrent option writes of one feature check the allocation in turn.
 */
@Injectable()
export class MvOptionsService {
  constructor(
    private readonly options: MvOptionsRepository,
    private readonly features: FeaturesRepository,
    private readonly uow: UnitOfWork,
  ) {}

  /** A live feature of the project, else NotFound. */
  async feature(project: Project, id: number): Promise<Feature> {
    const feature = await this.features.find(project.id, id);
    if (!feature) throw new NotFound();
    return feature;
  }

  /** An option of a live feature by uuid (Django's <uuid:> path converter), of any project: the caller checks it. */
  async optionByUuid(raw: string): Promise<{ option: MultivariateFeatureOption; feature: Feature }> {
    const uuid = parseUuid(raw, 'converter');
    const option = uuid ? await this.options.findByUuid(uuid) : null;
    const feature = option ? await this.features.findAnywhere({ id: option.featureId }) : null;
    if (!option || !feature) throw new NotFound();
    return { option, feature };
  }

  page(feature: Feature, page: PageRequest): Promise<{ count: number; rows: MultivariateFeatureOption[] }> {
    return this.options.page(feature.id, page);
  }

  async option(feature: Feature, id: number): Promise<MultivariateFeatureOption> {
    const option = await this.options.find(feature.id, id);
    if (!option) throw new NotFound();
    return option;
  }

  create(
    principal: Principal,
    project: Project,
    feature: Feature,
    input: CreateMvOptionInput,
  ): Promise<MultivariateFeatureOption> {
    checkFeatureField(input.feature, feature);
    return this.uow.run(async (tx) => {
      const current = await this.lockFeature(tx, feature);
      const option = await this.insert(tx.manager, current, optionColumns(input));
      tx.projectChanged(project.id);
      tx.audit({
        log: `Multivariate option added to feature '${current.name}'.`,
        ...this.auditTarget(principal, project, current),
        after: mvOptionJson(option),
      });
      return option;
    });
  }

  /** PUT (`feature` required by the schema) or PATCH. */
  update(
    principal: Principal,
    project: Project,
    feature: Feature,
    optionId: number,
    input: Partial<UpdateMvOptionInput>,
  ): Promise<MultivariateFeatureOption> {
    checkFeatureField(input.feature, feature);
    return this.uow.run(async (tx) => {
      const current = await this.lockFeature(tx, feature);
      const option = await this.options.find(current.id, optionId, tx.manager);
      if (!option) throw new NotFound();
      const saved = await this.modify(tx.manager, current, option, optionColumns(input));
      tx.projectChanged(project.id);
      tx.audit({
        log: `Multivariate option updated for feature '${current.name}'.`,
        ...this.auditTarget(principal, project, current),
        before: mvOptionJson(option),
        after: mvOptionJson(saved),
      });
      return saved;
    });
  }

  remove(principal: Principal, project: Project, feature: Feature, optionId: number): Promise<void> {
    return this.uow.run(async (tx) => {
      const current = await this.lockFeature(tx, feature);
      const option = await this.options.find(current.id, optionId, tx.manager);
      if (!option) throw new NotFound();
      await this.delete(tx.manager, current, [option.id]);
      tx.projectChanged(project.id);
      tx.audit({
        log: `Multivariate option removed from feature '${current.name}'.`,
        ...this.auditTarget(principal, project, current),
        before: mvOptionJson(option),
      });
    });
  }

  private async lockFeature(tx: WriteContext, feature: Feature): Promise<Feature> {
    const current = await this.features.lock(tx.manager, feature.id);
    if (!current || current.projectId !== feature.projectId) throw new NotFound();
    return current;
  }

  private auditTarget(principal: Principal, project: Project, feature: Feature) {
    return {
      principal,
      organisationId: project.organisationId,
      projectId: project.id,
      relatedObjectType: 'FEATURE' as const,
      relatedObjectId: feature.id,
      relatedObjectUuid: feature.uuid,
    };
  }

  // ---- building blocks (the caller's unit of work; no audit / change event)

  /** Inserts an option after the allocation checks, adds its MV value to every environment default state. */
  async insert(
    manager: EntityManager,
    feature: Feature,
    columns: MvOptionColumns,
  ): Promise<MultivariateFeatureOption> {
    const pct = columns.defaultPercentageAllocation ?? 100;
    await this.checkAllocation(manager, feature.id, null, pct);
    // Environment states whose values would go past 100 % with the new option.
    if (await this.options.stateOver(manager, feature.id, 100 - pct))
      throw ValidationFailed.field('default_percentage_allocation', INVALID_ALLOCATION);
    await this.checkKey(manager, feature.id, null, columns.key);
    const option = await this.options.insert(manager, {
      featureId: feature.id,
      type: columns.type ?? 'unicode',
      stringValue: columns.stringValue ?? null,
      integerValue: columns.integerValue ?? null,
      booleanValue: columns.booleanValue ?? null,
      defaultPercentageAllocation: pct,
      key: columns.key ?? null,
    });
    if (feature.type !== 'MULTIVARIATE') {
      await this.options.setFeatureType(manager, feature.id, 'MULTIVARIATE');
      feature.type = 'MULTIVARIATE';
    }
    return option;
  }

  async modify(
    manager: EntityManager,
    feature: Feature,
    option: MultivariateFeatureOption,
    columns: MvOptionColumns,
  ): Promise<MultivariateFeatureOption> {
    if (columns.defaultPercentageAllocation !== undefined)
      await this.checkAllocation(manager, feature.id, option.id, columns.defaultPercentageAllocation);
    await this.checkKey(manager, feature.id, option.id, columns.key);
    return this.options.update(manager, option.id, columns);
  }

  /** Deletes options (their MV values go with them); a feature left without options becomes STANDARD. */
  async delete(manager: EntityManager, feature: Feature, optionIds: readonly number[]): Promise<void> {
    if (!optionIds.length) return;
    const left = await this.options.delete(manager, feature.id, optionIds);
    if (left === 0 && feature.type !== 'STANDARD') {
      await this.options.setFeatureType(manager, feature.id, 'STANDARD');
      feature.type = 'STANDARD';
    }
  }

  private async checkAllocation(
    manager: EntityManager,
    featureId: number,
    exceptId: number | null,
    pct: number,
  ) {
    if ((await this.options.allocated(manager, featureId, exceptId)) + pct > 100 + 1e-9)
      throw ValidationFailed.field('default_percentage_allocation', INVALID_ALLOCATION);
  }

  private async checkKey(
    manager: EntityManager,
    featureId: number,
    exceptId: number | null,
    key?: string | null,
  ) {
    if (key === undefined || key === null) return;
    if (await this.options.keyTaken(manager, featureId, key, exceptId))
      throw ValidationFailed.field(
        'key',
        'Multivariate option with this key already exists for the feature.',
      );
  }
}

/** `feature` in an option body must name the feature of the URL when given. */
function checkFeatureField(raw: unknown, feature: Feature): void {
  if (raw === undefined) return;
  const id = toInteger(raw);
  if (id === undefined)
    throw ValidationFailed.field('feature', `Incorrect type. Expected pk value, received ${typeof raw}.`);
  if (id !== feature.id)
    throw ValidationFailed.field('feature', `Invalid pk "${id}" - object does not exist.`);
}
