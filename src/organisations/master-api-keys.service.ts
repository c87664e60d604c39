import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { hashApiKey } from '../auth/auth.service';
import { NotFound } from '../common/domain-errors';
import { UnitOfWork } from '../common/unit-of-work';
import type { CreateMasterApiKeyInput, UpdateMasterApiKeyInput } from './master-api-key.schemas';
import { MasterApiKeyChanges, MasterApiKeysRepository } from './master-api-keys.repository';
import type { MasterApiKey } from './organisation.entity';

/** Flagsmith keeps no audit log of master API keys. */
const KEYS_UNAUDITED = 'Flagsmith records no audit log for master API keys';

/** Master API keys of an organisation. Permission checks are the caller's. */
@Injectable()
export class MasterApiKeysService {
  constructor(
    private readonly keys: MasterApiKeysRepository,
    private readonly uow: UnitOfWork,
  ) {}

  /** The plaintext key is returned this once; only its hash is stored. */
  async create(
    organisationId: number,
    input: CreateMasterApiKeyInput,
  ): Promise<{ key: MasterApiKey; plaintext: string }> {
    const prefix = randomBytes(6).toString('base64url').slice(0, 8);
    const plaintext = `${prefix}.${randomBytes(24).toString('base64url')}`;
    const row = {
      organisationId,
      name: input.name,
      expiryDate: input.expiry_date ? new Date(input.expiry_date) : null,
      isAdmin: input.is_admin ?? true,
      prefix,
      hashedKey: hashApiKey(plaintext),
    };
    const key = await this.uow.run((tx) => this.keys.insert(row, tx.manager), { unaudited: KEYS_UNAUDITED });
    return { key, plaintext };
  }

  list(organisationId: number): Promise<MasterApiKey[]> {
    return this.keys.live(organisationId);
  }

  /** A live key of the organisation: revoked keys are gone for the API (Flagsmith's queryset has revoked=False). */
  async get(organisationId: number, prefix: string): Promise<MasterApiKey> {
    const key = prefix.length <= 8 ? await this.keys.findLive(organisationId, prefix) : null;
    if (!key) throw new NotFound();
    return key;
  }

  async update(key: MasterApiKey, input: Partial<UpdateMasterApiKeyInput>): Promise<MasterApiKey> {
    const changes: MasterApiKeyChanges = {};
    if (input.name !== undefined) changes.name = input.name;
    if (input.expiry_date !== undefined)
      changes.expiryDate = input.expiry_date === null ? null : new Date(input.expiry_date);
    // Revoking is one-way: `revoked: false` never writes, and a key revoked meanwhile stays revoked (NotFound).
    if (input.revoked) changes.revoked = true;
    if (input.is_admin !== undefined) changes.isAdmin = input.is_admin;
    return this.uow.run(
      async (tx) => {
        if (Object.keys(changes).length && !(await this.keys.updateLive(key.id, changes, tx.manager)))
          throw new NotFound();
        return this.keys.get(key.id, tx.manager);
      },
      { unaudited: KEYS_UNAUDITED },
    );
  }

  async revoke(key: MasterApiKey): Promise<void> {
    await this.uow.run((tx) => this.keys.revoke(key.id, tx.manager), { unaudited: KEYS_UNAUDITED });
  }
}
