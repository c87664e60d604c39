import { BodyReader } from '../common/validation';

export interface NewMasterApiKeyInput {
  name: string;
  expiryDate: Date | null;
  isAdmin: boolean;
}

/** PUT/PATCH: the sent fields; `revoked` only ever revokes. */
export interface MasterApiKeyInput {
  name?: string;
  expiryDate?: Date | null;
  revoked?: boolean;
  isAdmin?: boolean;
}

export function readNewMasterApiKey(body: unknown): NewMasterApiKeyInput {
  const v = new BodyReader(body);
  const name = v.string('name', { maxLength: 200 });
  const expiryDate = v.datetime('expiry_date', { optional: true, nullable: true }) ?? null;
  const isAdmin = v.boolean('is_admin', { optional: true }) ?? true;
  v.assertValid();
  return { name: name!, expiryDate, isAdmin };
}

export function readMasterApiKey(body: unknown, partial: boolean): MasterApiKeyInput {
  const v = new BodyReader(body, { partial });
  const input: MasterApiKeyInput = {
    name: v.string('name', { maxLength: 200 }),
    expiryDate: v.datetime('expiry_date', { optional: true, nullable: true }),
    revoked: v.boolean('revoked', { optional: true }),
    isAdmin: v.boolean('is_admin', { optional: true }),
  };
  v.assertValid();
  return input;
}
