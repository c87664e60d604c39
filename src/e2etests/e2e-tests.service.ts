import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { hashPassword } from '../auth/passwords';
import { NotAuthenticated } from '../common/domain-errors';
import { UnitOfWork } from '../common/unit-of-work';
import { APP_CONFIG, type AppConfig } from '../config';
import {
  E2E_ENVIRONMENTS_WITHOUT_IDENTITY,
  E2E_IDENTITY,
  E2E_ORGANISATIONS,
  E2E_PASSWORD,
  E2E_TEARDOWN_USERS,
  E2E_USERS,
  type E2eUser,
} from './e2e-seed';
import { E2eTestsRepository } from './e2e-tests.repository';

/** What one teardown seeded. */
export interface SeedSummary {
  readonly users: number;
  readonly organisations: number;
  readonly projects: number;
  readonly environments: number;
  readonly identities: number;
}

/** Equal strings, compared in constant time (digests, so the lengths do not leak either). */
function sameToken(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Flagsmith's e2e hooks (`api/e2etests/`): with ENABLE_FE_E2E, a request carrying E2E_TEST_AUTH_TOKEN in
 * X-E2E-Test-Auth-Token deletes the e2e accounts with every organisation they belong to and seeds them again, so
 * Flagsmith's frontend Playwright suite starts from the same data against this server.
 */
@Injectable()
export class E2eTestsService {
  constructor(
    private readonly repository: E2eTestsRepository,
    private readonly uow: UnitOfWork,
    @Inject(APP_CONFIG)
    private readonly config: Pick<AppConfig, 'E2E_TEST_AUTH_TOKEN' | 'DEFAULT_ORG_STORE_TRAITS_VALUE'>,
  ) {}

  /** Flagsmith's E2ETestMiddleware and E2ETestPermission: no token configured refuses every request. */
  authorise(token: string | undefined): void {
    const expected = this.config.E2E_TEST_AUTH_TOKEN;
    if (expected === undefined || token === undefined || !sameToken(token, expected))
      throw new NotAuthenticated();
  }

  async teardown(): Promise<SeedSummary> {
    const password = await hashPassword(E2E_PASSWORD);
    return this.uow.run(
      async (tx) => {
        const m = tx.manager;
        const oldUsers = await this.repository.userIds(
          m,
          E2E_TEARDOWN_USERS.map((u) => E2E_USERS[u]),
        );
        const old = await this.repository.organisationsOf(m, oldUsers);
        tx.environmentsDeleted(old.environments);
        await this.repository.deleteAll(m, old.organisationIds, oldUsers);

        const userIds = new Map<E2eUser, number>();
        const user = async (who: E2eUser) => {
          const known = userIds.get(who);
          if (known !== undefined) return known;
          const id = await this.repository.insertUser(m, E2E_USERS[who], password);
          userIds.set(who, id);
          return id;
        };
        const environmentIds: number[] = [];
        let projects = 0;
        for (const seed of E2E_ORGANISATIONS) {
          const orgId = await this.repository.insertOrganisation(
            m,
            seed.name,
            this.config.DEFAULT_ORG_STORE_TRAITS_VALUE,
          );
          await this.repository.addMember(m, orgId, await user(seed.admin), 'ADMIN');
          for (const member of seed.members)
            await this.repository.addMember(m, orgId, await user(member), 'USER');
          for (const [who, keys] of grants(seed.memberPermissions))
            await this.repository.grantOrganisation(m, orgId, await user(who), keys);
          for (const group of seed.groups) await this.repository.insertGroup(m, orgId, group);
          for (const p of seed.projects) {
            const projectId = await this.repository.insertProject(m, orgId, p.name);
            projects++;
            for (const [who, keys] of grants(p.userPermissions))
              await this.repository.grantProject(m, projectId, await user(who), keys);
            for (const name of p.environments) {
              const environmentId = await this.repository.insertEnvironment(m, projectId, name);
              environmentIds.push(environmentId);
              for (const [who, keys] of grants(p.environmentPermissions))
                await this.repository.grantEnvironment(m, environmentId, await user(who), keys);
            }
          }
        }
        const withIdentity = environmentIds.slice(E2E_ENVIRONMENTS_WITHOUT_IDENTITY);
        for (const environmentId of withIdentity)
          await this.repository.insertIdentity(m, environmentId, E2E_IDENTITY);
        tx.environmentsChanged(environmentIds);
        return {
          users: userIds.size,
          organisations: E2E_ORGANISATIONS.length,
          projects,
          environments: environmentIds.length,
          identities: withIdentity.length,
        };
      },
      { unaudited: 'a reset of e2e test data; Flagsmith records no audit entry for it either' },
    );
  }
}

/** The (user, permission keys) pairs of a grant table. */
function grants<K extends string>(table: Partial<Record<E2eUser, readonly K[]>>): [E2eUser, string[]][] {
  return (Object.entries(table) as [E2eUser, readonly K[]][]).map(([who, keys]) => [who, [...keys]]);
}
