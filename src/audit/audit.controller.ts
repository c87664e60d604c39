import { BadRequestException, Controller, Get, Param, Req } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { FastifyRequest } from 'fastify';
import { Brackets, DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { ReplicaReads } from '../database/replica-reads';
import { Principal } from '../auth/principal';
import { notFound } from '../common/errors';
import { paginate } from '../common/pagination';
import { MESSAGES, parseId } from '../common/validation';
import { environmentJson } from '../environments/environment.serializers';
import { Organisation, OrganisationMembership } from '../organisations/organisation.entity';
import {
  Authenticated,
  CurrentPrincipal,
  Permitted,
  RequirePermission,
} from '../permissions/permissions.decorators';
import { PermissionsService } from '../permissions/permissions.service';
import { Project } from '../projects/project.entity';
import { projectJson } from '../projects/project.serializers';
import { AuditLog } from './audit-log.entity';

const BOOLEAN_QUERY: Record<string, boolean> = {
  true: true,
  True: true,
  '1': true,
  false: false,
  False: false,
  '0': false,
};

function auditJson(a: AuditLog) {
  const { environment, project, author } = a;
  return {
    id: a.id,
    created_date: a.createdDate.toISOString(),
    log: a.log,
    author: author
      ? {
          id: author.id,
          email: author.email,
          first_name: author.firstName,
          last_name: author.lastName,
          last_login: author.lastLogin?.toISOString() ?? null,
          uuid: author.uuid,
        }
      : null,
    environment: environment ? environmentJson(environment) : null,
    project: project ? projectJson(project) : null,
    related_object_id: a.relatedObjectId,
    related_object_uuid: a.relatedObjectUuid,
    related_object_type: a.relatedObjectType,
    is_system_event: a.isSystemEvent,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Retrieve shape: the list fields plus `change_details` ({field, old, new} per changed key) and `change_type`. */
function auditDetailJson(a: AuditLog) {
  const before = isRecord(a.before) ? a.before : null;
  const after = isRecord(a.after) ? a.after : null;
  const changeType = before && after ? 'UPDATE' : after ? 'CREATE' : before ? 'DELETE' : 'UNKNOWN';
  const fields = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
  const changeDetails = fields
    .filter((field) => JSON.stringify(before?.[field] ?? null) !== JSON.stringify(after?.[field] ?? null))
    .map((field) => ({ field, old: before?.[field] ?? null, new: after?.[field] ?? null }));
  return { ...auditJson(a), change_details: changeDetails, change_type: changeType };
}

/**
 * docs/contracts/admin-api.md §10: GET /api/v1/audit/ (records of the organisations the caller administers and of the projects where
 * they have VIEW_AUDIT_LOG), /projects/{project_pk}/audit/ (VIEW_AUDIT_LOG), /organisations/{organisation_pk}/audit/
 * (organisation ADMIN); `{id}/` retrieves one record of the same scope. Filters: project, environments, search,
 * is_system_event. Newest first, PAGINATED, two queries per page.
 */
@Controller('api/v1')
export class AuditController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly permissions: PermissionsService,
    private readonly replicaReads: ReplicaReads,
  ) {}

  /**
   * Audit records are read from a replica (ReplicaReads): they may lag the write they record by the replica's
   * replay lag, which the README documents. Scopes and permissions are read on the primary.
   */
  private onReplica<T>(request: FastifyRequest, read: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.replicaReads.read(read, request);
  }

  private base(manager: EntityManager): SelectQueryBuilder<AuditLog> {
    return manager
      .getRepository(AuditLog)
      .createQueryBuilder('a')
      .leftJoinAndSelect('a.author', 'author')
      .leftJoinAndSelect('a.environment', 'environment')
      .leftJoinAndSelect('a.project', 'project')
      .orderBy('a.createdDate', 'DESC')
      .addOrderBy('a.id', 'DESC');
  }

  private async adminOrganisationIds(principal: Principal): Promise<number[]> {
    if (principal.kind === 'master_key') return principal.key.isAdmin ? [principal.key.organisationId] : [];
    if (principal.user.isSuperuser)
      return (await this.dataSource.getRepository(Organisation).find({ select: { id: true } })).map(
        (o) => o.id,
      );
    const rows = await this.dataSource.getRepository(OrganisationMembership).find({
      where: { userId: principal.user.id, role: 'ADMIN' },
      select: { id: true, organisationId: true },
    });
    return rows.map((r) => r.organisationId);
  }

  private async callerScope(
    principal: Principal,
  ): Promise<(m: EntityManager) => SelectQueryBuilder<AuditLog>> {
    const projects = await this.permissions.permittedProjects(principal, 'VIEW_AUDIT_LOG');
    const organisations = await this.adminOrganisationIds(principal);
    return (manager) =>
      this.base(manager).where(
        new Brackets((w) =>
          w
            .where('a.project_id = ANY(:pids)', { pids: projects.map((p) => p.id) })
            .orWhere('(a.project_id IS NULL AND a.organisation_id = ANY(:orgs))', { orgs: organisations }),
        ),
      );
  }

  private organisationScope(
    organisation: Organisation,
    manager: EntityManager,
  ): SelectQueryBuilder<AuditLog> {
    return this.base(manager).where(
      '(a.organisation_id = :org OR a.project_id IN (SELECT id FROM projects WHERE organisation_id = :org))',
      { org: organisation.id },
    );
  }

  private projectScope(project: Project, manager: EntityManager): SelectQueryBuilder<AuditLog> {
    return this.base(manager).where('a.project_id = :project', { project: project.id });
  }

  private filter(request: FastifyRequest, qb: SelectQueryBuilder<AuditLog>): SelectQueryBuilder<AuditLog> {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const errors: Record<string, string[]> = {};
    if (query.project !== undefined && query.project !== '') {
      const project = parseId(query.project);
      if (project === undefined) errors.project = [MESSAGES.integer];
      else qb.andWhere('a.project_id = :filterProject', { filterProject: project });
    }
    if (query.environments !== undefined && query.environments !== '') {
      const items = (Array.isArray(query.environments) ? query.environments : [query.environments])
        .flatMap((item) => String(item).split(','))
        .filter((item) => item !== '');
      const ids = items.map((item) => parseId(item));
      if (ids.some((id) => id === undefined)) errors.environments = [MESSAGES.integer];
      else if (ids.length > 0) qb.andWhere('a.environment_id = ANY(:envs)', { envs: ids });
    }
    if (query.is_system_event !== undefined && query.is_system_event !== '') {
      const flag =
        typeof query.is_system_event === 'string' ? BOOLEAN_QUERY[query.is_system_event] : undefined;
      if (flag === undefined) errors.is_system_event = [MESSAGES.boolean];
      else qb.andWhere('a.is_system_event = :system', { system: flag });
    }
    if (query.search !== undefined && query.search !== '') {
      if (typeof query.search !== 'string') errors.search = [MESSAGES.string];
      else if (query.search.length > 256) errors.search = [MESSAGES.maxLength(256)];
      else
        qb.andWhere(`a.log ILIKE :search ESCAPE '\\'`, {
          search: `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
        });
    }
    if (Object.keys(errors).length > 0) throw new BadRequestException(errors);
    return qb;
  }

  private async one(qb: SelectQueryBuilder<AuditLog>, id: string) {
    const auditId = parseId(id);
    const record = auditId ? await qb.andWhere('a.id = :auditId', { auditId }).getOne() : null;
    if (!record) throw notFound();
    return auditDetailJson(record);
  }

  @Get('audit')
  @Authenticated()
  async list(@CurrentPrincipal() p: Principal, @Req() request: FastifyRequest) {
    const scope = await this.callerScope(p);
    return this.onReplica(request, (m) =>
      paginate(request, this.filter(request, scope(m)), (rows) => rows.map(auditJson)),
    );
  }

  @Get('audit/:id')
  @Authenticated()
  async retrieve(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Req() request: FastifyRequest) {
    const scope = await this.callerScope(p);
    return this.onReplica(request, (m) => this.one(scope(m), id));
  }

  @Get('projects/:project_pk/audit')
  @RequirePermission('project', 'VIEW_AUDIT_LOG', { param: 'project_pk' })
  projectList(@Permitted('project') project: Project, @Req() request: FastifyRequest) {
    return this.onReplica(request, (m) =>
      paginate(request, this.filter(request, this.projectScope(project, m)), (rows) => rows.map(auditJson)),
    );
  }

  @Get('projects/:project_pk/audit/:id')
  @RequirePermission('project', 'VIEW_AUDIT_LOG', { param: 'project_pk' })
  projectRetrieve(
    @Permitted('project') project: Project,
    @Param('id') id: string,
    @Req() request: FastifyRequest,
  ) {
    return this.onReplica(request, (m) => this.one(this.projectScope(project, m), id));
  }

  @Get('organisations/:organisation_pk/audit')
  @RequirePermission('organisation', 'ADMIN', { param: 'organisation_pk' })
  organisationList(@Permitted('organisation') organisation: Organisation, @Req() request: FastifyRequest) {
    return this.onReplica(request, (m) =>
      paginate(request, this.filter(request, this.organisationScope(organisation, m)), (rows) =>
        rows.map(auditJson),
      ),
    );
  }

  @Get('organisations/:organisation_pk/audit/:id')
  @RequirePermission('organisation', 'ADMIN', { param: 'organisation_pk' })
  organisationRetrieve(
    @Permitted('organisation') organisation: Organisation,
    @Param('id') id: string,
    @Req() request: FastifyRequest,
  ) {
    return this.onReplica(request, (m) => this.one(this.organisationScope(organisation, m), id));
  }
}
