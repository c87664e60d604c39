import { Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { newEnvironmentKey } from '../common/keys';
import { Environment } from '../environments/environment.entity';
import { Identity } from '../identities/identity.entity';
import {
  Organisation,
  OrganisationMembership,
  OrganisationRole,
  UserGroup,
} from '../organisations/organisation.entity';
import {
  EnvironmentUserPermission,
  OrganisationUserPermission,
  ProjectUserPermission,
} from '../permissions/permission.entity';
import { Project } from '../projects/project.entity';
import { User } from '../users/user.entity';

/** Every SQL statement of the e2e teardown and seed (Flagsmith's `api/e2etests/`). */
@Injectable()
export class E2eTestsRepository {
  /** Ids of the users with these emails (case-insensitively, as sign-in matches them). */
  async userIds(manager: EntityManager, emails: readonly string[]): Promise<number[]> {
    const rows = await manager.query<{ id: number }[]>(
      'SELECT id FROM users WHERE lower(email) = ANY($1::text[]) ORDER BY id',
      [emails.map((e) => e.toLowerCase())],
    );
    return rows.map((r) => r.id);
  }

  /** Every organisation these users belong to, with the environments in it (ids and client keys). */
  async organisationsOf(
    manager: EntityManager,
    userIds: readonly number[],
  ): Promise<{ organisationIds: number[]; environments: { id: number; apiKey: string }[] }> {
    const orgs = await manager.query<{ id: number }[]>(
      'SELECT DISTINCT organisation_id AS id FROM organisation_memberships WHERE user_id = ANY($1::int[]) ORDER BY 1',
      [userIds],
    );
    const organisationIds = orgs.map((o) => o.id);
    const envs = await manager.query<{ id: number; api_key: string }[]>(
      `SELECT e.id, e.api_key FROM environments e JOIN projects p ON p.id = e.project_id
        WHERE p.organisation_id = ANY($1::int[]) ORDER BY e.id`,
      [organisationIds],
    );
    return { organisationIds, environments: envs.map((e) => ({ id: e.id, apiKey: e.api_key })) };
  }

  /** Deletes the organisations (everything in them goes by cascade), then the users. */
  async deleteAll(manager: EntityManager, organisationIds: readonly number[], userIds: readonly number[]) {
    if (organisationIds.length)
      await manager.getRepository(Organisation).delete({ id: In([...organisationIds]) });
    if (userIds.length) await manager.getRepository(User).delete({ id: In([...userIds]) });
  }

  async insertUser(manager: EntityManager, email: string, password: string): Promise<number> {
    const repo = manager.getRepository(User);
    return (await repo.save(repo.create({ email, password }))).id;
  }

  async insertOrganisation(manager: EntityManager, name: string, persistTraitData: boolean): Promise<number> {
    const repo = manager.getRepository(Organisation);
    return (await repo.save(repo.create({ name, persistTraitData }))).id;
  }

  async addMember(manager: EntityManager, organisationId: number, userId: number, role: OrganisationRole) {
    await manager.getRepository(OrganisationMembership).insert({ organisationId, userId, role });
  }

  async grantOrganisation(
    manager: EntityManager,
    organisationId: number,
    userId: number,
    permissions: string[],
  ) {
    await manager.getRepository(OrganisationUserPermission).insert({ organisationId, userId, permissions });
  }

  async insertGroup(manager: EntityManager, organisationId: number, name: string) {
    await manager.getRepository(UserGroup).insert({ organisationId, name });
  }

  async insertProject(manager: EntityManager, organisationId: number, name: string): Promise<number> {
    const repo = manager.getRepository(Project);
    return (await repo.save(repo.create({ organisationId, name }))).id;
  }

  async grantProject(manager: EntityManager, projectId: number, userId: number, permissions: string[]) {
    await manager.getRepository(ProjectUserPermission).insert({ projectId, userId, permissions });
  }

  async insertEnvironment(manager: EntityManager, projectId: number, name: string): Promise<number> {
    const repo = manager.getRepository(Environment);
    return (await repo.save(repo.create({ projectId, name, apiKey: newEnvironmentKey() }))).id;
  }

  async grantEnvironment(
    manager: EntityManager,
    environmentId: number,
    userId: number,
    permissions: string[],
  ) {
    await manager.getRepository(EnvironmentUserPermission).insert({ environmentId, userId, permissions });
  }

  async insertIdentity(manager: EntityManager, environmentId: number, identifier: string) {
    const repo = manager.getRepository(Identity);
    await repo.save(repo.create({ environmentId, identifier }));
  }
}
