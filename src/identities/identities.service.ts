import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { FastifyRequest } from 'fastify';
import { DataSource, EntityManager } from 'typeorm';
import { AuditRelatedObjectType } from '../audit/audit-log.entity';
import { AuditService } from '../audit/audit.service';
import { Principal } from '../auth/principal';
import { fieldError, notFound } from '../common/errors';
import { paginate } from '../common/pagination';
import { BodyReader, MESSAGES, parseId } from '../common/validation';
import { Environment } from '../environments/environment.entity';
import { EnvironmentChangesService } from '../environments/environment-changes.service';
import { Identity, Trait, TraitValueType } from './identity.entity';
import { identityJson, traitJson } from './identity.serializers';

const TRAIT_VALUE_TYPES: readonly TraitValueType[] = ['int', 'unicode', 'bool', 'float'];

export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * What an identity write changed, for the SDK caches. Traits and identities are not part of the environment
 * document: only the named identities are dropped from the SDK identity caches of every instance
 * (`identitiesChanged`). Identity overrides are (`identity_overrides`, listed by identifier): a write that touches
 * an identity with overrides also bumps the environment.
 */
export interface IdentityWriteChange {
  /** Identifiers whose identity or traits changed; null: possibly every identity of the environment. */
  readonly identifiers: readonly string[] | null;
  /** The environment document changed too (an identity with identity overrides was renamed or deleted). */
  readonly environment: boolean;
}

/**
 * Identities and their traits, admin side (docs/contracts/admin-api.md §9). Every write is audited and reports what it changed:
 * identity and trait writes name the identities (`IdentityWriteChange`), everything else (identity overrides)
 * bumps the environment.
 */
@Injectable()
export class IdentitiesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly changes: EnvironmentChangesService,
  ) {}

  /**
   * Runs a write and writes its audit row in the same transaction. The change is reported in that transaction
   * too: as `changed` says (identity and trait writes), else by bumping the environment (identity overrides).
   */
  async write<T>(
    principal: Principal,
    environment: Environment,
    work: (manager: EntityManager) => Promise<{
      result: T;
      log: string;
      type: AuditRelatedObjectType;
      id: number;
      uuid?: string | null;
      before?: unknown;
      after?: unknown;
      /** Absent: the environment is bumped. */
      changed?: IdentityWriteChange;
    }>,
  ): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      const out = await work(manager);
      if (out.changed === undefined) {
        await this.changes.environmentsChanged(manager, [environment.id]);
      } else {
        await this.changes.identitiesChanged(manager, environment.id, out.changed.identifiers);
        if (out.changed.environment) await this.changes.environmentsChanged(manager, [environment.id]);
      }
      await this.audit.record(manager, {
        log: out.log,
        principal,
        organisationId: environment.project.organisationId,
        projectId: environment.projectId,
        environmentId: environment.id,
        relatedObjectType: out.type,
        relatedObjectId: out.id,
        relatedObjectUuid: out.uuid ?? null,
        before: out.before,
        after: out.after,
      });
      return out.result;
    });
  }

  // ---- identities

  list(request: FastifyRequest, environment: Environment) {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const qb = this.dataSource
      .getRepository(Identity)
      .createQueryBuilder('i')
      .where('i.environment_id = :env', { env: environment.id })
      .orderBy('i.created_date')
      .addOrderBy('i.id');
    const q = query.q;
    if (typeof q === 'string' && q !== '') {
      if (q.length > 2002) throw fieldError('q', MESSAGES.maxLength(2000));
      if (q.length >= 2 && q.startsWith('"') && q.endsWith('"')) {
        qb.andWhere('i.identifier = :exact', { exact: q.replace(/"/g, '') });
      } else {
        qb.andWhere(`i.identifier ILIKE :q ESCAPE '\\'`, { q: `%${escapeLike(q)}%` });
      }
    }
    return paginate(request, qb, (rows) => rows.map(identityJson));
  }

  async get(environment: Environment, id: unknown): Promise<Identity> {
    const identityId = parseId(id);
    const identity = identityId
      ? await this.dataSource
          .getRepository(Identity)
          .findOneBy({ id: identityId, environmentId: environment.id })
      : null;
    if (!identity) throw notFound();
    return identity;
  }

  private readIdentifier(body: unknown, partial: boolean): string | undefined {
    const v = new BodyReader(body, { partial });
    const identifier = v.string('identifier', { maxLength: 2000 });
    v.assertValid();
    return identifier;
  }

  private async assertFreeIdentifier(
    manager: EntityManager,
    environment: Environment,
    identifier: string,
    except?: number,
  ) {
    const clash = await manager
      .getRepository(Identity)
      .findOneBy({ environmentId: environment.id, identifier });
    if (clash && clash.id !== except)
      throw fieldError(
        'identifier',
        `Identity with identifier '${identifier}' already exists in this environment`,
      );
  }

  /**
   * Locks the identity's row for the rest of the transaction and returns its identifier as stored now (it may
   * have been renamed since `identity` was read); 404 when it is gone. `update` (rename, delete) also keeps
   * identity overrides from being added meanwhile (their foreign key check needs a share lock on the row), so that
   * `hasOverrides` stays true until commit; `share` (trait writes) only waits for a rename or delete in progress.
   */
  private async lockIdentity(
    manager: EntityManager,
    identity: Identity,
    mode: 'update' | 'share',
  ): Promise<string> {
    const rows = await manager.query<{ identifier: string }[]>(
      `SELECT identifier FROM identities WHERE id = $1 FOR ${mode === 'update' ? 'UPDATE' : 'SHARE'}`,
      [identity.id],
    );
    if (rows.length === 0) throw notFound();
    return rows[0].identifier;
  }

  /** Whether the identity has identity overrides (then the environment document lists it by identifier). */
  private async hasOverrides(manager: EntityManager, identity: Identity): Promise<boolean> {
    const rows = await manager.query<{ found: boolean }[]>(
      'SELECT EXISTS (SELECT 1 FROM feature_states WHERE identity_id = $1) AS found',
      [identity.id],
    );
    return rows[0].found;
  }

  async create(principal: Principal, environment: Environment, body: unknown) {
    const identifier = this.readIdentifier(body, false)!;
    return this.write(principal, environment, async (manager) => {
      await this.assertFreeIdentifier(manager, environment, identifier);
      const repo = manager.getRepository(Identity);
      const identity = await repo.save(repo.create({ identifier, environmentId: environment.id }));
      return {
        result: identityJson(identity),
        log: `New Identity created: ${identity.identifier}`,
        type: 'IDENTITY',
        id: identity.id,
        uuid: identity.uuid,
        after: identityJson(identity),
        // An instance may remember this identifier as having no identity.
        changed: { identifiers: [identifier], environment: false },
      };
    });
  }

  async update(
    principal: Principal,
    environment: Environment,
    identity: Identity,
    body: unknown,
    partial: boolean,
  ) {
    const identifier = this.readIdentifier(body, partial);
    const before = identityJson(identity);
    return this.write(principal, environment, async (manager) => {
      let changed: IdentityWriteChange = { identifiers: [], environment: false };
      if (identifier !== undefined && identifier !== identity.identifier) {
        const stored = await this.lockIdentity(manager, identity, 'update');
        await this.assertFreeIdentifier(manager, environment, identifier, identity.id);
        identity.identifier = identifier;
        await manager.getRepository(Identity).update({ id: identity.id }, { identifier });
        // Both identifiers: the old one has no identity any more, the new one has this one.
        changed = {
          identifiers: [stored, identifier],
          environment: await this.hasOverrides(manager, identity),
        };
      }
      return {
        result: identityJson(identity),
        log: `Identity updated: ${identity.identifier}`,
        type: 'IDENTITY',
        id: identity.id,
        uuid: identity.uuid,
        before,
        after: identityJson(identity),
        changed,
      };
    });
  }

  async remove(principal: Principal, environment: Environment, identity: Identity): Promise<void> {
    await this.write(principal, environment, async (manager) => {
      const stored = await this.lockIdentity(manager, identity, 'update');
      const overrides = await this.hasOverrides(manager, identity);
      await manager.getRepository(Identity).delete({ id: identity.id }); // traits and overrides cascade
      return {
        result: undefined,
        log: `Identity deleted: ${identity.identifier}`,
        type: 'IDENTITY',
        id: identity.id,
        uuid: identity.uuid,
        before: identityJson(identity),
        changed: { identifiers: [stored], environment: overrides },
      };
    });
  }

  // ---- traits

  listTraits(request: FastifyRequest, identity: Identity) {
    const qb = this.dataSource
      .getRepository(Trait)
      .createQueryBuilder('t')
      .where('t.identity_id = :identity', { identity: identity.id })
      .orderBy('t.id');
    return paginate(request, qb, (rows) => rows.map(traitJson));
  }

  async getTrait(identity: Identity, id: unknown): Promise<Trait> {
    const traitId = parseId(id);
    const trait = traitId
      ? await this.dataSource.getRepository(Trait).findOneBy({ id: traitId, identityId: identity.id })
      : null;
    if (!trait) throw notFound();
    return trait;
  }

  /** Trait body (Flagsmith TraitSerializer): every given column is stored; `value_type` says which one counts. */
  private readTrait(body: unknown, partial: boolean): Partial<Trait> {
    const v = new BodyReader(body, { partial });
    const out: Partial<Trait> = {};
    const key = v.string('trait_key', { maxLength: 200 });
    if (key !== undefined) out.traitKey = key;
    const type = v.choice('value_type', TRAIT_VALUE_TYPES, { optional: true });
    if (type !== undefined) out.valueType = type;
    const s = v.string('string_value', {
      optional: true,
      nullable: true,
      allowBlank: true,
      trim: false,
      maxLength: 2000,
    });
    if (s !== undefined) out.stringValue = s;
    const i = v.integer('integer_value', {
      optional: true,
      nullable: true,
      min: Number.MIN_SAFE_INTEGER,
      max: Number.MAX_SAFE_INTEGER,
    });
    if (i !== undefined) out.integerValue = i;
    const b = v.boolean('boolean_value', { optional: true, nullable: true });
    if (b !== undefined) out.booleanValue = b;
    if (v.has('float_value')) {
      const raw = v.raw('float_value');
      const n =
        typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (raw === null) out.floatValue = null;
      else if (!Number.isFinite(n)) v.error('float_value', MESSAGES.number);
      else out.floatValue = n;
    }
    v.assertValid();
    return out;
  }

  private async assertFreeKey(manager: EntityManager, identity: Identity, key: string, except?: number) {
    const clash = await manager.getRepository(Trait).findOneBy({ identityId: identity.id, traitKey: key });
    if (clash && clash.id !== except)
      throw new BadRequestException({
        non_field_errors: ['The fields identity, trait_key must make a unique set.'],
      });
  }

  async createTrait(principal: Principal, environment: Environment, identity: Identity, body: unknown) {
    const values = this.readTrait(body, false);
    return this.write(principal, environment, async (manager) => {
      const stored = await this.lockIdentity(manager, identity, 'share');
      await this.assertFreeKey(manager, identity, values.traitKey!);
      const repo = manager.getRepository(Trait);
      const trait = await repo.save(
        repo.create({ valueType: 'unicode', ...values, identityId: identity.id }),
      );
      return {
        result: traitJson(trait),
        log: `Trait '${trait.traitKey}' set for identity '${identity.identifier}'`,
        type: 'IDENTITY',
        id: identity.id,
        uuid: identity.uuid,
        after: traitJson(trait),
        changed: { identifiers: [stored], environment: false },
      };
    });
  }

  async updateTrait(
    principal: Principal,
    environment: Environment,
    identity: Identity,
    trait: Trait,
    body: unknown,
    partial: boolean,
  ) {
    const values = this.readTrait(body, partial);
    const before = traitJson(trait);
    return this.write(principal, environment, async (manager) => {
      const stored = await this.lockIdentity(manager, identity, 'share');
      if (values.traitKey !== undefined)
        await this.assertFreeKey(manager, identity, values.traitKey, trait.id);
      Object.assign(trait, values);
      const saved = await manager.getRepository(Trait).save(trait);
      return {
        result: traitJson(saved),
        log: `Trait '${saved.traitKey}' updated for identity '${identity.identifier}'`,
        type: 'IDENTITY',
        id: identity.id,
        uuid: identity.uuid,
        before,
        after: traitJson(saved),
        changed: { identifiers: [stored], environment: false },
      };
    });
  }

  async removeTrait(
    principal: Principal,
    environment: Environment,
    identity: Identity,
    trait: Trait,
    allMatching: boolean,
  ): Promise<void> {
    await this.write(principal, environment, async (manager) => {
      let changed: IdentityWriteChange;
      if (allMatching) {
        await manager.query(
          `DELETE FROM traits t USING identities i WHERE t.identity_id = i.id AND i.environment_id = $1 AND t.trait_key = $2`,
          [environment.id, trait.traitKey],
        );
        changed = { identifiers: null, environment: false };
      } else {
        const stored = await this.lockIdentity(manager, identity, 'share');
        await manager.getRepository(Trait).delete({ id: trait.id });
        changed = { identifiers: [stored], environment: false };
      }
      return {
        result: undefined,
        log: allMatching
          ? `Trait '${trait.traitKey}' deleted for every identity`
          : `Trait '${trait.traitKey}' deleted for identity '${identity.identifier}'`,
        type: 'IDENTITY',
        id: identity.id,
        uuid: identity.uuid,
        before: traitJson(trait),
        changed,
      };
    });
  }

  async traitKeys(environment: Environment): Promise<{ keys: string[] }> {
    const rows = await this.dataSource.query<{ trait_key: string }[]>(
      `SELECT DISTINCT t.trait_key FROM traits t JOIN identities i ON i.id = t.identity_id
        WHERE i.environment_id = $1 ORDER BY t.trait_key`,
      [environment.id],
    );
    return { keys: rows.map((r) => r.trait_key) };
  }

  async deleteTraitKey(principal: Principal, environment: Environment, body: unknown): Promise<void> {
    const v = new BodyReader(body);
    const key = v.string('key', { maxLength: 200 });
    v.assertValid();
    await this.write(principal, environment, async (manager) => {
      await manager.query(
        `DELETE FROM traits t USING identities i WHERE t.identity_id = i.id AND i.environment_id = $1 AND t.trait_key = $2`,
        [environment.id, key],
      );
      return {
        result: undefined,
        log: `Trait '${key}' deleted for every identity`,
        type: 'ENVIRONMENT',
        id: environment.id,
        uuid: environment.uuid,
        // Every identity of the environment may have had it (no bump: traits are not in the document).
        changed: { identifiers: null, environment: false },
      };
    });
  }
}
