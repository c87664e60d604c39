import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/principal';
import { APP_CONFIG, AppConfig } from '../config';
import { EnvironmentChangesService } from '../environments/environment-changes.service';
import { MembersService } from './members.service';
import { OrgForbiddenError, PublicOf } from './organisation-errors';
import type { NewOrganisation, OrganisationChanges } from './organisation.input';
import type { Organisation, OrganisationRole } from './organisation.entity';
import { OrganisationTransactions } from './organisation-transactions';
import { OrganisationsRepository } from './organisations.repository';

/** Organisations themselves (docs/contracts/admin-api.md §3). Members, invites, groups, keys: the services beside this one. */
@Injectable()
export class OrganisationsService {
  constructor(
    @Inject(OrganisationsRepository) private readonly organisations: PublicOf<OrganisationsRepository>,
    @Inject(MembersService) private readonly members: PublicOf<MembersService>,
    @Inject(OrganisationTransactions) private readonly transactions: PublicOf<OrganisationTransactions>,
    @Inject(APP_CONFIG)
    private readonly config: Pick<
      AppConfig,
      'RESTRICT_ORG_CREATE_TO_SUPERUSERS' | 'DEFAULT_ORG_STORE_TRAITS_VALUE'
    >,
    @Inject(AuditService) private readonly audit: Pick<AuditService, 'record'>,
    @Inject(EnvironmentChangesService)
    private readonly changes: Pick<EnvironmentChangesService, 'organisationChanged' | 'environmentsDeleted'>,
  ) {}

  /** The caller's organisations with its role in each: a master key sees its own organisation only. */
  async listForPrincipal(principal: Principal): Promise<{ org: Organisation; role: OrganisationRole }[]> {
    if (principal.kind === 'master_key') {
      const org = await this.organisations.get(principal.key.organisationId);
      return [{ org, role: principal.key.isAdmin ? 'ADMIN' : 'USER' }];
    }
    return this.organisations.ofUser(principal.user.id);
  }

  seatCounts(organisationIds: number[]): Promise<Map<number, number>> {
    return this.organisations.seatCounts(organisationIds);
  }

  /** Only users create organisations, and only superusers under RESTRICT_ORG_CREATE_TO_SUPERUSERS. */
  assertMayCreate(principal: Principal): asserts principal is Extract<Principal, { kind: 'user' }> {
    if (principal.kind !== 'user') throw new OrgForbiddenError();
    if (this.config.RESTRICT_ORG_CREATE_TO_SUPERUSERS && !principal.user.isSuperuser)
      throw new OrgForbiddenError();
  }

  /** The creator becomes its first ADMIN. */
  async create(principal: Principal, input: NewOrganisation): Promise<Organisation> {
    this.assertMayCreate(principal);
    const creatorId = principal.user.id;
    return this.transactions.run(async (db) => {
      const org = await this.organisations.insert(
        {
          name: input.name,
          webhookNotificationEmail: input.webhookNotificationEmail ?? null,
          restrictProjectCreateToAdmin: input.restrictProjectCreateToAdmin ?? false,
          persistTraitData: this.config.DEFAULT_ORG_STORE_TRAITS_VALUE,
        },
        db,
      );
      await this.members.addMember(org.id, creatorId, 'ADMIN', db);
      await this.audit.record(db, {
        log: `New Organisation created: ${org.name}`,
        principal,
        organisationId: org.id,
        relatedObjectType: 'ORGANISATION',
        relatedObjectId: org.id,
        relatedObjectUuid: org.uuid,
      });
      return org;
    });
  }

  /** Writes the given fields; a change the SDK can see (name, trait storage, serving) invalidates its caches. */
  async update(principal: Principal, org: Organisation, changes: OrganisationChanges): Promise<Organisation> {
    const before = { ...org };
    for (const [key, value] of Object.entries(changes) as [keyof OrganisationChanges, unknown][])
      if (value !== undefined) Object.assign(org, { [key]: value });
    return this.transactions.run(async (db) => {
      const saved = await this.organisations.save(org, db);
      if (
        before.persistTraitData !== saved.persistTraitData ||
        before.stopServingFlags !== saved.stopServingFlags ||
        before.name !== saved.name
      ) {
        await this.changes.organisationChanged(db, saved.id);
      }
      await this.audit.record(db, {
        log: `Organisation updated: ${saved.name}`,
        principal,
        organisationId: saved.id,
        relatedObjectType: 'ORGANISATION',
        relatedObjectId: saved.id,
        relatedObjectUuid: saved.uuid,
      });
      return saved;
    });
  }

  /** Deletes the organisation with everything in it; its environments leave the SDK caches. */
  async remove(org: Organisation): Promise<void> {
    await this.transactions.run(async (db) => {
      await this.changes.environmentsDeleted(db, await this.organisations.environmentKeys(org.id, db));
      await this.organisations.delete(org.id, db);
    });
  }
}
