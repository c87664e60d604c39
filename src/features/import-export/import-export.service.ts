import { Inject, Injectable } from '@nestjs/common';
import { QueryFailedError, type EntityManager } from 'typeorm';
import { Principal } from '../../auth/principal';
import {
  BadRequest,
  DomainError,
  NotFound,
  PermissionDenied,
  ValidationFailed,
} from '../../common/domain-errors';
import type { PageRequest } from '../../common/pagination';
import { UnitOfWork, type WriteContext } from '../../common/unit-of-work';
import { APP_CONFIG, AppConfig } from '../../config';
import type { Environment } from '../../environments/environment.entity';
import { PermissionsService } from '../../permissions/permissions.service';
import type { Project } from '../../projects/project.entity';
import type { UploadedFile } from '../../http/multipart';
import { Feature, MultivariateFeatureOption } from '../feature.entity';
import { FeatureStateValuesService, type MvValueInput } from '../feature-state-values.service';
import { rawValue, type TypedValue } from '../feature-values';
import { MvOptionsService } from '../mv-options.service';
import { FEATURE_CREATED } from '../features.service';
import {
  type ExportedFeature,
  FILE_TOO_LARGE,
  MAX_FEATURE_IMPORT_SIZE,
  readExportFile,
  renderExport,
} from './export-format';
import { FeatureExport, FeatureImport, type ImportStrategy } from './feature-transfer.entity';
import { ImportExportRepository } from './import-export.repository';

/** How often Flagsmith's recurring task makes a new Flagsmith-on-Flagsmith export. */
const FLAGSMITH_ON_FLAGSMITH_PERIOD_MS = 24 * 60 * 60 * 1000;

/** What an import did, for its audit line. */
interface ImportTally {
  created: Feature[];
  overwritten: Feature[];
  skipped: number;
  identityOverridesDeleted: boolean;
}

/** A feature's typed columns from a value of the file. */
export function typedValue(
  type: TypedValue['valueType'],
  value: string | number | boolean | null,
): TypedValue {
  return {
    valueType: type,
    stringValue: type === 'unicode' ? (value as string | null) : null,
    integerValue: type === 'int' ? (value as number | null) : null,
    booleanValue: type === 'bool' ? (value as boolean | null) : null,
  };
}

const optionValue = (o: MultivariateFeatureOption) => rawValue({ ...o, valueType: o.type });
const optionKey = (type: string, value: unknown) => `${type}:${JSON.stringify(value)}`;

/**
 * Flagsmith's feature export and import (features/import_export/): an export is the file of one environment's
 * default states; an import applies such a file to an environment — features missing from the project are
 * created (with their default states in every environment), existing ones are left alone (SKIP) or get the file's
 * state in that environment only, their segment and identity overrides there removed (OVERWRITE_DESTRUCTIVE).
 * Flagsmith runs both as background tasks; here each runs in its request, in one unit of work, and the record is
 * stored with its final status (SUCCESS, or FAILED when a rule refuses the import: nothing of it is kept).
 */
@Injectable()
export class ImportExportService {
  constructor(
    private readonly repository: ImportExportRepository,
    private readonly uow: UnitOfWork,
    private readonly permissions: PermissionsService,
    private readonly values: FeatureStateValuesService,
    private readonly mvOptions: MvOptionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  // ---- export

  /** POST /features/create-feature-export/ (environment ADMIN, checked by the route's guard). */
  createExport(principal: Principal | null, environment: Environment, tagIds: readonly number[]) {
    return this.uow.run(async (tx) => {
      const data = renderExport(await this.exportedFeatures(tx.manager, environment.id, tagIds));
      const saved = await this.repository.insertExport(tx.manager, {
        environmentId: environment.id,
        status: 'SUCCESS',
        data,
      });
      tx.audit({
        log: `Feature export created for environment: ${environment.name}`,
        principal,
        ...environmentTarget(environment),
      });
      return saved;
    });
  }

  /** The file's items: Flagsmith's _export_features_for_environment. */
  async exportedFeatures(
    manager: EntityManager,
    environmentId: number,
    tagIds: readonly number[],
  ): Promise<ExportedFeature[]> {
    const states = await this.repository.exportedStates(manager, environmentId, tagIds);
    return states.map(({ state, shares }) => ({
      name: state.feature.name,
      default_enabled: state.feature.defaultEnabled,
      is_server_key_only: state.feature.isServerKeyOnly,
      initial_value: state.feature.initialValue,
      value: rawValue(state),
      type: state.valueType,
      enabled: state.enabled,
      multivariate: shares.map((share) => ({
        percentage_allocation: share.percentageAllocation,
        default_percentage_allocation: share.multivariateFeatureOption.defaultPercentageAllocation,
        value: optionValue(share.multivariateFeatureOption),
        type: share.multivariateFeatureOption.type,
      })),
    }));
  }

  /** GET /features/download-feature-export/{id}/: the file, for an ADMIN of the export's environment. */
  async download(principal: Principal, id: number): Promise<FeatureExport> {
    const featureExport = await this.repository.findExport(id);
    if (!featureExport) throw new NotFound();
    await this.permissions.requireEnvironment(principal, featureExport.environmentId, 'ADMIN', 'id');
    if (featureExport.status !== 'SUCCESS' || featureExport.data === null)
      throw new BadRequest(`Unable to download export with status '${featureExport.status}'.`);
    return featureExport;
  }

  /** Exports of the project's environments the caller administers, newest first. */
  async pageExports(principal: Principal, project: Project, page: PageRequest) {
    return this.repository.pageExports(await this.administeredEnvironmentIds(principal, project), page);
  }

  async pageImports(principal: Principal, project: Project, page: PageRequest) {
    return this.repository.pageImports(await this.administeredEnvironmentIds(principal, project), page);
  }

  private async administeredEnvironmentIds(principal: Principal, project: Project): Promise<number[]> {
    return (await this.permissions.permittedEnvironments(principal, project, 'ADMIN')).map((e) => e.id);
  }

  /**
   * GET /features/download-flagsmith-on-flagsmith/ (anyone): the newest export of the configured environment's
   * features with the configured tag. Flagsmith makes one a day in a recurring task; with no task runner here, the
   * first request after a day makes it (so at most one write a day, whoever asks).
   */
  async flagsmithOnFlagsmith(now = new Date()): Promise<{ id: number; data: string }> {
    const environmentId = this.config.FLAGSMITH_ON_FLAGSMITH_FEATURE_EXPORT_ENVIRONMENT_ID;
    const tagId = this.config.FLAGSMITH_ON_FLAGSMITH_FEATURE_EXPORT_TAG_ID;
    if (!environmentId || !tagId) throw new NotFound('This system is not configured for this download.');
    let latest = await this.repository.latestFlagsmithOnFlagsmith();
    if (!latest || now.getTime() - latest.createdAt.getTime() >= FLAGSMITH_ON_FLAGSMITH_PERIOD_MS) {
      const environment = await this.repository.environment(environmentId);
      if (environment) {
        await this.uow.run(async (tx) => {
          const data = renderExport(await this.exportedFeatures(tx.manager, environment.id, [tagId]));
          const saved = await this.repository.insertExport(tx.manager, {
            environmentId: environment.id,
            status: 'SUCCESS',
            data,
          });
          await this.repository.insertFlagsmithOnFlagsmith(tx.manager, saved.id);
          tx.audit({
            log: `Flagsmith-on-Flagsmith feature export created for environment: ${environment.name}`,
            isSystemEvent: true,
            ...environmentTarget(environment),
          });
        });
        latest = await this.repository.latestFlagsmithOnFlagsmith();
      }
    }
    if (!latest?.featureExport.data) throw new NotFound('There is no present downloadable export.');
    return { id: latest.id, data: latest.featureExport.data };
  }

  // ---- import

  /**
   * POST /features/feature-import/{environment_id}: organisation ADMIN only (imports can be destructive). A file
   * that is not a Flagsmith export is a 400 naming the problem, and nothing is written.
   */
  async importFile(
    principal: Principal,
    environment: Environment,
    file: UploadedFile,
    strategy: ImportStrategy,
  ): Promise<FeatureImport> {
    const role = await this.permissions.organisationRole(principal, environment.project.organisationId);
    if (role === null) throw new NotFound();
    if (role !== 'ADMIN') throw new PermissionDenied();
    if (file.size > MAX_FEATURE_IMPORT_SIZE) throw ValidationFailed.field('file', FILE_TOO_LARGE);
    const reading = readExportFile(file.content);
    if (!reading.ok) throw ValidationFailed.field('file', reading.problem);
    const data = file.content.toString('utf8');
    try {
      return await this.uow.run(async (tx) => {
        const tally = await this.apply(tx, environment, reading.features, strategy);
        const saved = await this.repository.insertImport(tx.manager, {
          environmentId: environment.id,
          strategy,
          status: 'SUCCESS',
          data,
        });
        tx.audit({
          log:
            `Features imported into environment ${environment.name} (${strategy}): ` +
            `${tally.created.length} created, ${tally.overwritten.length} overwritten, ${tally.skipped} skipped`,
          principal,
          ...environmentTarget(environment),
        });
        return saved;
      });
    } catch (err) {
      if (!isRefusal(err)) throw err;
      // Flagsmith keeps the record of a failed import (status FAILED); the import itself was rolled back.
      return this.uow.run(async (tx) => {
        const saved = await this.repository.insertImport(tx.manager, {
          environmentId: environment.id,
          strategy,
          status: 'FAILED',
          data,
        });
        tx.audit({
          log: `Feature import into environment ${environment.name} failed: ${refusalText(err)}`,
          principal,
          ...environmentTarget(environment),
        });
        return saved;
      });
    }
  }

  /** Flagsmith's _import_features_for_environment, item by item in the file's order. */
  private async apply(
    tx: WriteContext,
    environment: Environment,
    features: readonly ExportedFeature[],
    strategy: ImportStrategy,
  ): Promise<ImportTally> {
    const manager = tx.manager;
    // One import of an environment at a time: a second waits for this one, then sees its features.
    if (!(await this.repository.lockEnvironment(manager, environment.id))) throw new NotFound();
    const project = environment.project;
    const tally: ImportTally = { created: [], overwritten: [], skipped: 0, identityOverridesDeleted: false };
    for (const item of features) {
      let feature = await this.repository.lockFeatureNamed(manager, project.id, item.name);
      if (feature && strategy === 'SKIP') {
        tally.skipped++;
        continue;
      }
      if (feature) tally.overwritten.push(feature);
      else {
        feature = await this.repository.insertFeature(manager, {
          name: item.name,
          projectId: project.id,
          initialValue: item.initial_value,
          isServerKeyOnly: item.is_server_key_only,
          defaultEnabled: item.default_enabled,
        });
        await this.values.createDefaultStates(manager, project, feature, []);
        tally.created.push(feature);
      }
      if (await this.overwrite(manager, environment, feature, item)) tally.identityOverridesDeleted = true;
    }
    if (tally.created.length) tx.projectChanged(project.id);
    tx.environmentsChanged([environment.id]);
    if (tally.identityOverridesDeleted) tx.identitiesChanged(environment.id, null);
    for (const feature of tally.created)
      tx.audit({
        log: FEATURE_CREATED(feature.name),
        ...environmentTarget(environment),
        relatedObjectType: 'FEATURE',
        relatedObjectId: feature.id,
        relatedObjectUuid: feature.uuid,
      });
    return tally;
  }

  /**
   * Flagsmith's overwrite_feature_for_environment: the feature's segment and identity overrides in the environment
   * are removed, its default state takes the item's enabled and value, options missing (by type and value) are
   * created, the listed ones get the item's shares and the others 0. True when identity overrides were removed.
   */
  private async overwrite(
    manager: EntityManager,
    environment: Environment,
    feature: Feature,
    item: ExportedFeature,
  ): Promise<boolean> {
    await this.repository.deleteSegmentOverrides(manager, feature.id, environment.id);
    const identityOverrides = await this.repository.deleteIdentityOverrides(
      manager,
      feature.id,
      environment.id,
    );
    const state =
      (await this.repository.lockDefaultState(manager, feature.id, environment.id)) ??
      this.values.newDefaultState(manager, environment.project, feature, environment.id);
    const options = new Map(
      (await this.repository.options(manager, feature.id)).map((o) => [optionKey(o.type, optionValue(o)), o]),
    );
    const shares = new Map<number, number>();
    if (state.id)
      for (const share of await this.repository.mvShares(manager, state.id))
        shares.set(share.multivariateFeatureOptionId, 0);
    for (const mv of item.multivariate) {
      const key = optionKey(mv.type, mv.value);
      let option = options.get(key);
      if (!option) {
        const typed = typedValue(mv.type, mv.value);
        option = await this.mvOptions.insert(manager, feature, {
          type: mv.type,
          stringValue: typed.stringValue,
          integerValue: typed.integerValue,
          booleanValue: typed.booleanValue,
          defaultPercentageAllocation: mv.default_percentage_allocation,
        });
        options.set(key, option);
      }
      shares.set(option.id, mv.percentage_allocation);
    }
    const mvValues: MvValueInput[] = [...shares].map(([optionId, percentageAllocation]) => ({
      optionId,
      percentageAllocation,
    }));
    await this.values.apply(manager, state, {
      enabled: item.enabled,
      value: typedValue(item.type, item.value),
      mvValues,
    });
    return identityOverrides > 0;
  }
}

function environmentTarget(environment: Environment) {
  return {
    organisationId: environment.project.organisationId,
    projectId: environment.projectId,
    environmentId: environment.id,
    relatedObjectType: 'ENVIRONMENT' as const,
    relatedObjectId: environment.id,
    relatedObjectUuid: environment.uuid,
  };
}

/** A rule of this server refused a step of the import (not a fault: the import is recorded as FAILED). */
function isRefusal(err: unknown): boolean {
  if (err instanceof DomainError) return true;
  const code =
    err instanceof QueryFailedError ? (err.driverError as { code?: string } | undefined)?.code : undefined;
  return typeof code === 'string' && code.startsWith('23'); // integrity constraint violation
}

function refusalText(err: unknown): string {
  if (err instanceof DomainError) return JSON.stringify(err.body());
  return 'a constraint of the database refused it';
}
