import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { NotFound, PermissionDenied, ValidationFailed } from '../common/domain-errors';
import { UnitOfWork } from '../common/unit-of-work';
import { toInteger } from '../common/drf-values';
import type { Organisation } from '../organisations/organisation.entity';
import { PermissionsService } from '../permissions/permissions.service';
import { Project } from './project.entity';
import type {
  CreateProjectInput,
  ProjectDetailJson,
  ProjectSettings,
  UpdateProjectInput,
} from './project.schemas';
import { projectJson } from './project.serializers';
import { ProjectColumns, ProjectsRepository } from './projects.repository';

/** Project settings of a request → the columns they set (only those sent). */
function settingColumns(input: ProjectSettings): ProjectColumns {
  const columns: ProjectColumns = {
    hideDisabledFlags: input.hide_disabled_flags,
    preventFlagDefaults: input.prevent_flag_defaults,
    enableRealtimeUpdates: input.enable_realtime_updates,
    onlyAllowLowerCaseFeatureNames: input.only_allow_lower_case_feature_names,
    featureNameRegex: input.feature_name_regex,
    staleFlagsLimitDays: input.stale_flags_limit_days,
    minimumChangeRequestApprovals: input.minimum_change_request_approvals,
    enforceFeatureOwners: input.enforce_feature_owners,
    showEdgeIdentityOverridesForFeature: input.show_edge_identity_overrides_for_feature,
  };
  for (const key of Object.keys(columns) as (keyof ProjectColumns)[])
    if (columns[key] === undefined) delete columns[key];
  return columns;
}

/** Projects (docs/contracts/admin-api.md §4): the rules; SQL in ProjectsRepository, writes through the unit of work. */
@Injectable()
export class ProjectsService {
  constructor(
    private readonly projects: ProjectsRepository,
    private readonly uow: UnitOfWork,
    private readonly permissions: PermissionsService,
  ) {}

  /** GET /projects/{id}/: the project with its live feature and segment counts. */
  async detail(project: Project): Promise<ProjectDetailJson> {
    const totals = await this.projects.totals(project.id);
    return { ...projectJson(project), total_features: totals.features, total_segments: totals.segments };
  }

  /** POST /projects/: org ADMIN, or CREATE_PROJECT unless the organisation restricts it to admins. */
  async create(principal: Principal, input: CreateProjectInput): Promise<Project> {
    const organisation = await this.permissions.requireOrganisation(principal, input.organisation, 'MEMBER');
    const grant = await this.permissions.organisationGrant(principal, organisation.id);
    const mayCreate =
      !!grant &&
      (grant.admin ||
        (!organisation.restrictProjectCreateToAdmin && grant.permissions.has('CREATE_PROJECT')));
    if (!mayCreate) throw new PermissionDenied();
    return this.uow.run(async (tx) => {
      const saved = await this.projects.insert(tx.manager, {
        name: input.name,
        organisationId: organisation.id,
        ...settingColumns(input),
      });
      if (principal.kind === 'user' && !grant.admin)
        await this.projects.grantProjectAdmin(tx.manager, saved.id, principal.user.id);
      tx.audit({
        log: `New Project created: ${saved.name}`,
        principal,
        organisationId: organisation.id,
        projectId: saved.id,
        relatedObjectType: 'PROJECT',
        relatedObjectId: saved.id,
        relatedObjectUuid: saved.uuid,
        after: projectJson(saved),
      });
      return saved;
    });
  }

  /**
   * PUT (`partial` false) or PATCH. Writes exactly the columns the request names (a concurrent PATCH of another
   * field is kept), on the row locked FOR NO KEY UPDATE: `before` is the row as it was just before this write.
   */
  async update(principal: Principal, project: Project, input: Partial<UpdateProjectInput>): Promise<Project> {
    if (input.organisation !== undefined && toInteger(input.organisation) !== project.organisationId)
      throw ValidationFailed.field('organisation', 'Projects cannot be moved to another organisation.');
    const { name, organisation: _organisation, ...settings } = input;
    const columns: ProjectColumns = { ...(name !== undefined ? { name } : {}), ...settingColumns(settings) };
    return this.uow.run(async (tx) => {
      const current = await this.projects.lock(tx.manager, project.id);
      if (!current) throw new NotFound();
      const before = projectJson(current);
      const saved = await this.projects.update(tx.manager, project.id, columns);
      tx.projectChanged(saved.id);
      tx.audit({
        log: `Project updated: ${saved.name}`,
        principal,
        organisationId: saved.organisationId,
        projectId: saved.id,
        relatedObjectType: 'PROJECT',
        relatedObjectId: saved.id,
        relatedObjectUuid: saved.uuid,
        before,
        after: projectJson(saved),
      });
      return saved;
    });
  }

  async remove(principal: Principal, project: Project): Promise<void> {
    await this.uow.run(async (tx) => {
      tx.environmentsDeleted(await this.projects.environmentKeys(tx.manager, project.id));
      await this.projects.delete(tx.manager, project.id);
      tx.audit({
        log: `Project deleted: ${project.name}`,
        principal,
        organisationId: project.organisationId,
        relatedObjectType: 'PROJECT',
        relatedObjectId: project.id,
        relatedObjectUuid: project.uuid,
        before: projectJson(project),
      });
    });
  }

  organisationOf(project: Project): Promise<Organisation> {
    return this.projects.organisation(project.organisationId);
  }
}
