import { writeTransaction } from '../common/transaction';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Principal } from '../auth/principal';
import { forbidden, notFound } from '../common/errors';
import { newEnvironmentKey, newServerKey } from '../common/keys';
import { BodyReader, parseId } from '../common/validation';
import { Feature, FeatureSegment, FeatureState } from '../features/feature.entity';
import { FeatureStateValuesService } from '../features/feature-state-values.service';
import { valueColumns } from '../features/feature-values';
import { EnvironmentUserPermission } from '../permissions/permission.entity';
import { PermissionsService } from '../permissions/permissions.service';
import { Project } from '../projects/project.entity';
import { EnvironmentChangesService } from './environment-changes.service';
import { Environment, EnvironmentApiKey } from './environment.entity';
import { environmentJson } from './environment.serializers';

/** Environments and their server-side keys (docs/contracts/admin-api.md §5). */
@Injectable()
export class EnvironmentsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly permissions: PermissionsService,
    private readonly audit: AuditService,
    private readonly changes: EnvironmentChangesService,
    private readonly values: FeatureStateValuesService,
  ) {}

  private readSettings(v: BodyReader) {
    return {
      description: v.string('description', { optional: true, nullable: true, allowBlank: true }),
      allowClientTraits: v.boolean('allow_client_traits', { optional: true }),
      bannerText: v.string('banner_text', {
        optional: true,
        nullable: true,
        maxLength: 255,
        allowBlank: true,
      }),
      bannerColour: v.string('banner_colour', {
        optional: true,
        nullable: true,
        maxLength: 7,
        allowBlank: true,
      }),
      hideDisabledFlags: v.boolean('hide_disabled_flags', { optional: true, nullable: true }),
      useIdentityCompositeKeyForHashing: v.boolean('use_identity_composite_key_for_hashing', {
        optional: true,
      }),
      hideSensitiveData: v.boolean('hide_sensitive_data', { optional: true }),
      useIdentityOverridesInLocalEval: v.boolean('use_identity_overrides_in_local_eval', { optional: true }),
      useMvV2Evaluation: v.boolean('use_mv_v2_evaluation', { optional: true }),
      minimumChangeRequestApprovals: v.integer('minimum_change_request_approvals', {
        optional: true,
        nullable: true,
        min: 0,
      }),
    };
  }

  private apply(env: Environment, settings: ReturnType<EnvironmentsService['readSettings']>) {
    for (const [key, value] of Object.entries(settings)) {
      if (value !== undefined) (env as unknown as Record<string, unknown>)[key] = value;
    }
  }

  async create(principal: Principal, body: unknown): Promise<Environment> {
    const v = new BodyReader(body);
    const name = v.string('name', { maxLength: 2000 });
    const projectId = v.integer('project', { min: 1 });
    const settings = this.readSettings(v);
    v.assertValid();
    const project = await this.permissions.requireProject(principal, projectId, 'CREATE_ENVIRONMENT');
    const orgGrant = await this.permissions.organisationGrant(principal, project.organisationId);
    return writeTransaction(this.dataSource, async (manager) => {
      const repo = manager.getRepository(Environment);
      const env = repo.create({ name: name!, projectId: project.id, apiKey: newEnvironmentKey() });
      this.apply(env, settings);
      const saved = await repo.save(env);
      await this.createDefaultStates(manager, saved, project);
      if (principal.kind === 'user' && !orgGrant?.admin) {
        await manager
          .getRepository(EnvironmentUserPermission)
          .save({ environmentId: saved.id, userId: principal.user.id, admin: true, permissions: [] });
      }
      await this.changes.environmentsChanged(manager, [saved.id]);
      await this.audit.record(manager, {
        log: `New Environment created: ${saved.name}`,
        principal,
        organisationId: project.organisationId,
        projectId: project.id,
        environmentId: saved.id,
        relatedObjectType: 'ENVIRONMENT',
        relatedObjectId: saved.id,
        relatedObjectUuid: saved.uuid,
        after: environmentJson(saved),
      });
      return repo.findOneByOrFail({ id: saved.id });
    });
  }

  /**
   * One new default state per live feature of the project that has none in `env` yet, through the same code path as
   * a new feature's states: default_enabled and the initial value, or disabled with no value when the project
   * prevents flag defaults; MV values at the options' default allocations.
   */
  private async createDefaultStates(
    manager: EntityManager,
    env: Pick<Environment, 'id'>,
    project: Project,
  ): Promise<void> {
    const features = await manager
      .getRepository(Feature)
      .createQueryBuilder('f')
      .where('f.project_id = :project AND f.deleted_at IS NULL', { project: project.id })
      .andWhere(
        `NOT EXISTS (SELECT 1 FROM feature_states s WHERE s.feature_id = f.id AND s.environment_id = :env
           AND s.identity_id IS NULL AND s.feature_segment_id IS NULL)`,
        { env: env.id },
      )
      .orderBy('f.id')
      .getMany();
    await this.values.createEnvironmentDefaultStates(manager, project, env.id, features);
  }

  async update(
    principal: Principal,
    env: Environment,
    body: unknown,
    partial: boolean,
  ): Promise<Environment> {
    const v = new BodyReader(body, { partial });
    const name = v.string('name', { maxLength: 2000 });
    if (v.has('project')) {
      const projectId = v.integer('project', { nullable: true });
      if (projectId !== undefined && projectId !== env.projectId)
        v.error('project', 'Environments cannot be moved to another project.');
    }
    const settings = this.readSettings(v);
    v.assertValid();
    // The columns this request names, as given: PATCH writes exactly these (a concurrent PATCH of another field
    // is kept, and a value equal to a stale copy is still written).
    const given: Partial<Environment> = {};
    if (name !== undefined) given.name = name;
    this.apply(given as Environment, settings);
    return writeTransaction(this.dataSource, async (manager) => {
      // The row as it is now, locked, so `before` is what this write replaced and PUT starts from current values.
      const current = await manager
        .getRepository(Environment)
        .findOne({ where: { id: env.id }, lock: { mode: 'for_no_key_update' } });
      if (!current) throw notFound();
      const before = environmentJson(Object.assign(current, { project: env.project }));
      // PUT replaces every setting.
      const { project: _project, ...columns } = partial ? given : Object.assign(current, given);
      if (Object.keys(columns).length)
        await manager.getRepository(Environment).update({ id: env.id }, columns);
      await this.changes.environmentsChanged(manager, [env.id]);
      const saved = await manager.getRepository(Environment).findOneByOrFail({ id: env.id });
      await this.audit.record(manager, {
        log: `Environment updated: ${saved.name}`,
        principal,
        organisationId: env.project.organisationId,
        projectId: env.projectId,
        environmentId: env.id,
        relatedObjectType: 'ENVIRONMENT',
        relatedObjectId: env.id,
        relatedObjectUuid: env.uuid,
        before,
        after: environmentJson(saved),
      });
      return saved;
    });
  }

  async remove(principal: Principal, env: Environment): Promise<void> {
    await writeTransaction(this.dataSource, async (manager) => {
      await this.changes.environmentsDeleted(manager, [env]);
      await manager.getRepository(Environment).delete({ id: env.id });
      await this.audit.record(manager, {
        log: `Environment deleted: ${env.name}`,
        principal,
        organisationId: env.project.organisationId,
        projectId: env.projectId,
        relatedObjectType: 'ENVIRONMENT',
        relatedObjectId: env.id,
        relatedObjectUuid: env.uuid,
        before: environmentJson(env),
      });
    });
  }

  /**
   * A copy of the environment under a new name and key: settings, default feature states with their MV values,
   * segment overrides (feature segments, their states and MV values). Not identities. Needs CREATE_ENVIRONMENT.
   */
  async clone(principal: Principal, source: Environment, body: unknown): Promise<Environment> {
    const v = new BodyReader(body);
    const name = v.string('name', { maxLength: 2000 });
    v.boolean('clone_feature_states_async', { optional: true });
    v.assertValid();
    const grant = await this.permissions.projectGrant(principal, source.project);
    if (!grant || !(grant.admin || grant.permissions.has('CREATE_ENVIRONMENT'))) throw forbidden();
    const orgGrant = await this.permissions.organisationGrant(principal, source.project.organisationId);
    return writeTransaction(this.dataSource, async (manager) => {
      const repo = manager.getRepository(Environment);
      const {
        id: _id,
        uuid: _uuid,
        apiKey: _apiKey,
        project: _project,
        createdDate: _created,
        updatedAt: _updated,
        ...settings
      } = source;
      const clone = await repo.save(repo.create({ ...settings, name: name!, apiKey: newEnvironmentKey() }));

      const segmentRepo = manager.getRepository(FeatureSegment);
      const featureSegments = await segmentRepo.find({
        where: { environmentId: source.id },
        order: { id: 'ASC' },
      });
      const segmentCopies = await segmentRepo.save(
        featureSegments.map((fs) =>
          segmentRepo.create({
            featureId: fs.featureId,
            segmentId: fs.segmentId,
            environmentId: clone.id,
            priority: fs.priority,
          }),
        ),
      );
      const segmentMap = new Map(featureSegments.map((fs, i) => [fs.id, segmentCopies[i].id]));
      // Default states and segment override states are copied as they are (Flagsmith's FeatureState.clone).
      const stateRepo = manager.getRepository(FeatureState);
      const states = await stateRepo.find({
        where: { environmentId: source.id, identityId: IsNull() },
        order: { id: 'ASC' },
      });
      const stateCopies = await stateRepo.save(
        states.map((s) =>
          stateRepo.create({
            featureId: s.featureId,
            environmentId: clone.id,
            identityId: null,
            featureSegmentId:
              s.featureSegmentId === null ? null : (segmentMap.get(s.featureSegmentId) ?? null),
            enabled: s.enabled,
            ...valueColumns(s),
            liveFrom: s.liveFrom,
            version: s.version,
          }),
        ),
      );
      await this.values.copyMvValues(manager, new Map(states.map((s, i) => [s.id, stateCopies[i].id])));
      // A live feature the source has no default state for still gets one, as in a new environment.
      await this.createDefaultStates(manager, clone, source.project);
      if (principal.kind === 'user' && !orgGrant?.admin) {
        await manager
          .getRepository(EnvironmentUserPermission)
          .save({ environmentId: clone.id, userId: principal.user.id, admin: true, permissions: [] });
      }
      await this.changes.environmentsChanged(manager, [clone.id]);
      await this.audit.record(manager, {
        log: `New Environment created: ${clone.name} (cloned from ${source.name})`,
        principal,
        organisationId: source.project.organisationId,
        projectId: source.projectId,
        environmentId: clone.id,
        relatedObjectType: 'ENVIRONMENT',
        relatedObjectId: clone.id,
        relatedObjectUuid: clone.uuid,
      });
      return clone;
    });
  }

  // ---- server-side keys

  apiKeys(env: Environment): Promise<EnvironmentApiKey[]> {
    return this.dataSource
      .getRepository(EnvironmentApiKey)
      .find({ where: { environmentId: env.id }, order: { id: 'ASC' } });
  }

  async apiKey(env: Environment, idRaw: unknown): Promise<EnvironmentApiKey> {
    const id = parseId(idRaw);
    const key = id
      ? await this.dataSource.getRepository(EnvironmentApiKey).findOneBy({ id, environmentId: env.id })
      : null;
    if (!key) throw notFound();
    return key;
  }

  async createApiKey(env: Environment, body: unknown): Promise<EnvironmentApiKey> {
    const v = new BodyReader(body);
    const name = v.string('name', { maxLength: 100 });
    const active = v.boolean('active', { optional: true }) ?? true;
    const expiresAt = v.datetime('expires_at', { optional: true, nullable: true }) ?? null;
    v.assertValid();
    const repo = this.dataSource.getRepository(EnvironmentApiKey);
    return repo.save(
      repo.create({ environmentId: env.id, name: name!, active, expiresAt, key: newServerKey() }),
    );
  }

  async updateApiKey(env: Environment, key: EnvironmentApiKey, body: unknown, partial: boolean) {
    const v = new BodyReader(body, { partial });
    const name = v.string('name', { maxLength: 100 });
    const active = v.boolean('active', { optional: true });
    const expiresAt = v.datetime('expires_at', { optional: true, nullable: true });
    v.assertValid();
    if (name !== undefined) key.name = name;
    if (active !== undefined) key.active = active;
    if (expiresAt !== undefined) key.expiresAt = expiresAt;
    return writeTransaction(this.dataSource, async (manager) => {
      const saved = await manager.getRepository(EnvironmentApiKey).save(key);
      await this.changes.keysChanged(manager, [env.id]);
      return saved;
    });
  }

  async deleteApiKey(env: Environment, key: EnvironmentApiKey): Promise<void> {
    await writeTransaction(this.dataSource, async (manager) => {
      await manager.getRepository(EnvironmentApiKey).delete({ id: key.id });
      await this.changes.keysChanged(manager, [env.id]);
    });
  }
}
