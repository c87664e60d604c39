import type { FastifyReply } from 'fastify';
import type { ResolvedKey } from '../environment-cache';
import {
  expectObject,
  isObject,
  readIdentifier,
  readTrait,
  SdkInputError,
  type TraitInput,
} from '../sdk-input';
import {
  CLIENT_TRAITS,
  type IdentityOperations,
  INVALID_REQUEST,
  inputError,
  type KeyedHandler,
  sendJson,
  TRAITS_NOT_STORED,
  type UsageCounter,
} from './sdk-reply';

export interface TraitsDeps {
  readonly identities: IdentityOperations;
  readonly usage: UsageCounter;
}

/** §4 checks shared by the traits endpoints; returns a reply when refused. */
function traitsRefused(key: ResolvedKey, reply: FastifyReply): FastifyReply | undefined {
  if (!key.snapshot.persistTraitData) return sendJson(reply, 403, TRAITS_NOT_STORED);
  return undefined;
}

function clientTraitsRefused(key: ResolvedKey): boolean {
  return key.origin === 'CLIENT' && !key.snapshot.allowClientTraits;
}

/** One `{identity: {identifier}, trait_key, trait_value}` item. */
function readTraitItem(item: unknown): { identifier: string; trait: TraitInput } {
  if (!isObject(item))
    throw new SdkInputError({ non_field_errors: ['Invalid data. Expected a dictionary.'] });
  const errors: Record<string, unknown> = {};
  let identifier: string | undefined;
  if (!isObject(item.identity)) {
    errors.identity =
      item.identity === undefined
        ? ['This field is required.']
        : { non_field_errors: ['Invalid data. Expected a dictionary.'] };
  } else {
    try {
      identifier = readIdentifier(item.identity.identifier);
      if (identifier === undefined) errors.identity = { identifier: ['This field is required.'] };
    } catch (err) {
      if (!(err instanceof SdkInputError)) throw err;
      errors.identity = err.body;
    }
  }
  const trait = readTrait(item, false);
  if (!trait.ok) Object.assign(errors, trait.errors);
  if (Object.keys(errors).length > 0 || !trait.ok || identifier === undefined)
    throw new SdkInputError(errors);
  return { identifier, trait: trait.trait };
}

function echo(identifier: string, trait: TraitInput): Record<string, unknown> {
  return { identity: { identifier }, trait_key: trait.key, trait_value: trait.value };
}

/** POST /api/v1/traits/ (spec §4): one trait of one identity. */
export function postTraitHandler({ identities, usage }: TraitsDeps): KeyedHandler {
  return async (key, request, reply, now) => {
    usage.countRequest(key.snapshot.environmentId, 'traits', now);
    const refused = traitsRefused(key, reply);
    if (refused) return refused;
    let item: { identifier: string; trait: TraitInput };
    try {
      item = readTraitItem(request.body);
    } catch (err) {
      return inputError(reply, err);
    }
    if (clientTraitsRefused(key)) return sendJson(reply, 400, CLIENT_TRAITS);
    await identities.writeMany(key.snapshot.environmentId, new Map([[item.identifier, [item.trait]]]));
    return sendJson(reply, 200, JSON.stringify(echo(item.identifier, item.trait)));
  };
}

/** PUT /api/v1/traits/bulk/ (spec §4): traits of several identities, in one transaction. */
export function bulkTraitsHandler({ identities, usage }: TraitsDeps): KeyedHandler {
  return async (key, request, reply, now) => {
    usage.countRequest(key.snapshot.environmentId, 'traits', now);
    const refused = traitsRefused(key, reply);
    if (refused) return refused;
    if (!Array.isArray(request.body)) return sendJson(reply, 400, INVALID_REQUEST);
    const items: { identifier: string; trait: TraitInput }[] = [];
    const errors: unknown[] = [];
    let failed = false;
    for (const raw of request.body as unknown[]) {
      try {
        items.push(readTraitItem(raw));
        errors.push({});
      } catch (err) {
        if (!(err instanceof SdkInputError)) throw err;
        failed = true;
        errors.push(err.body);
      }
    }
    if (failed) return sendJson(reply, 400, JSON.stringify(errors));
    if (clientTraitsRefused(key)) return sendJson(reply, 400, CLIENT_TRAITS);
    const byIdentity = new Map<string, TraitInput[]>();
    for (const { identifier, trait } of items) {
      const list = byIdentity.get(identifier);
      if (list) list.push(trait);
      else byIdentity.set(identifier, [trait]);
    }
    await identities.writeMany(key.snapshot.environmentId, byIdentity);
    const echoed = items.filter((i) => i.trait.value !== null).map((i) => echo(i.identifier, i.trait));
    return sendJson(reply, 200, JSON.stringify(echoed));
  };
}

/** POST /api/v1/traits/increment-value/ (spec §4). */
export function incrementTraitHandler({ identities, usage }: TraitsDeps): KeyedHandler {
  return async (key, request, reply, now) => {
    usage.countRequest(key.snapshot.environmentId, 'traits', now);
    const refused = traitsRefused(key, reply);
    if (refused) return refused;
    let identifier: string | undefined;
    let traitKey: string;
    let by: number;
    try {
      const body = expectObject(request.body);
      const errors: Record<string, string[]> = {};
      identifier = readIdentifier(body.identifier);
      if (identifier === undefined) errors.identifier = ['This field is required.'];
      const probe = readTrait({ trait_key: body.trait_key, trait_value: 0 }, false);
      if (!probe.ok) Object.assign(errors, probe.errors);
      if (typeof body.increment_by !== 'number' || !Number.isSafeInteger(body.increment_by)) {
        errors.increment_by = ['A valid integer is required.'];
      }
      if (Object.keys(errors).length > 0 || !probe.ok) throw new SdkInputError(errors);
      traitKey = probe.trait.key;
      by = body.increment_by as number;
    } catch (err) {
      return inputError(reply, err);
    }
    if (clientTraitsRefused(key)) return sendJson(reply, 400, CLIENT_TRAITS);
    const id = identifier as string;
    const value = await identities.increment(key.snapshot.environmentId, id, traitKey, by);
    if (value === undefined) {
      return sendJson(reply, 400, JSON.stringify({ trait_value: ['Trait value is not an integer.'] }));
    }
    return sendJson(reply, 200, JSON.stringify({ trait_key: traitKey, trait_value: value, identifier: id }));
  };
}
