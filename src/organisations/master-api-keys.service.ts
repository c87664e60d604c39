import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { hashApiKey } from '../auth/auth.service';
import type { MasterApiKeyInput, NewMasterApiKeyInput } from './master-api-key.input';
import { MasterApiKeyChanges, MasterApiKeysRepository } from './master-api-keys.repository';
import { OrgNotFoundError, PublicOf } from './organisation-errors';
import type { MasterApiKey } from './organisation.entity';

/** Master API keys of an organisation. Permission checks are the caller's. */
@Injectable()
export class MasterApiKeysService {
  constructor(@Inject(MasterApiKeysRepository) private readonly keys: PublicOf<MasterApiKeysRepository>) {}

  /** The plaintext key is returned this once; only its hash is stored. */
  async create(
    organisationId: number,
    input: NewMasterApiKeyInput,
  ): Promise<{ key: MasterApiKey; plaintext: string }> {
    const prefix = randomBytes(6).toString('base64url').slice(0, 8);
    const plaintext = `${prefix}.${randomBytes(24).toString('base64url')}`;
    const key = await this.keys.insert({
      organisationId,
      ...input,
      prefix,
      hashedKey: hashApiKey(plaintext),
    });
    return { key, plaintext };
  }

  list(organisationId: number): Promise<MasterApiKey[]> {
    return this.keys.live(organisationId);
  }

  /** A live key of the organisation: revoked keys are gone for the API (Flagsmith's queryset has revoked=False). */
  async get(organisationId: number, prefix: string): Promise<MasterApiKey> {
    const key = prefix.length <= 8 ? await this.keys.findLive(organisationId, prefix) : null;
    if (!key) throw new OrgNotFoundError();
    return key;
  }

  async update(key: MasterApiKey, input: MasterApiKeyInput): Promise<MasterApiKey> {
    const changes: MasterApiKeyChanges = {};
    if (input.name !== undefined) changes.name = input.name;
    if (input.expiryDate !== undefined) changes.expiryDate = input.expiryDate;
    // Revoking is one-way: `revoked: false` never writes, and a key revoked meanwhile stays revoked (NotFound).
    if (input.revoked) changes.revoked = true;
    if (input.isAdmin !== undefined) changes.isAdmin = input.isAdmin;
    if (Object.keys(changes).length && !(await this.keys.updateLive(key.id, changes)))
      throw new OrgNotFoundError();
    return this.keys.get(key.id);
  }

  async revoke(key: MasterApiKey): Promise<void> {
    await this.keys.revoke(key.id);
  }
}
