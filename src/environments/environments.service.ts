import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { DomainError, NotFound, PermissionDenied, ValidationFailed } from '../common/domain-errors';
import { newEnvironmentKey, newServerKey } from '../common/keys';
import { UnitOfWork, WriteContext } from '../common/unit-of-work';
import { parseId } from '../common/drf-values';
import { FeatureStateValuesService } from '../features/feature-state-values.service';
import { PermissionsService } from '../permissions/permissions.service';
import { EntityMetadata } from '../entity-metadata/entity-metadata';
import type { Project } from '../projects/project.entity';
import { Environment, EnvironmentApiKey } from './environment.entity';
import type {
  CloneEnvironmentInput,
  CreateEnvironmentInput,
  EnvironmentJson,
  EnvironmentSettings,
  ServerKeyInput,
  UpdateEnvironmentInput,
} from './environment.schemas';
import { environmentJson } from './environment.serializers';
import { EnvironmentColumns, EnvironmentsRepository, ServerKeyColumns } from './environments.repository';

/**
 * `GET /environments/` without a valid `?project=`: Flagsmith raises a ValidationError with a plain message,
 * which DRF answers as a list of messages (not field errors).
 */
export class ProjectParameterInvalid extends DomainError {
  readonly status = 400;
  constructor() {
    super('Invalid or missing value for project parameter.');
    this.name = 'ProjectParameterInvalid';
  }
  body(): object {
    return [this.message];
  }
}

/** Environment settings of a request → the columns they set (only those sent). */
function settingColumns(input: EnvironmentSettings): EnvironmentColumns {
  const columns: EnvironmentColumns = {
    description: input.description,
    allowClientTraits: input.allow_client_traits,
    bannerText: input.banner_text,
    bannerColour: input.banner_colour,
    hideDisabledFlags: input.hide_disabled_flags,
    useIdentityCompositeKeyForHashing: input.use_identity_composite_key_for_hashing,
    hideSensitiveData: input.hide_sensitive_data,
    useIdentityOverridesInLocalEval: input.use_identity_overrides_in_local_eval,
    useMvV2Evaluation: input.use_mv_v2_evaluation,
    minimumChangeRequestApprovals: input.minimum_change_request_approvals,
  };
  for (const key of Object.keys(columns) as (keyof EnvironmentColumns)[])
    if (columns[key] === undefined) delete columns[key];
  return columns;
}

function serverKeyColumns(input: Partial<ServerKeyInput>): ServerKeyColumns {
  const columns: ServerKeyColumns = {};
  if (input.name !== undefined) columns.name = input.name;
  if (input.active !== undefined) columns.active = input.active;
  if (input.expires_at !== undefined)
    columns.expiresAt = input.expires_at === null ? null : new Date(input.expires_at);
  return columns;
}

/** Flagsmith keeps no audit record of server-side keys. */
const SERVER_KEYS_UNAUDITED = { unaudited: 'Flagsmith does not audit server-side keys' };

/**
 * Environments and their server-side keys (docs/contracts/admin-api.md §5): the rules; SQL in
 * EnvironmentsRepository, writes through the unit of work.
 */
@Injectable()
export class EnvironmentsService {
  constructor(
    private readonly environments: EnvironmentsRepository,
    private readonly uow: UnitOfWork,
    private readonly permissions: PermissionsService,
    private readonly values: FeatureStateValuesService,
    private readonly metadata: EntityMetadata,
  ) {}

  /** The bodies of these environments, with their custom field values (one query for all). */
  async json(environments: readonly Environment[]): Promise<EnvironmentJson[]> {
    const metadata = await this.metadata.valuesOf(
      'environment',
      environments.map((e) => e.id),
    );
    return environments.map((e) => environmentJson(e, metadata.get(e.id)));
  }

  /** GET /environments/?project=: the project's environments the caller may view (project MEMBER). */
  async list(principal: Principal, project: unknown): Promise<Environment[]> {
    const projectId = parseId(project);
    if (projectId === undefined) throw new ProjectParameterInvalid();
    const found = await this.permissions.requireProject(principal, projectId, 'MEMBER');
    return this.permissions.permittedEnvironments(principal, found, 'VIEW_ENVIRONMENT');
  }

  /** POST /environments/: CREATE_ENVIRONMENT on the project; one default state per live feature. */
  async create(principal: Principal, input: CreateEnvironmentInput): Promise<Environment> {
    const project = await this.permissions.requireProject(principal, input.project, 'CREATE_ENVIRONMENT');
    const orgGrant = await this.permissions.organisationGrant(principal, project.organisationId);
    return this.uow.run(async (tx) => {
      const created = await this.environments.insert(tx.manager, {
        name: input.name,
        projectId: project.id,
        apiKey: newEnvironmentKey(),
        ...settingColumns(input),
      });
      const metadata = await this.metadata.replace(
        tx.manager,
        { model: 'environment', id: created.id, project },
        input.metadata ?? [],
      );
      await this.createDefaultStates(tx, created, project);
      if (principal.kind === 'user' && !orgGrant?.admin)
        await this.environments.grantEnvironmentAdmin(tx.manager, created.id, principal.user.id);
      tx.environmentsChanged([created.id]);
      tx.audit({
        log: `New Environment created: ${created.name}`,
        principal,
        organisationId: project.organisationId,
        projectId: project.id,
        environmentId: created.id,
        relatedObjectType: 'ENVIRONMENT',
        relatedObjectId: created.id,
        relatedObjectUuid: created.uuid,
        after: environmentJson(created, metadata),
      });
      return created;
    });
  }

  /**
   * One new default state per live feature of the project that has none in the environment yet, through the
   * same code path as a new feature's states: default_enabled and the initial value, or disabled with no value
   * when the project prevents flag defaults; MV values at the options' default allocations.
   */
  private async createDefaultStates(
    tx: WriteContext,
    environment: Pick<Environment, 'id'>,
    project: Project,
  ): Promise<void> {
    const features = await this.environments.featuresWithoutDefaultState(
      tx.manager,
      project.id,
      environment.id,
    );
    await this.values.createEnvironmentDefaultStates(tx.manager, project, environment.id, features);
  }

  /**
   * PUT or PATCH (the admin panel's edit too). Writes exactly the columns the request names (a concurrent PATCH of
   * another field is kept, and a value equal to a stale copy is still written), on the row locked FOR NO KEY UPDATE:
   * `before` is the row as it was just before this write.
   */
  async update(
    principal: Principal,
    environment: Environment,
    input: Partial<UpdateEnvironmentInput>,
  ): Promise<Environment> {
    if (input.project !== undefined && input.project !== environment.projectId)
      throw ValidationFailed.field('project', 'Environments cannot be moved to another project.');
    const { name, project: _project, metadata: values, ...settings } = input;
    const columns: EnvironmentColumns = {
      ...(name !== undefined ? { name } : {}),
      ...settingColumns(settings),
    };
    return this.uow.run(async (tx) => {
      const current = await this.environments.lock(tx.manager, environment.id);
      if (!current) throw new NotFound();
      const owner = { model: 'environment', id: current.id, project: environment.project } as const;
      const metadataBefore = (await this.metadata.valuesOf('environment', [current.id], tx.manager)).get(
        current.id,
      );
      const before = environmentJson(current, metadataBefore);
      const saved = await this.environments.update(tx.manager, environment.id, columns);
      // Only when sent (PATCH writes only what it names); when sent, the complete list, required fields checked.
      const metadata = values ? await this.metadata.replace(tx.manager, owner, values) : metadataBefore;
      tx.environmentsChanged([environment.id]);
      tx.audit({
        log: `Environment updated: ${saved.name}`,
        principal,
        organisationId: environment.project.organisationId,
        projectId: environment.projectId,
        environmentId: environment.id,
        relatedObjectType: 'ENVIRONMENT',
        relatedObjectId: environment.id,
        relatedObjectUuid: environment.uuid,
        before,
        after: environmentJson(saved, metadata),
      });
      return saved;
    });
  }

  async remove(principal: Principal, environment: Environment): Promise<void> {
    await this.uow.run(async (tx) => {
      tx.environmentsDeleted([environment]);
      await this.environments.delete(tx.manager, environment.id);
      await this.metadata.remove(tx.manager, 'environment', [environment.id]);
      tx.audit({
        log: `Environment deleted: ${environment.name}`,
        principal,
        organisationId: environment.project.organisationId,
        projectId: environment.projectId,
        relatedObjectType: 'ENVIRONMENT',
        relatedObjectId: environment.id,
        relatedObjectUuid: environment.uuid,
        before: environmentJson(environment),
      });
    });
  }

  /**
   * A copy of the environment under a new name and key: settings, default feature states with their MV values,
   * segment overrides (feature segments, their states and MV values). Not identities. Needs CREATE_ENVIRONMENT
   * on the project (the route only checks VIEW_ENVIRONMENT on the source).
   */
  async clone(principal: Principal, source: Environment, input: CloneEnvironmentInput): Promise<Environment> {
    const grant = await this.permissions.projectGrant(principal, source.project);
    if (!grant || !(grant.admin || grant.permissions.has('CREATE_ENVIRONMENT'))) throw new PermissionDenied();
    const orgGrant = await this.permissions.organisationGrant(principal, source.project.organisationId);
    const {
      id: _id,
      uuid: _uuid,
      apiKey: _apiKey,
      project: _project,
      createdDate: _created,
      updatedAt: _updated,
      ...settings
    } = source;
    return this.uow.run(async (tx) => {
      const clone = await this.environments.insert(tx.manager, {
        ...settings,
        name: input.name,
        apiKey: newEnvironmentKey(),
        // A clone has not been evaluated by any SDK yet (Flagsmith's clone resets these).
        firstEvaluatedAt: null,
        firstEvaluatedSdkLabel: null,
      });
      const stateCopies = await this.environments.copyStates(tx.manager, source.id, clone.id);
      await this.values.copyMvValues(tx.manager, stateCopies);
      // A live feature the source has no default state for still gets one, as in a new environment.
      await this.createDefaultStates(tx, clone, source.project);
      if (principal.kind === 'user' && !orgGrant?.admin)
        await this.environments.grantEnvironmentAdmin(tx.manager, clone.id, principal.user.id);
      tx.environmentsChanged([clone.id]);
      tx.audit({
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

  serverKeys(environment: Environment): Promise<EnvironmentApiKey[]> {
    return this.environments.serverKeys(environment.id);
  }

  async serverKey(environment: Environment, id: number): Promise<EnvironmentApiKey> {
    const key = await this.environments.serverKey(environment.id, id);
    if (!key) throw new NotFound();
    return key;
  }

  createServerKey(environment: Environment, input: ServerKeyInput): Promise<EnvironmentApiKey> {
    return this.uow.run(
      (tx) =>
        this.environments.insertServerKey(tx.manager, {
          environmentId: environment.id,
          name: input.name,
          active: input.active ?? true,
          expiresAt: input.expires_at ? new Date(input.expires_at) : null,
          key: newServerKey(),
        }),
      SERVER_KEYS_UNAUDITED,
    );
  }

  /** PUT or PATCH: writes the fields sent; SDK caches holding the key are dropped (it may be revoked now). */
  updateServerKey(
    environment: Environment,
    id: number,
    input: Partial<ServerKeyInput>,
  ): Promise<EnvironmentApiKey> {
    return this.uow.run(async (tx) => {
      const saved = await this.environments.updateServerKey(
        tx.manager,
        environment.id,
        id,
        serverKeyColumns(input),
      );
      if (!saved) throw new NotFound();
      tx.serverKeysChanged([environment.id]);
      return saved;
    }, SERVER_KEYS_UNAUDITED);
  }

  async deleteServerKey(environment: Environment, id: number): Promise<void> {
    await this.uow.run(async (tx) => {
      if (!(await this.environments.deleteServerKey(tx.manager, environment.id, id))) throw new NotFound();
      tx.serverKeysChanged([environment.id]);
    }, SERVER_KEYS_UNAUDITED);
  }
}
