import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { Organisation } from '../organisations/organisation.entity';
import { ProjectUserPermission } from '../permissions/permission.entity';
import { Project } from './project.entity';

/** The columns a write may set on a project (entity property names). */
export type ProjectColumns = Partial<
  Pick<
    Project,
    | 'name'
    | 'hideDisabledFlags'
    | 'preventFlagDefaults'
    | 'enableRealtimeUpdates'
    | 'onlyAllowLowerCaseFeatureNames'
    | 'featureNameRegex'
    | 'staleFlagsLimitDays'
    | 'minimumChangeRequestApprovals'
    | 'enforceFeatureOwners'
    | 'showEdgeIdentityOverridesForFeature'
  >
>;

/**
 * Every SQL statement about projects. Writes take the unit of work's manager (`tx.manager`); reads outside a
 * write use the primary. ProjectsService holds the rules; an in-memory twin is in projects.service.spec.ts.
 */
@Injectable()
export class ProjectsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(
    manager: EntityManager,
    fields: ProjectColumns & { name: string; organisationId: number },
  ): Promise<Project> {
    const repo = manager.getRepository(Project);
    return repo.save(repo.create(fields));
  }

  /** The row, locked FOR NO KEY UPDATE until the transaction ends (a PATCH validates against current values). */
  lock(manager: EntityManager, id: number): Promise<Project | null> {
    return manager.getRepository(Project).findOne({ where: { id }, lock: { mode: 'for_no_key_update' } });
  }

  /** Writes exactly these columns and returns the row as stored. */
  async update(manager: EntityManager, id: number, columns: ProjectColumns): Promise<Project> {
    if (Object.keys(columns).length) await manager.getRepository(Project).update({ id }, columns);
    return manager.getRepository(Project).findOneByOrFail({ id });
  }

  async delete(manager: EntityManager, id: number): Promise<void> {
    await manager.getRepository(Project).delete({ id });
  }

  /** The project's environments (ids and client keys), for the deletion notice. */
  async environmentKeys(
    manager: EntityManager,
    projectId: number,
  ): Promise<{ id: number; apiKey: string }[]> {
    const rows = await manager.query<{ id: number; api_key: string }[]>(
      'SELECT id, api_key FROM environments WHERE project_id = $1 ORDER BY id',
      [projectId],
    );
    return rows.map((r) => ({ id: r.id, apiKey: r.api_key }));
  }

  /** Makes the creator admin of the project they created (Flagsmith does so for non-admin creators). */
  async grantProjectAdmin(manager: EntityManager, projectId: number, userId: number): Promise<void> {
    await manager
      .getRepository(ProjectUserPermission)
      .save({ projectId, userId, admin: true, permissions: [] });
  }

  /** Live features and segments of the project, in one query (Flagsmith's total_features and total_segments). */
  async totals(projectId: number): Promise<{ features: number; segments: number }> {
    const [row] = await this.dataSource.query<{ features: number; segments: number }[]>(
      `SELECT (SELECT count(*)::int FROM features WHERE project_id = $1 AND deleted_at IS NULL) AS features,
              (SELECT count(*)::int FROM segments WHERE project_id = $1) AS segments`,
      [projectId],
    );
    return row;
  }

  organisation(organisationId: number): Promise<Organisation> {
    return this.dataSource
      .getRepository<Organisation>('Organisation')
      .findOneByOrFail({ id: organisationId });
  }
}
