/**
 * Django REST framework's field messages and the value readings shared by the schema validator
 * (src/http/schema/drf-validator.ts) and the services that read a path or query id themselves.
 */
export const MESSAGES = {
  required: 'This field is required.',
  null: 'This field may not be null.',
  blank: 'This field may not be blank.',
  string: 'Not a valid string.',
  boolean: 'Must be a valid boolean.',
  integer: 'A valid integer is required.',
  number: 'A valid number is required.',
  email: 'Enter a valid email address.',
  datetime:
    'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].',
  maxLength: (n: number) => `Ensure this field has no more than ${n} characters.`,
  minValue: (n: number) => `Ensure this value is greater than or equal to ${n}.`,
  maxValue: (n: number) => `Ensure this value is less than or equal to ${n}.`,
  choice: (v: unknown) => `"${String(v)}" is not a valid choice.`,
  list: (v: unknown) => `Expected a list of items but got type "${pythonType(v)}".`,
  object: (v: unknown) => `Invalid data. Expected a dictionary, but got ${pythonType(v)}.`,
} as const;

/** The Python type name DRF's messages use for a JSON value. */
export function pythonType(v: unknown): string {
  if (v === null) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  switch (typeof v) {
    case 'string':
      return 'str';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float';
    case 'boolean':
      return 'bool';
    default:
      return 'dict';
  }
}

export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** The values DRF's BooleanField reads as true / false. */
export const TRUE_WORDS = new Set([true, 'true', 'True', 'TRUE', '1', 1, 'on', 'yes']);
export const FALSE_WORDS = new Set([false, 'false', 'False', 'FALSE', '0', 0, 'off', 'no']);

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An integer from a JSON number or a decimal string; anything else → undefined. */
export function toInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

/** A path/query id: a positive int32, else undefined (callers answer 404 or 400). */
export function parseId(value: unknown): number | undefined {
  const n = toInteger(value);
  return n !== undefined && n > 0 && n <= 2147483647 ? n : undefined;
}

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A uuid as Django reads one from a path, in canonical form, else undefined (callers answer 404).
 * `'converter'`: Django's <uuid:> path converter (lowercase 8-4-4-4-12 only). `'field'`: a DRF action's
 * `[0-9a-f-]+` segment handed to a UUIDField, which drops the hyphens and wants 32 hex digits.
 */
export function parseUuid(value: unknown, read: 'converter' | 'field'): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (read === 'converter') return CANONICAL_UUID.test(value) ? value : undefined;
  if (!/^[0-9a-f-]+$/.test(value)) return undefined;
  const hex = value.replace(/-/g, '');
  if (hex.length !== 32) return undefined;
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-');
}
