import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { NotFound } from '../common/domain-errors';
import type { PageRequest } from '../common/pagination';
import { ReplicaReads } from '../database/replica-reads';
import type { Organisation } from '../organisations/organisation.entity';
import { PermissionsService } from '../permissions/permissions.service';
import type { Project } from '../projects/project.entity';
import { AuditLog } from './audit-log.entity';
import { AuditFilters, AuditRepository, AuditScope } from './audit.repository';
import { type AuditQueryInput, BOOLEAN_QUERY, environmentIds } from './audit.schemas';

/**
 * Reading the audit log (docs/contracts/admin-api.md §10). Records are read from a replica (ReplicaReads): they may
 * lag the write they record by the replica's replay lag, which the README documents. Scopes and permissions are
 * read on the primary.
 */
@Injectable()
export class AuditQueriesService {
  constructor(
    private readonly records: AuditRepository,
    private readonly permissions: PermissionsService,
    private readonly replicaReads: ReplicaReads,
  ) {}

  /** GET /audit/: records of the projects where the caller has VIEW_AUDIT_LOG and of the organisations they administer. */
  async callerScope(principal: Principal): Promise<AuditScope> {
    const projects = await this.permissions.permittedProjects(principal, 'VIEW_AUDIT_LOG');
    let organisationIds: number[];
    if (principal.kind === 'master_key')
      organisationIds = principal.key.isAdmin ? [principal.key.organisationId] : [];
    else organisationIds = await this.records.adminOrganisationIds(principal.user);
    return { kind: 'caller', projectIds: projects.map((p) => p.id), organisationIds };
  }

  projectScope(project: Project): AuditScope {
    return { kind: 'project', projectId: project.id };
  }

  organisationScope(organisation: Organisation): AuditScope {
    return { kind: 'organisation', organisationId: organisation.id };
  }

  page(
    scope: AuditScope,
    query: AuditQueryInput,
    page: PageRequest,
  ): Promise<{ count: number; rows: AuditLog[] }> {
    return this.replicaReads.read((m) => this.records.page(m, scope, filtersOf(query), page));
  }

  async one(scope: AuditScope, id: number): Promise<AuditLog> {
    const record = await this.replicaReads.read((m) => this.records.one(m, scope, id));
    if (!record) throw new NotFound();
    return record;
  }
}

/** The validated query as repository filters. */
export function filtersOf(query: AuditQueryInput): AuditFilters {
  return {
    projectId: query.project,
    environmentIds: query.environments === undefined ? undefined : environmentIds(query.environments),
    isSystemEvent: query.is_system_event === undefined ? undefined : BOOLEAN_QUERY[query.is_system_event],
    search: query.search,
  };
}
