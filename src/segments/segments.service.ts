import { writeTransaction } from '../common/transaction';
import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { FastifyRequest } from 'fastify';
import { DataSource, EntityManager, In } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Principal } from '../auth/principal';
import { fieldError, notFound } from '../common/errors';
import { Page, paginate } from '../common/pagination';
import { BodyReader, MESSAGES, parseId, toInteger } from '../common/validation';
import { APP_CONFIG, AppConfig } from '../config';
import { Environment } from '../environments/environment.entity';
import { EnvironmentChangesService } from '../environments/environment-changes.service';
import { Feature, FeatureSegment, FeatureState } from '../features/feature.entity';
import { matchingSegmentIds } from '../identities/identity-evaluation';
import { Identity } from '../identities/identity.entity';
import { Project } from '../projects/project.entity';
import { FeatureSegmentsService } from './feature-segments.service';
import { countConditions, RuleInput, RuleTreeReader, SEGMENT_RULES_CONDITIONS_LIMIT } from './segment-input';
import { loadRuleTrees, RuleNode } from './segment-tree';
import { Segment, SegmentCondition, SegmentRule } from './segment.entity';
import { segmentJson } from './segment.serializers';

type SegmentJson = ReturnType<typeof segmentJson>;

const BOOLEAN_QUERY: Record<string, boolean> = {
  true: true,
  True: true,
  '1': true,
  yes: true,
  on: true,
  false: false,
  False: false,
  '0': false,
  no: false,
  off: false,
};

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Segments of a project with their rule trees (docs/contracts/admin-api.md §8). */
@Injectable()
export class SegmentsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly changes: EnvironmentChangesService,
    private readonly featureSegments: FeatureSegmentsService,
  ) {}

  /** JSON of segments with their rules: one extra pair of queries for the whole list. */
  async toJson(
    segments: readonly Segment[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<SegmentJson[]> {
    const trees = await loadRuleTrees(
      manager,
      segments.map((s) => s.id),
    );
    return segments.map((s) => segmentJson(s, trees.get(s.id) ?? []));
  }

  async list(request: FastifyRequest, project: Project): Promise<Page<SegmentJson>> {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const qb = this.dataSource
      .getRepository(Segment)
      .createQueryBuilder('s')
      .where('s.project_id = :project', { project: project.id })
      .orderBy('s.id');
    const q = query.q;
    if (typeof q === 'string' && q !== '') {
      if (q.length > 2000) throw fieldError('q', MESSAGES.maxLength(2000));
      qb.andWhere(`s.name ILIKE :q ESCAPE '\\'`, { q: `%${escapeLike(q)}%` });
    }
    const include = query.include_feature_specific;
    if (include !== undefined && include !== '') {
      const flag = typeof include === 'string' ? BOOLEAN_QUERY[include] : undefined;
      if (flag === undefined) throw fieldError('include_feature_specific', MESSAGES.boolean);
      if (!flag) qb.andWhere('s.feature_id IS NULL');
    }
    const identityParam = query.identity;
    if (identityParam !== undefined && identityParam !== '') {
      const identityId = parseId(identityParam);
      if (identityId === undefined) throw fieldError('identity', MESSAGES.integer);
      const identity = await this.dataSource.getRepository(Identity).findOne({
        where: { id: identityId, environment: { projectId: project.id } },
        relations: { environment: true },
      });
      if (!identity) throw notFound();
      const ids = await matchingSegmentIds(this.dataSource.manager, identity.environment, identity);
      qb.andWhere('s.id = ANY(:ids)', { ids });
    }
    return paginate(request, qb, (rows) => this.toJson(rows));
  }

  async get(project: Project, id: unknown): Promise<Segment> {
    const segmentId = parseId(id);
    const segment = segmentId
      ? await this.dataSource.getRepository(Segment).findOneBy({ id: segmentId, projectId: project.id })
      : null;
    if (!segment) throw notFound();
    return segment;
  }

  async retrieve(segment: Segment): Promise<SegmentJson> {
    return (await this.toJson([segment]))[0];
  }

  private readRules(v: BodyReader, required: boolean): RuleInput[] | undefined {
    if (!v.has('rules')) {
      if (required) v.error('rules', MESSAGES.required);
      return undefined;
    }
    const result = new RuleTreeReader(this.config.SEGMENT_CONDITION_VALUE_LIMIT).read(v.raw('rules'));
    if ('errors' in result) {
      if (!Array.isArray(result.errors) && 'segment' in result.errors)
        throw new BadRequestException(result.errors);
      (v.errors as Record<string, unknown>).rules = result.errors;
      return undefined;
    }
    if (result.rules.length === 0) {
      v.error('rules', 'This list may not be empty.');
      return undefined;
    }
    const count = countConditions(result.rules);
    if (count > SEGMENT_RULES_CONDITIONS_LIMIT) {
      throw new BadRequestException({
        segment: [
          `The segment has ${count} conditions, which exceeds the maximum condition count of ${SEGMENT_RULES_CONDITIONS_LIMIT}.`,
        ],
      });
    }
    return result.rules;
  }

  private async readFeature(
    manager: EntityManager,
    v: BodyReader,
    project: Project,
  ): Promise<number | null | undefined> {
    if (!v.has('feature')) return undefined;
    const raw = v.raw('feature');
    if (raw === null) return null;
    const id = parseId(raw);
    if (toInteger(raw) === undefined) {
      v.error('feature', `Incorrect type. Expected pk value, received ${typeof raw}.`);
      return undefined;
    }
    const feature = id ? await manager.getRepository(Feature).findOneBy({ id, projectId: project.id }) : null;
    if (!feature) {
      v.error('feature', `Invalid pk "${toInteger(raw)}" - object does not exist.`);
      return undefined;
    }
    return feature.id;
  }

  async create(principal: Principal, project: Project, body: unknown): Promise<SegmentJson> {
    const v = new BodyReader(body);
    const name = v.string('name', { maxLength: 2000 });
    const description = v.string('description', { optional: true, nullable: true, allowBlank: true });
    const rules = this.readRules(v, true);
    const featureId = await this.readFeature(this.dataSource.manager, v, project);
    v.assertValid();
    return writeTransaction(this.dataSource, async (manager) => {
      const repo = manager.getRepository(Segment);
      const segment = await repo.save(
        repo.create({
          name: name!,
          description: description ?? null,
          projectId: project.id,
          featureId: featureId ?? null,
        }),
      );
      await this.writeRules(manager, segment.id, rules!, []);
      const [json] = await this.toJson([segment], manager);
      await this.changes.projectChanged(manager, project.id);
      await this.audit.record(manager, {
        log: `New Segment created: ${segment.name}`,
        principal,
        organisationId: project.organisationId,
        projectId: project.id,
        relatedObjectType: 'SEGMENT',
        relatedObjectId: segment.id,
        relatedObjectUuid: segment.uuid,
        after: json,
      });
      return json;
    });
  }

  async update(
    principal: Principal,
    project: Project,
    segment: Segment,
    body: unknown,
    partial: boolean,
  ): Promise<SegmentJson> {
    const v = new BodyReader(body, { partial });
    const name = v.string('name', { maxLength: 2000 });
    const description = v.string('description', { optional: true, nullable: true, allowBlank: true });
    const rules = this.readRules(v, !partial);
    const featureId = await this.readFeature(this.dataSource.manager, v, project);
    v.assertValid();
    return writeTransaction(this.dataSource, async (manager) => {
      // The row as it is now, locked: `before` and the rule sync see the current tree, and a concurrent update of
      // the same segment's rules waits instead of syncing against a tree that is being replaced.
      const current = await manager
        .getRepository(Segment)
        .findOne({ where: { id: segment.id }, lock: { mode: 'for_no_key_update' } });
      if (!current) throw notFound();
      const existing = (await loadRuleTrees(manager, [current.id])).get(current.id) ?? [];
      const before = segmentJson(current, existing);
      if (rules !== undefined) await this.writeRules(manager, current.id, rules, existing);
      // Always touch updated_at, even when only the rules changed.
      // Only the columns given: a concurrent PATCH of another column is kept.
      const columns: Partial<Segment> = { updatedAt: new Date() };
      if (name !== undefined) columns.name = name;
      if (description !== undefined) columns.description = description;
      if (featureId !== undefined) columns.featureId = featureId;
      await manager.getRepository(Segment).update({ id: segment.id }, columns);
      const saved = await manager.getRepository(Segment).findOneByOrFail({ id: segment.id });
      const [json] = await this.toJson([saved], manager);
      await this.changes.projectChanged(manager, project.id);
      await this.audit.record(manager, {
        log: `Segment updated: ${saved.name}`,
        principal,
        organisationId: project.organisationId,
        projectId: project.id,
        relatedObjectType: 'SEGMENT',
        relatedObjectId: saved.id,
        relatedObjectUuid: saved.uuid,
        before,
        after: json,
      });
      return json;
    });
  }

  async remove(principal: Principal, project: Project, segment: Segment): Promise<void> {
    await writeTransaction(this.dataSource, async (manager) => {
      const [before] = await this.toJson([segment], manager);
      const slots = await manager.getRepository(FeatureSegment).find({
        where: { segmentId: segment.id },
        select: { id: true, featureId: true, environmentId: true },
      });
      await manager.getRepository(Segment).delete({ id: segment.id });
      await this.featureSegments.renumber(manager, slots);
      await this.changes.projectChanged(manager, project.id);
      await this.audit.record(manager, {
        log: `Segment deleted: ${segment.name}`,
        principal,
        organisationId: project.organisationId,
        projectId: project.id,
        relatedObjectType: 'SEGMENT',
        relatedObjectId: segment.id,
        relatedObjectUuid: segment.uuid,
        before,
      });
    });
  }

  async clone(principal: Principal, project: Project, source: Segment, body: unknown): Promise<SegmentJson> {
    const v = new BodyReader(body);
    const name = v.string('name', { maxLength: 2000 });
    v.assertValid();
    return writeTransaction(this.dataSource, async (manager) => {
      const tree = (await loadRuleTrees(manager, [source.id])).get(source.id) ?? [];
      const repo = manager.getRepository(Segment);
      const clone = await repo.save(
        repo.create({
          name: name!,
          description: source.description,
          projectId: project.id,
          featureId: source.featureId,
        }),
      );
      await this.writeRules(manager, clone.id, stripIds(tree), []);
      const [json] = await this.toJson([clone], manager);
      await this.changes.projectChanged(manager, project.id);
      await this.audit.record(manager, {
        log: `New Segment created: ${clone.name}`,
        principal,
        organisationId: project.organisationId,
        projectId: project.id,
        relatedObjectType: 'SEGMENT',
        relatedObjectId: clone.id,
        relatedObjectUuid: clone.uuid,
        after: json,
      });
      return json;
    });
  }

  /** Override states using the segment: PAGINATED `{id, feature, environment}` (`?environment=<id>` narrows). */
  async associatedFeatures(request: FastifyRequest, project: Project, segment: Segment) {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const qb = this.dataSource
      .getRepository(FeatureState)
      .createQueryBuilder('fs')
      .innerJoin('fs.featureSegment', 'fsg')
      .innerJoin('fs.feature', 'f')
      .where('fsg.segment_id = :segment', { segment: segment.id })
      .andWhere('f.deleted_at IS NULL')
      .orderBy('fs.id');
    if (query.environment !== undefined && query.environment !== '') {
      const environmentId = parseId(query.environment);
      if (environmentId === undefined) throw fieldError('environment', MESSAGES.integer);
      const environment = await this.dataSource
        .getRepository(Environment)
        .findOneBy({ id: environmentId, projectId: project.id });
      if (!environment) throw notFound();
      qb.andWhere('fs.environment_id = :env', { env: environment.id });
    }
    return paginate(request, qb, (rows) =>
      rows.map((fs) => ({ id: fs.id, feature: fs.featureId, environment: fs.environmentId })),
    );
  }

  /**
   * Makes the stored tree of `segmentId` exactly `rules`: items carrying the `id` of a rule/condition of this
   * segment are updated in place (and may move), items without one are created, stored items not mentioned are
   * deleted. Unknown or repeated ids → 400.
   */
  private async writeRules(
    manager: EntityManager,
    segmentId: number,
    rules: readonly RuleInput[],
    existing: readonly RuleNode[],
  ): Promise<void> {
    const ruleIds = new Set<number>();
    const conditionIds = new Set<number>();
    const collect = (nodes: readonly RuleNode[]) => {
      for (const node of nodes) {
        ruleIds.add(node.id);
        for (const c of node.conditions) conditionIds.add(c.id);
        collect(node.rules);
      }
    };
    collect(existing);
    const keptRules = new Set<number>();
    const keptConditions = new Set<number>();
    const check = (inputs: readonly RuleInput[]) => {
      for (const rule of inputs) {
        if (rule.id !== undefined) {
          if (!ruleIds.has(rule.id) || keptRules.has(rule.id))
            throw fieldError('rules', `Invalid rule id ${rule.id}: not a rule of this segment.`);
          keptRules.add(rule.id);
        }
        for (const c of rule.conditions) {
          if (c.id === undefined) continue;
          if (!conditionIds.has(c.id) || keptConditions.has(c.id))
            throw fieldError('rules', `Invalid condition id ${c.id}: not a condition of this segment.`);
          keptConditions.add(c.id);
        }
        check(rule.rules);
      }
    };
    check(rules);

    const save = async (rule: RuleInput, parent: { segmentId: number | null; ruleId: number | null }) => {
      let id: number;
      if (rule.id !== undefined) {
        await manager.update(SegmentRule, { id: rule.id }, { type: rule.type, ...parent });
        id = rule.id;
      } else {
        const inserted = await manager.insert(SegmentRule, { type: rule.type, ...parent });
        id = (inserted.identifiers[0] as { id: number }).id;
      }
      for (const c of rule.conditions) {
        const values = {
          ruleId: id,
          operator: c.operator,
          property: c.property,
          value: c.value,
          description: c.description,
        };
        if (c.id !== undefined) await manager.update(SegmentCondition, { id: c.id }, values);
        else await manager.insert(SegmentCondition, values);
      }
      for (const sub of rule.rules) await save(sub, { segmentId: null, ruleId: id });
    };
    for (const rule of rules) await save(rule, { segmentId, ruleId: null });

    const staleConditions = [...conditionIds].filter((id) => !keptConditions.has(id));
    if (staleConditions.length > 0) await manager.delete(SegmentCondition, { id: In(staleConditions) });
    const staleRules = [...ruleIds].filter((id) => !keptRules.has(id));
    if (staleRules.length > 0) await manager.delete(SegmentRule, { id: In(staleRules) });
  }
}

function stripIds(nodes: readonly RuleNode[]): RuleInput[] {
  return nodes.map((n) => ({
    type: n.type,
    rules: stripIds(n.rules),
    conditions: n.conditions.map((c) => ({
      operator: c.operator,
      property: c.property,
      value: c.value,
      description: c.description,
    })),
  }));
}
