import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { NotFound, ValidationFailed } from '../common/domain-errors';
import type { PageRequest } from '../common/pagination';
import { UnitOfWork, WriteContext } from '../common/unit-of-work';
import type { Environment } from '../environments/environment.entity';
import { IdentifierFilter, IdentitiesRepository, TraitColumns } from './identities.repository';
import { Identity, Trait } from './identity.entity';
import type { IdentityInput, TraitInput } from './identity.schemas';
import { identityJson, traitJson } from './identity.serializers';

/** The trait columns a request sets (only those sent). */
function traitColumns(input: Partial<TraitInput>): TraitColumns {
  const columns: TraitColumns = {};
  if (input.trait_key !== undefined) columns.traitKey = input.trait_key;
  if (input.value_type !== undefined) columns.valueType = input.value_type;
  if (input.string_value !== undefined) columns.stringValue = input.string_value;
  if (input.integer_value !== undefined) columns.integerValue = input.integer_value;
  if (input.boolean_value !== undefined) columns.booleanValue = input.boolean_value;
  if (input.float_value !== undefined) columns.floatValue = input.float_value;
  return columns;
}

/** `?q=`: `"exact"` in double quotes, else a substring; '' or absent: no filter. */
export function identifierFilter(q: string | undefined): IdentifierFilter {
  if (q === undefined || q === '') return null;
  if (q.length >= 2 && q.startsWith('"') && q.endsWith('"')) return { exact: q.replace(/"/g, '') };
  return { contains: q };
}

/**
 * Identities and their traits, admin side (docs/contracts/admin-api.md §9): the rules; SQL in IdentitiesRepository,
 * writes through the unit of work. Traits and identities are not part of the environment document, so their
 * writes name the identities they changed (`tx.identitiesChanged`: the SDK identity caches of every instance drop
 * them). Identity overrides are in the document (listed by identifier): renaming or deleting an identity that has
 * overrides also bumps the environment.
 */
@Injectable()
export class IdentitiesService {
  constructor(
    private readonly identities: IdentitiesRepository,
    private readonly uow: UnitOfWork,
  ) {}

  /** The audit line of an identity write (identity and trait writes are audited as IDENTITY). */
  private audit(
    tx: WriteContext,
    principal: Principal,
    environment: Environment,
    identity: Identity,
    entry: { log: string; before?: unknown; after?: unknown },
  ): void {
    tx.audit({
      ...entry,
      principal,
      organisationId: environment.project.organisationId,
      projectId: environment.projectId,
      environmentId: environment.id,
      relatedObjectType: 'IDENTITY',
      relatedObjectId: identity.id,
      relatedObjectUuid: identity.uuid,
    });
  }

  // ---- identities

  page(environment: Environment, filter: IdentifierFilter, page: PageRequest) {
    return this.identities.page(environment.id, filter, page);
  }

  async identity(environment: Environment, id: number): Promise<Identity> {
    const identity = await this.identities.find(environment.id, id);
    if (!identity) throw new NotFound();
    return identity;
  }

  private async assertFreeIdentifier(
    tx: WriteContext,
    environment: Environment,
    identifier: string,
    except?: number,
  ): Promise<void> {
    const clash = await this.identities.findByIdentifier(tx.manager, environment.id, identifier);
    if (clash && clash.id !== except)
      throw ValidationFailed.field(
        'identifier',
        `Identity with identifier '${identifier}' already exists in this environment`,
      );
  }

  create(principal: Principal, environment: Environment, input: IdentityInput): Promise<Identity> {
    return this.uow.run(async (tx) => {
      await this.assertFreeIdentifier(tx, environment, input.identifier);
      const identity = await this.identities.insert(tx.manager, {
        identifier: input.identifier,
        environmentId: environment.id,
      });
      // An instance may remember this identifier as having no identity.
      tx.identitiesChanged(environment.id, [identity.identifier]);
      this.audit(tx, principal, environment, identity, {
        log: `New Identity created: ${identity.identifier}`,
        after: identityJson(identity),
      });
      return identity;
    });
  }

  /** PUT or PATCH (`identifier` absent: nothing changes, the write is still audited). */
  update(
    principal: Principal,
    environment: Environment,
    id: number,
    input: Partial<IdentityInput>,
  ): Promise<Identity> {
    return this.uow.run(async (tx) => {
      const current = await this.identities.lock(tx.manager, id, 'update');
      if (!current || current.environmentId !== environment.id) throw new NotFound();
      let saved = current;
      if (input.identifier !== undefined && input.identifier !== current.identifier) {
        await this.assertFreeIdentifier(tx, environment, input.identifier, current.id);
        saved = await this.identities.rename(tx.manager, current.id, input.identifier);
        // Both identifiers: the old one has no identity any more, the new one has this one.
        tx.identitiesChanged(environment.id, [current.identifier, saved.identifier]);
        if (await this.identities.hasOverrides(tx.manager, current.id))
          tx.environmentsChanged([environment.id]);
      }
      this.audit(tx, principal, environment, saved, {
        log: `Identity updated: ${saved.identifier}`,
        before: identityJson(current),
        after: identityJson(saved),
      });
      return saved;
    });
  }

  remove(principal: Principal, environment: Environment, id: number): Promise<void> {
    return this.uow.run(async (tx) => {
      const identity = await this.identities.lock(tx.manager, id, 'update');
      if (!identity || identity.environmentId !== environment.id) throw new NotFound();
      if (await this.identities.hasOverrides(tx.manager, identity.id))
        tx.environmentsChanged([environment.id]);
      await this.identities.delete(tx.manager, identity.id);
      tx.identitiesChanged(environment.id, [identity.identifier]);
      this.audit(tx, principal, environment, identity, {
        log: `Identity deleted: ${identity.identifier}`,
        before: identityJson(identity),
      });
    });
  }

  // ---- traits

  traitPage(identity: Identity, page: PageRequest) {
    return this.identities.traitPage(identity.id, page);
  }

  async trait(identity: Identity, id: number): Promise<Trait> {
    const trait = await this.identities.findTrait(identity.id, id);
    if (!trait) throw new NotFound();
    return trait;
  }

  /** The identity as stored now, share-locked (a rename or delete in progress finishes first). */
  private async lockForTraits(tx: WriteContext, identity: Identity): Promise<Identity> {
    const current = await this.identities.lock(tx.manager, identity.id, 'share');
    if (!current) throw new NotFound();
    return current;
  }

  private async assertFreeKey(tx: WriteContext, identity: Identity, key: string, except?: number) {
    const clash = await this.identities.traitByKey(tx.manager, identity.id, key);
    if (clash && clash.id !== except)
      throw new ValidationFailed({
        non_field_errors: ['The fields identity, trait_key must make a unique set.'],
      });
  }

  createTrait(
    principal: Principal,
    environment: Environment,
    identity: Identity,
    input: TraitInput,
  ): Promise<Trait> {
    return this.uow.run(async (tx) => {
      const current = await this.lockForTraits(tx, identity);
      await this.assertFreeKey(tx, identity, input.trait_key);
      const trait = await this.identities.insertTrait(tx.manager, {
        valueType: 'unicode',
        ...traitColumns(input),
        identityId: identity.id,
      });
      tx.identitiesChanged(environment.id, [current.identifier]);
      this.audit(tx, principal, environment, current, {
        log: `Trait '${trait.traitKey}' set for identity '${current.identifier}'`,
        after: traitJson(trait),
      });
      return trait;
    });
  }

  /** PUT or PATCH: writes the columns sent, on the trait locked FOR NO KEY UPDATE (`before` is the row as it was). */
  updateTrait(
    principal: Principal,
    environment: Environment,
    identity: Identity,
    id: number,
    input: Partial<TraitInput>,
  ): Promise<Trait> {
    return this.uow.run(async (tx) => {
      const current = await this.lockForTraits(tx, identity);
      const trait = await this.identities.lockTrait(tx.manager, identity.id, id);
      if (!trait) throw new NotFound();
      if (input.trait_key !== undefined) await this.assertFreeKey(tx, identity, input.trait_key, trait.id);
      const saved = await this.identities.updateTrait(tx.manager, trait.id, traitColumns(input));
      tx.identitiesChanged(environment.id, [current.identifier]);
      this.audit(tx, principal, environment, current, {
        log: `Trait '${saved.traitKey}' updated for identity '${current.identifier}'`,
        before: traitJson(trait),
        after: traitJson(saved),
      });
      return saved;
    });
  }

  /** Deletes the trait, or (`allMatching`) its key from every identity of the environment. */
  removeTrait(
    principal: Principal,
    environment: Environment,
    identity: Identity,
    trait: Trait,
    allMatching: boolean,
  ): Promise<void> {
    return this.uow.run(async (tx) => {
      if (allMatching) {
        await this.identities.deleteTraitKey(tx.manager, environment.id, trait.traitKey);
        tx.identitiesChanged(environment.id, null);
      } else {
        const current = await this.lockForTraits(tx, identity);
        await this.identities.deleteTrait(tx.manager, trait.id);
        tx.identitiesChanged(environment.id, [current.identifier]);
      }
      this.audit(tx, principal, environment, identity, {
        log: allMatching
          ? `Trait '${trait.traitKey}' deleted for every identity`
          : `Trait '${trait.traitKey}' deleted for identity '${identity.identifier}'`,
        before: traitJson(trait),
      });
    });
  }

  async traitKeys(environment: Environment): Promise<string[]> {
    return this.identities.traitKeys(environment.id);
  }

  /** POST …/delete-traits/: the key goes from every identity (no bump: traits are not in the document). */
  deleteTraitKey(principal: Principal, environment: Environment, key: string): Promise<void> {
    return this.uow.run(async (tx) => {
      await this.identities.deleteTraitKey(tx.manager, environment.id, key);
      tx.identitiesChanged(environment.id, null);
      tx.audit({
        log: `Trait '${key}' deleted for every identity`,
        principal,
        organisationId: environment.project.organisationId,
        projectId: environment.projectId,
        environmentId: environment.id,
        relatedObjectType: 'ENVIRONMENT',
        relatedObjectId: environment.id,
        relatedObjectUuid: environment.uuid,
      });
    });
  }
}
