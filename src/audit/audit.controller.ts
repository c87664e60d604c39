import { Controller, Get, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal';
import { Page, pageOf, pageRequest } from '../common/pagination';
import { IdParam, Responds, ValidQuery } from '../http/schema';
import type { Organisation } from '../organisations/organisation.entity';
import {
  Authenticated,
  CurrentPrincipal,
  Permitted,
  RequirePermission,
} from '../permissions/permissions.decorators';
import type { Project } from '../projects/project.entity';
import { AuditQueriesService } from './audit-queries.service';
import type { AuditScope } from './audit.repository';
import {
  AuditDetailJson,
  type AuditJson,
  AuditPage,
  AuditQuery,
  type AuditQueryInput,
} from './audit.schemas';
import { auditDetailJson, auditJson } from './audit.serializers';

/**
 * docs/contracts/admin-api.md §10: GET /api/v1/audit/ (records of the organisations the caller administers and of the projects where
 * they have VIEW_AUDIT_LOG), /projects/{project_pk}/audit/ (VIEW_AUDIT_LOG), /organisations/{organisation_pk}/audit/
 * (organisation ADMIN); `{id}/` retrieves one record of the same scope. Filters: project, environments, search,
 * is_system_event. Newest first, PAGINATED.
 */
@Controller('api/v1')
export class AuditController {
  constructor(private readonly audit: AuditQueriesService) {}

  private async page(
    request: FastifyRequest,
    scope: AuditScope,
    query: AuditQueryInput,
  ): Promise<Page<AuditJson>> {
    const page = pageRequest(query);
    const { count, rows } = await this.audit.page(scope, query, page);
    return pageOf(request, page, count, rows.map(auditJson));
  }

  @Get('audit')
  @Authenticated()
  @Responds(200, AuditPage, 'A page of audit records, newest first')
  async list(
    @CurrentPrincipal() p: Principal,
    @ValidQuery(AuditQuery) query: AuditQueryInput,
    @Req() request: FastifyRequest,
  ): Promise<Page<AuditJson>> {
    return this.page(request, await this.audit.callerScope(p), query);
  }

  @Get('audit/:id')
  @Authenticated()
  @Responds(200, AuditDetailJson, 'The record with its changes')
  async retrieve(@CurrentPrincipal() p: Principal, @IdParam('id') id: number): Promise<AuditDetailJson> {
    return auditDetailJson(await this.audit.one(await this.audit.callerScope(p), id));
  }

  @Get('projects/:project_pk/audit')
  @RequirePermission('project', 'VIEW_AUDIT_LOG', { param: 'project_pk' })
  @Responds(200, AuditPage, 'A page of audit records, newest first')
  projectList(
    @Permitted('project') project: Project,
    @ValidQuery(AuditQuery) query: AuditQueryInput,
    @Req() request: FastifyRequest,
  ): Promise<Page<AuditJson>> {
    return this.page(request, this.audit.projectScope(project), query);
  }

  @Get('projects/:project_pk/audit/:id')
  @RequirePermission('project', 'VIEW_AUDIT_LOG', { param: 'project_pk' })
  @Responds(200, AuditDetailJson, 'The record with its changes')
  async projectRetrieve(
    @Permitted('project') project: Project,
    @IdParam('id') id: number,
  ): Promise<AuditDetailJson> {
    return auditDetailJson(await this.audit.one(this.audit.projectScope(project), id));
  }

  @Get('organisations/:organisation_pk/audit')
  @RequirePermission('organisation', 'ADMIN', { param: 'organisation_pk' })
  @Responds(200, AuditPage, 'A page of audit records, newest first')
  organisationList(
    @Permitted('organisation') organisation: Organisation,
    @ValidQuery(AuditQuery) query: AuditQueryInput,
    @Req() request: FastifyRequest,
  ): Promise<Page<AuditJson>> {
    return this.page(request, this.audit.organisationScope(organisation), query);
  }

  @Get('organisations/:organisation_pk/audit/:id')
  @RequirePermission('organisation', 'ADMIN', { param: 'organisation_pk' })
  @Responds(200, AuditDetailJson, 'The record with its changes')
  async organisationRetrieve(
    @Permitted('organisation') organisation: Organisation,
    @IdParam('id') id: number,
  ): Promise<AuditDetailJson> {
    return auditDetailJson(await this.audit.one(this.audit.organisationScope(organisation), id));
  }
}
