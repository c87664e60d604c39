/**
 * Validation of SDK request bodies (docs/contracts/sdk-api.md §3, §4), DRF-shaped errors. Everything is validated before
 * anything is written, so a rejected request persists nothing.
 */
import type { TraitValueType } from '../identities/identity.entity';

export const IDENTIFIER_MAX_LENGTH = 2000;
export const TRAIT_KEY_MAX_LENGTH = 200;
export const TRAIT_STRING_MAX_LENGTH = 2000;
/** More traits than this in one request is refused (upstream has no limit; this bounds the work per request). */
export const MAX_TRAITS_PER_REQUEST = 10_000;

/** A 400 body: `{"field": ["message"]}` (or nested for traits). */
export type FieldErrors = Record<string, unknown>;

export class SdkInputError extends Error {
  constructor(readonly body: FieldErrors | { detail: string }) {
    super('invalid SDK input');
  }
}

/** A trait value as stored: a typed value (null = delete). */
export interface TraitInput {
  readonly key: string;
  /** null = delete the stored trait. */
  readonly value: string | number | boolean | null;
  readonly type: TraitValueType | null;
  readonly transient: boolean;
}

// Control characters (C0, DEL, C1) are refused in identifiers and trait keys.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'dict';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'boolean') return 'bool';
  return 'str';
}

export function expectObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (!isObject(body)) {
    throw new SdkInputError({
      non_field_errors: [`Invalid data. Expected a dictionary, but got ${typeName(body)}.`],
    });
  }
  return body;
}

/** An identifier problem, or undefined when it is acceptable. */
export function identifierError(identifier: string): string | undefined {
  if (identifier.length > IDENTIFIER_MAX_LENGTH) {
    return `Ensure this field has no more than ${IDENTIFIER_MAX_LENGTH} characters.`;
  }
  if (CONTROL.test(identifier)) return 'Identifier must not contain control characters.';
  return undefined;
}

/**
 * The identifier of a POST body: undefined when absent, null or "" (a fully transient identity); DRF CharField
 * semantics otherwise (numbers are accepted as text).
 */
export function readIdentifier(value: unknown, field = 'identifier'): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) value = String(value);
  if (typeof value !== 'string') throw new SdkInputError({ [field]: ['Not a valid string.'] });
  const error = identifierError(value);
  if (error) throw new SdkInputError({ [field]: [error] });
  return value;
}

/** DRF BooleanField. */
export function readBoolean(value: unknown, field: string, fallback = false): boolean {
  if (value === undefined || value === null) return fallback;
  if (value === true || value === 'true' || value === 'True' || value === 1 || value === '1') return true;
  if (value === false || value === 'false' || value === 'False' || value === 0 || value === '0') return false;
  throw new SdkInputError({ [field]: ['Must be a valid boolean.'] });
}

/**
 * A trait value as Flagsmith's TraitValueField types it: bool, int (64-bit), float, str (≤ 2000 chars);
 * objects and arrays are stored as their JSON text; null means delete.
 */
export function typeTraitValue(
  value: unknown,
): { value: TraitInput['value']; type: TraitValueType | null } | string {
  if (value === null || value === undefined) return { value: null, type: null };
  if (typeof value === 'boolean') return { value, type: 'bool' };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'A valid number is required.';
    return Number.isSafeInteger(value) ? { value, type: 'int' } : { value, type: 'float' };
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text.length > TRAIT_STRING_MAX_LENGTH) {
    return `Value string is too long. Must be less than ${TRAIT_STRING_MAX_LENGTH} character`;
  }
  return { value: text, type: 'unicode' };
}

/** Validates one `{trait_key, trait_value[, transient]}`; returns the input or the item's field errors. */
export type TraitResult =
  | { readonly ok: true; readonly trait: TraitInput }
  | { readonly ok: false; readonly errors: Record<string, string[]> };

export function readTrait(item: unknown, allowTransient: boolean): TraitResult {
  if (!isObject(item)) {
    return {
      ok: false,
      errors: { non_field_errors: [`Invalid data. Expected a dictionary, but got ${typeName(item)}.`] },
    };
  }
  const errors: Record<string, string[]> = {};
  const key = item.trait_key;
  if (key === undefined || key === null) errors.trait_key = ['This field is required.'];
  else if (typeof key !== 'string' && typeof key !== 'number') errors.trait_key = ['Not a valid string.'];
  else if (String(key).length === 0) errors.trait_key = ['This field may not be blank.'];
  else if (String(key).length > TRAIT_KEY_MAX_LENGTH) {
    errors.trait_key = [`Ensure this field has no more than ${TRAIT_KEY_MAX_LENGTH} characters.`];
  } else if (CONTROL.test(String(key))) errors.trait_key = ['Trait key must not contain control characters.'];
  if (!('trait_value' in item)) errors.trait_value = ['This field is required.'];
  const typed = typeTraitValue(item.trait_value);
  if (typeof typed === 'string') errors.trait_value = [typed];
  let transient = false;
  if (allowTransient) {
    try {
      transient = readBoolean(item.transient, 'transient');
    } catch (err) {
      if (err instanceof SdkInputError) errors.transient = ['Must be a valid boolean.'];
    }
  }
  if (Object.keys(errors).length > 0 || typeof typed === 'string') return { ok: false, errors };
  return { ok: true, trait: { key: String(key), value: typed.value, type: typed.type, transient } };
}

/** The `traits` list of POST /identities/: all items valid, or a 400 listing each item's errors. */
export function readTraits(value: unknown): TraitInput[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw new SdkInputError({
      traits: { non_field_errors: [`Expected a list of items but got type "${typeName(value)}".`] },
    });
  }
  if (value.length > MAX_TRAITS_PER_REQUEST) {
    throw new SdkInputError({
      traits: {
        non_field_errors: [`Ensure this field has no more than ${MAX_TRAITS_PER_REQUEST} elements.`],
      },
    });
  }
  const traits: TraitInput[] = [];
  const errors: Record<string, string[]>[] = [];
  let failed = false;
  for (const item of value) {
    const result = readTrait(item, true);
    if (result.ok) {
      traits.push(result.trait);
      errors.push({});
    } else {
      failed = true;
      errors.push(result.errors);
    }
  }
  if (failed) throw new SdkInputError({ traits: errors });
  return traits;
}
