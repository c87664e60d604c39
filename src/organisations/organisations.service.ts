import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { PermissionDenied } from '../common/domain-errors';
import { UnitOfWork } from '../common/unit-of-work';
import { APP_CONFIG, AppConfig } from '../config';
import { MembersService } from './members.service';
import type { Organisation, OrganisationRole } from './organisation.entity';
import type { CreateOrganisationInput, UpdateOrganisationInput } from './organisation.schemas';
import { OrganisationFields, OrganisationsRepository } from './organisations.repository';

/** The columns a PUT/PATCH body sets (only the fields sent). */
function organisationColumns(input: Partial<UpdateOrganisationInput>): Partial<OrganisationFields> {
  const columns: Partial<OrganisationFields> = {
    name: input.name,
    webhookNotificationEmail: input.webhook_notification_email,
    restrictProjectCreateToAdmin: input.restrict_project_create_to_admin,
    persistTraitData: input.persist_trait_data,
    stopServingFlags: input.stop_serving_flags,
    blockAccessToAdmin: input.block_access_to_admin,
    force2fa: input.force_2fa,
  };
  for (const key of Object.keys(columns) as (keyof OrganisationFields)[])
    if (columns[key] === undefined) delete columns[key];
  return columns;
}

/** Organisations themselves (docs/contracts/admin-api.md §3). Members, invites, groups, keys: the services beside this one. */
@Injectable()
export class OrganisationsService {
  constructor(
    private readonly organisations: OrganisationsRepository,
    private readonly members: MembersService,
    private readonly uow: UnitOfWork,
    @Inject(APP_CONFIG)
    private readonly config: Pick<
      AppConfig,
      'RESTRICT_ORG_CREATE_TO_SUPERUSERS' | 'DEFAULT_ORG_STORE_TRAITS_VALUE'
    >,
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
    if (principal.kind !== 'user') throw new PermissionDenied();
    if (this.config.RESTRICT_ORG_CREATE_TO_SUPERUSERS && !principal.user.isSuperuser)
      throw new PermissionDenied();
  }

  /** The creator becomes its first ADMIN. */
  async create(principal: Principal, input: CreateOrganisationInput): Promise<Organisation> {
    this.assertMayCreate(principal);
    const creatorId = principal.user.id;
    return this.uow.run(async (tx) => {
      const org = await this.organisations.insert(
        {
          name: input.name,
          webhookNotificationEmail: input.webhook_notification_email ?? null,
          restrictProjectCreateToAdmin: input.restrict_project_create_to_admin ?? false,
          persistTraitData: this.config.DEFAULT_ORG_STORE_TRAITS_VALUE,
          targetingKey: input.targeting_key ?? null,
        },
        tx.manager,
      );
      await this.members.addMember(org.id, creatorId, 'ADMIN', tx.manager);
      tx.audit({
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

  /** Writes the fields sent; a change the SDK can see (name, trait storage, serving) invalidates its caches. */
  async update(
    principal: Principal,
    org: Organisation,
    input: Partial<UpdateOrganisationInput>,
  ): Promise<Organisation> {
    return this.uow.run(async (tx) => {
      const before = await this.organisations.lock(org.id, tx.manager);
      const saved = await this.organisations.update(org.id, organisationColumns(input), tx.manager);
      if (
        before.persistTraitData !== saved.persistTraitData ||
        before.stopServingFlags !== saved.stopServingFlags ||
        before.name !== saved.name
      )
        tx.environmentsChanged(await this.organisations.environmentIds(saved.id, tx.manager));
      tx.audit({
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
    await this.uow.run(
      async (tx) => {
        tx.environmentsDeleted(await this.organisations.environmentKeys(org.id, tx.manager));
        await this.organisations.delete(org.id, tx.manager);
      },
      { unaudited: "the organisation's audit log is deleted with it" },
    );
  }
}
