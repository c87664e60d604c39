import { writeTransaction } from '../common/transaction';
import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, IsNull } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Principal } from '../auth/principal';
import { fieldError, notFound } from '../common/errors';
import { BodyReader, parseId, toInteger } from '../common/validation';
import { EnvironmentChangesService } from '../environments/environment-changes.service';
import { Project } from '../projects/project.entity';
import {
  Feature,
  FeatureState,
  FeatureValueType,
  MultivariateFeatureOption,
  MultivariateFeatureStateValue,
} from './feature.entity';
import { mvOptionJson } from './feature.serializers';
import { FEATURE_VALUE_LIMIT } from './feature-values';

export const INVALID_ALLOCATION = 'Invalid percentage allocation';
const SLUG = /^[-a-zA-Z0-9_]+$/;

/** The writable columns of a multivariate option (absent = unchanged / default). */
export interface OptionFields {
  type?: FeatureValueType;
  stringValue?: string | null;
  integerValue?: number | null;
  booleanValue?: boolean | null;
  defaultPercentageAllocation?: number;
  key?: string | null;
}

/** Reads an option body (mv-options endpoint, or an item of a feature's `multivariate_options`). */
export function readOptionFields(v: BodyReader, withKey: boolean): OptionFields {
  const fields: OptionFields = {};
  const type = v.choice('type', ['unicode', 'int', 'bool'] as const, { optional: true, nullable: true });
  if (type !== undefined) fields.type = type;
  else if (v.raw('type') === null) fields.type = 'unicode';
  const s = v.string('string_value', {
    optional: true,
    nullable: true,
    allowBlank: true,
    trim: false,
    maxLength: FEATURE_VALUE_LIMIT,
  });
  if (s !== undefined) fields.stringValue = s;
  const i = v.integer('integer_value', { optional: true, nullable: true });
  if (i !== undefined) fields.integerValue = i;
  const b = v.boolean('boolean_value', { optional: true, nullable: true });
  if (b !== undefined) fields.booleanValue = b;
  const pct = v.raw('default_percentage_allocation');
  if (pct !== undefined) {
    const n =
      typeof pct === 'number' ? pct : typeof pct === 'string' && pct.trim() !== '' ? Number(pct) : NaN;
    if (pct === null) v.error('default_percentage_allocation', 'This field may not be null.');
    else if (!Number.isFinite(n)) v.error('default_percentage_allocation', 'A valid number is required.');
    else if (n < 0)
      v.error('default_percentage_allocation', 'Ensure this value is greater than or equal to 0.');
    else if (n > 100)
      v.error('default_percentage_allocation', 'Ensure this value is less than or equal to 100.');
    else fields.defaultPercentageAllocation = n;
  }
  if (withKey) {
    const key = v.string('key', { optional: true, nullable: true, maxLength: 255 });
    if (key === 'control') v.error('key', '"control" is a reserved variant key.');
    else if (typeof key === 'string' && !SLUG.test(key))
      v.error('key', 'Enter a valid “slug” consisting of letters, numbers, underscores or hyphens.');
    else if (key !== undefined) fields.key = key;
  }
  return fields;
}

/**
 * Multivariate options (docs/contracts/admin-api.md §6 mv-options). Creating one gives every environment default state of the
 * feature an MV value at the option's default allocation (refused when any state would exceed 100 %), and makes the
 * feature MULTIVARIATE; deleting one removes its MV values and turns a feature with no options left STANDARD.
 */
@Injectable()
export class MvOptionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly changes: EnvironmentChangesService,
  ) {}

  async feature(project: Project, idRaw: unknown): Promise<Feature> {
    const id = parseId(idRaw);
    const feature = id
      ? await this.dataSource.getRepository(Feature).findOneBy({ id, projectId: project.id })
      : null;
    if (!feature) throw notFound();
    return feature;
  }

  listQuery(feature: Feature) {
    return this.dataSource
      .getRepository(MultivariateFeatureOption)
      .createQueryBuilder('o')
      .where('o.feature_id = :featureId', { featureId: feature.id })
      .orderBy('o.id', 'ASC');
  }

  async option(feature: Feature, idRaw: unknown): Promise<MultivariateFeatureOption> {
    const id = parseId(idRaw);
    const option = id
      ? await this.dataSource
          .getRepository(MultivariateFeatureOption)
          .findOneBy({ id, featureId: feature.id })
      : null;
    if (!option) throw notFound();
    return option;
  }

  async create(principal: Principal, project: Project, feature: Feature, body: unknown) {
    const v = new BodyReader(body);
    this.checkFeatureField(v, feature);
    const fields = readOptionFields(v, true);
    v.assertValid();
    return writeTransaction(this.dataSource, async (manager) => {
      const option = await this.insert(manager, feature, fields);
      await this.changes.projectChanged(manager, project.id);
      await this.audit.record(manager, {
        log: `Multivariate option added to feature '${feature.name}'.`,
        principal,
        organisationId: project.organisationId,
        projectId: project.id,
        relatedObjectType: 'FEATURE',
        relatedObjectId: feature.id,
        relatedObjectUuid: feature.uuid,
        after: mvOptionJson(option),
      });
      return option;
    });
  }

  async update(
    principal: Principal,
    project: Project,
    feature: Feature,
    option: MultivariateFeatureOption,
    body: unknown,
    partial: boolean,
  ) {
    const v = new BodyReader(body, { partial: true });
    if (!partial && !v.has('feature')) v.error('feature', 'This field is required.');
    this.checkFeatureField(v, feature);
    const fields = readOptionFields(v, true);
    v.assertValid();
    const before = mvOptionJson(option);
    return writeTransaction(this.dataSource, async (manager) => {
      const saved = await this.modify(manager, feature, option, fields);
      await this.changes.projectChanged(manager, project.id);
      await this.audit.record(manager, {
        log: `Multivariate option updated for feature '${feature.name}'.`,
        principal,
        organisationId: project.organisationId,
        projectId: project.id,
        relatedObjectType: 'FEATURE',
        relatedObjectId: feature.id,
        relatedObjectUuid: feature.uuid,
        before,
        after: mvOptionJson(saved),
      });
      return saved;
    });
  }

  async remove(principal: Principal, project: Project, feature: Feature, option: MultivariateFeatureOption) {
    await writeTransaction(this.dataSource, async (manager) => {
      await this.delete(manager, feature, [option.id]);
      await this.changes.projectChanged(manager, project.id);
      await this.audit.record(manager, {
        log: `Multivariate option removed from feature '${feature.name}'.`,
        principal,
        organisationId: project.organisationId,
        projectId: project.id,
        relatedObjectType: 'FEATURE',
        relatedObjectId: feature.id,
        relatedObjectUuid: feature.uuid,
        before: mvOptionJson(option),
      });
    });
  }

  /** `feature` in an option body must name the feature of the URL when given. */
  private checkFeatureField(v: BodyReader, feature: Feature) {
    if (!v.has('feature')) return;
    const id = toInteger(v.raw('feature'));
    if (id === undefined)
      v.error('feature', 'Incorrect type. Expected pk value, received ' + typeof v.raw('feature') + '.');
    else if (id !== feature.id) v.error('feature', `Invalid pk "${id}" - object does not exist.`);
  }

  // ---- building blocks (the caller's transaction; no audit / environment bump)

  /** Inserts an option after the allocation checks, adds its MV value to every environment default state. */
  async insert(
    manager: EntityManager,
    feature: Feature,
    fields: OptionFields,
  ): Promise<MultivariateFeatureOption> {
    const pct = fields.defaultPercentageAllocation ?? 100;
    await this.checkAllocation(manager, feature.id, null, pct);
    // Environment states whose values would go past 100 % with the new option.
    const overflow = await manager.query<unknown[]>(
      `SELECT 1 FROM multivariate_feature_state_values v JOIN feature_states s ON s.id = v.feature_state_id
        WHERE s.feature_id = $1 AND s.identity_id IS NULL AND s.feature_segment_id IS NULL
        GROUP BY v.feature_state_id HAVING SUM(v.percentage_allocation) > $2 LIMIT 1`,
      [feature.id, 100 - pct],
    );
    if (overflow.length) throw fieldError('default_percentage_allocation', INVALID_ALLOCATION);
    await this.checkKey(manager, feature.id, null, fields.key);
    const repo = manager.getRepository(MultivariateFeatureOption);
    const option = await repo.save(
      repo.create({
        featureId: feature.id,
        type: fields.type ?? 'unicode',
        stringValue: fields.stringValue ?? null,
        integerValue: fields.integerValue ?? null,
        booleanValue: fields.booleanValue ?? null,
        defaultPercentageAllocation: pct,
        key: fields.key ?? null,
      }),
    );
    const states = await manager.getRepository(FeatureState).find({
      where: { featureId: feature.id, identityId: IsNull(), featureSegmentId: IsNull() },
      select: { id: true },
    });
    if (states.length) {
      const values = manager.getRepository(MultivariateFeatureStateValue);
      await values.save(
        states.map((s) =>
          values.create({
            featureStateId: s.id,
            multivariateFeatureOptionId: option.id,
            percentageAllocation: pct,
          }),
        ),
      );
    }
    if (feature.type !== 'MULTIVARIATE') {
      await manager.getRepository(Feature).update({ id: feature.id }, { type: 'MULTIVARIATE' });
      feature.type = 'MULTIVARIATE';
    }
    return option;
  }

  async modify(
    manager: EntityManager,
    feature: Feature,
    option: MultivariateFeatureOption,
    fields: OptionFields,
  ): Promise<MultivariateFeatureOption> {
    if (fields.defaultPercentageAllocation !== undefined)
      await this.checkAllocation(manager, feature.id, option.id, fields.defaultPercentageAllocation);
    if (fields.key !== undefined) await this.checkKey(manager, feature.id, option.id, fields.key);
    Object.assign(
      option,
      Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)),
    );
    const { feature: _feature, ...columns } = option;
    return manager.getRepository(MultivariateFeatureOption).save(columns);
  }

  /** Deletes options (their MV values go with them); a feature left without options becomes STANDARD. */
  async delete(manager: EntityManager, feature: Feature, optionIds: readonly number[]): Promise<void> {
    if (!optionIds.length) return;
    await manager
      .getRepository(MultivariateFeatureOption)
      .delete({ featureId: feature.id, id: In([...optionIds]) });
    const left = await manager.getRepository(MultivariateFeatureOption).countBy({ featureId: feature.id });
    if (left === 0 && feature.type !== 'STANDARD') {
      await manager.getRepository(Feature).update({ id: feature.id }, { type: 'STANDARD' });
      feature.type = 'STANDARD';
    }
  }

  private async checkAllocation(
    manager: EntityManager,
    featureId: number,
    exceptId: number | null,
    pct: number,
  ) {
    const [row] = await manager.query<{ total: number | null }[]>(
      `SELECT SUM(default_percentage_allocation) AS total FROM multivariate_feature_options
        WHERE feature_id = $1 AND ($2::int IS NULL OR id <> $2)`,
      [featureId, exceptId],
    );
    if (Number(row?.total ?? 0) + pct > 100 + 1e-9)
      throw fieldError('default_percentage_allocation', INVALID_ALLOCATION);
  }

  private async checkKey(
    manager: EntityManager,
    featureId: number,
    exceptId: number | null,
    key?: string | null,
  ) {
    if (key === undefined || key === null) return;
    const clash = await manager.query<unknown[]>(
      `SELECT 1 FROM multivariate_feature_options WHERE feature_id = $1 AND key = $2 AND ($3::int IS NULL OR id <> $3)`,
      [featureId, key, exceptId],
    );
    if (clash.length)
      throw new BadRequestException({
        key: ['Multivariate option with this key already exists for the feature.'],
      });
  }
}
