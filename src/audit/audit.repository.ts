import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { escapeLike, pageOfQuery, type PageRequest } from '../common/pagination';
import { Organisation, OrganisationMembership } from '../organisations/organisation.entity';
import { AuditLog } from './audit-log.entity';

/** Which records a query may see. */
export type AuditScope =
  /** GET /audit/: the projects where the caller has VIEW_AUDIT_LOG, and the organisations they administer. */
  | { readonly kind: 'caller'; readonly projectIds: number[]; readonly organisationIds: number[] }
  | { readonly kind: 'organisation'; readonly organisationId: number }
  | { readonly kind: 'project'; readonly projectId: number };

export interface AuditFilters {
  readonly projectId?: number;
  readonly environmentIds?: number[];
  readonly isSystemEvent?: boolean;
  readonly search?: string;
}

/**
 * Every SQL statement reading the audit log (AuditService writes it). Reads take the manager they run on (a
 * replica's, see AuditLogService); newest first, two queries per page.
 */
@Injectable()
export class AuditRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async page(
    manager: EntityManager,
    scope: AuditScope,
    filters: AuditFilters,
    page: PageRequest,
  ): Promise<{ count: number; rows: AuditLog[] }> {
    const qb = this.query(manager, scope, filters);
    return pageOfQuery(qb, page);
  }

  one(manager: EntityManager, scope: AuditScope, id: number): Promise<AuditLog | null> {
    return this.query(manager, scope, {}).andWhere('a.id = :auditId', { auditId: id }).getOne();
  }

  /** Organisations the principal administers (read on the primary, as permissions are). */
  async adminOrganisationIds(user: { id: number; isSuperuser: boolean }): Promise<number[]> {
    if (user.isSuperuser)
      return (await this.dataSource.getRepository(Organisation).find({ select: { id: true } })).map(
        (o) => o.id,
      );
    const rows = await this.dataSource.getRepository(OrganisationMembership).find({
      where: { userId: user.id, role: 'ADMIN' },
      select: { id: true, organisationId: true },
    });
    return rows.map((r) => r.organisationId);
  }

  private query(
    manager: EntityManager,
    scope: AuditScope,
    filters: AuditFilters,
  ): SelectQueryBuilder<AuditLog> {
    const qb = manager
      .getRepository(AuditLog)
      .createQueryBuilder('a')
      .leftJoinAndSelect('a.author', 'author')
      .leftJoinAndSelect('a.environment', 'environment')
      .leftJoinAndSelect('a.project', 'project')
      .orderBy('a.createdDate', 'DESC')
      .addOrderBy('a.id', 'DESC');
    if (scope.kind === 'caller')
      qb.where(
        new Brackets((w) =>
          w
            .where('a.project_id = ANY(:pids)', { pids: scope.projectIds })
            .orWhere('(a.project_id IS NULL AND a.organisation_id = ANY(:orgs))', {
              orgs: scope.organisationIds,
            }),
        ),
      );
    else if (scope.kind === 'organisation')
      qb.where(
        '(a.organisation_id = :org OR a.project_id IN (SELECT id FROM projects WHERE organisation_id = :org))',
        { org: scope.organisationId },
      );
    else qb.where('a.project_id = :project', { project: scope.projectId });
    if (filters.projectId !== undefined)
      qb.andWhere('a.project_id = :filterProject', { filterProject: filters.projectId });
    if (filters.environmentIds?.length)
      qb.andWhere('a.environment_id = ANY(:envs)', { envs: filters.environmentIds });
    if (filters.isSystemEvent !== undefined)
      qb.andWhere('a.is_system_event = :system', { system: filters.isSystemEvent });
    if (filters.search !== undefined)
      qb.andWhere(`a.log ILIKE :search ESCAPE '\\'`, {
        search: `%${escapeLike(filters.search)}%`,
      });
    return qb;
  }
}
