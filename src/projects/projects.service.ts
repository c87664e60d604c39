import { writeTransaction } from '../common/transaction';
import { Injectable } from '@nestjs/common';
import { compileRegex } from '../../libs/engine/src';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Principal } from '../auth/principal';
import { fieldError, forbidden } from '../common/errors';
import { BodyReader } from '../common/validation';
import { EnvironmentChangesService } from '../environments/environment-changes.service';
import { Organisation } from '../organisations/organisation.entity';
import { ProjectUserPermission } from '../permissions/permission.entity';
import { PermissionsService } from '../permissions/permissions.service';
import { Project } from './project.entity';
import { projectJson } from './project.serializers';

/** Projects (docs/contracts/admin-api.md §4). */
@Injectable()
export class ProjectsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly permissions: PermissionsService,
    private readonly audit: AuditService,
    private readonly changes: EnvironmentChangesService,
  ) {}

  private readSettings(v: BodyReader) {
    const regex = v.string('feature_name_regex', { optional: true, nullable: true, maxLength: 255 });
    // RE2 syntax, as feature names are checked with it (FeaturesService.checkName).
    if (typeof regex === 'string' && compileRegex(regex) === null)
      v.error('feature_name_regex', 'Invalid regex pattern');
    return {
      hideDisabledFlags: v.boolean('hide_disabled_flags', { optional: true }),
      preventFlagDefaults: v.boolean('prevent_flag_defaults', { optional: true }),
      enableRealtimeUpdates: v.boolean('enable_realtime_updates', { optional: true }),
      onlyAllowLowerCaseFeatureNames: v.boolean('only_allow_lower_case_feature_names', { optional: true }),
      featureNameRegex: regex,
      staleFlagsLimitDays: v.integer('stale_flags_limit_days', { optional: true, min: 1 }),
      minimumChangeRequestApprovals: v.integer('minimum_change_request_approvals', {
        optional: true,
        nullable: true,
        min: 0,
      }),
      enforceFeatureOwners: v.boolean('enforce_feature_owners', { optional: true }),
      showEdgeIdentityOverridesForFeature: v.boolean('show_edge_identity_overrides_for_feature', {
        optional: true,
      }),
    };
  }

  private apply(project: Project, settings: ReturnType<ProjectsService['readSettings']>) {
    for (const [key, value] of Object.entries(settings) as [keyof typeof settings, unknown][]) {
      if (value !== undefined) (project as unknown as Record<string, unknown>)[key] = value;
    }
  }

  /** POST /projects/: org ADMIN, or CREATE_PROJECT unless the organisation restricts it to admins. */
  async create(principal: Principal, body: unknown): Promise<Project> {
    const v = new BodyReader(body);
    const name = v.string('name', { maxLength: 2000 });
    const organisationId = v.integer('organisation', { min: 1 });
    const settings = this.readSettings(v);
    v.assertValid();
    const organisation = await this.permissions.requireOrganisation(principal, organisationId, 'MEMBER');
    const grant = await this.permissions.organisationGrant(principal, organisation.id);
    const mayCreate =
      !!grant &&
      (grant.admin ||
        (!organisation.restrictProjectCreateToAdmin && grant.permissions.has('CREATE_PROJECT')));
    if (!mayCreate) throw forbidden();
    return writeTransaction(this.dataSource, async (manager) => {
      const repo = manager.getRepository(Project);
      const project = repo.create({ name: name!, organisationId: organisation.id });
      this.apply(project, settings);
      const saved = await repo.save(project);
      if (principal.kind === 'user' && !grant.admin) {
        await manager
          .getRepository(ProjectUserPermission)
          .save({ projectId: saved.id, userId: principal.user.id, admin: true, permissions: [] });
      }
      await this.audit.record(manager, {
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

  async update(principal: Principal, project: Project, body: unknown, partial: boolean): Promise<Project> {
    const v = new BodyReader(body, { partial });
    const name = v.string('name', { maxLength: 2000 });
    if (v.has('organisation') && v.integer('organisation') !== project.organisationId)
      throw fieldError('organisation', 'Projects cannot be moved to another organisation.');
    const settings = this.readSettings(v);
    v.assertValid();
    const before = projectJson(project);
    // The columns this request names, as given: PATCH writes exactly these (a concurrent PATCH of another field
    // is kept, and a value equal to a stale copy is still written).
    const given: Partial<Project> = {};
    if (name !== undefined) given.name = project.name = name;
    this.apply(given as Project, settings);
    this.apply(project, settings);
    return writeTransaction(this.dataSource, async (manager) => {
      // PUT replaces every setting.
      const { organisation: _o, ...columns } = partial ? given : project;
      if (Object.keys(columns).length)
        await manager.getRepository(Project).update({ id: project.id }, columns);
      const saved = await manager.getRepository(Project).findOneByOrFail({ id: project.id });
      await this.changes.projectChanged(manager, saved.id);
      await this.audit.record(manager, {
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
    await writeTransaction(this.dataSource, async (manager) => {
      const envs = await manager.query<{ id: number; api_key: string }[]>(
        'SELECT id, api_key FROM environments WHERE project_id = $1',
        [project.id],
      );
      await this.changes.environmentsDeleted(
        manager,
        envs.map((e) => ({ id: e.id, apiKey: e.api_key })),
      );
      await manager.getRepository(Project).delete({ id: project.id });
      await this.audit.record(manager, {
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

  async organisationOf(project: Project): Promise<Organisation> {
    return this.dataSource.getRepository(Organisation).findOneByOrFail({ id: project.organisationId });
  }
}
