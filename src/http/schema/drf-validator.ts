import type { Static, TSchema } from '@sinclair/typebox';
import {
  EMAIL,
  FALSE_WORDS,
  isPlainObject,
  MESSAGES,
  pythonType,
  toInteger,
  TRUE_WORDS,
} from '../../common/drf-values';
import {
  BODY_CHECK,
  type BodyCheck,
  FIELD_CHECK,
  FIELD_READER,
  type FieldCheck,
  type FieldReading,
  PRIMARY_KEY,
  PRIMARY_KEY_LIST,
  REQUIRED_MESSAGE,
  UNCHECKED,
} from './schema';

/**
 * Validates a request value against a schema of schema.ts with Django REST framework's semantics, and returns
 * either the coerced value (typed by the schema) or DRF's error body:
 *   - fields: `{"name": ["This field is required."]}`; nested objects nest (`{"owner": {"email": [...]}}`), lists
 *     of objects answer one entry per item (`{"rules": [{}, {"conditions": [...]}]}`), lists of scalars by index
 *     (`{"tags": {"1": [...]}}`); a body that is not an object: `{"non_field_errors": ["Invalid data. …"]}`;
 *   - coercions DRF accepts: strings trimmed, a number for a string field, "1",
 *     "true", "on", "yes" (and their opposites) for booleans, decimal strings for integers, blank → null for a
 *     nullable string; unknown fields are dropped.
 * `partial` (PATCH) drops every `required`; `query` reads '' as absent (a filter left empty).
 */
export type { FieldErrors } from '../../common/domain-errors';
import { type FieldErrors, ValidationFailed } from '../../common/domain-errors';
export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

export interface ValidateOptions {
  readonly partial?: boolean;
  readonly query?: boolean;
}

type Schema = TSchema & Record<string | symbol, unknown>;
/** An error under one field: messages, or the nested errors of an object / list. */
type FieldError = string[] | FieldErrors | FieldErrors[];
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const ABSENT = Symbol('absent');

export function validate<T extends TSchema>(
  schema: T,
  input: unknown,
  options: ValidateOptions = {},
): Validated<Static<T>> {
  const read = (schema as Schema)[FIELD_READER] as ((raw: unknown) => FieldReading<unknown>) | undefined;
  if (read) {
    // A body read whole by its own reader (e.g. a list body): its error is the body's errors.
    const result = read(input);
    return result.error
      ? { ok: false, errors: result.error as FieldErrors }
      : { ok: true, value: result.value };
  }
  const errors: FieldErrors = {};
  let body: Record<string, unknown> = {};
  if (isPlainObject(input)) body = input;
  // A body that is not an object is reported and read as {} (so required fields are named too).
  else if (input !== undefined && input !== null && input !== '')
    errors.non_field_errors = [MESSAGES.object(input)];
  const value = readObject(schema as Schema, body, options, errors);
  const check = (schema as Schema)[BODY_CHECK] as BodyCheck<unknown> | undefined;
  Object.assign(errors, check?.(value as Partial<unknown>));
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, value: value };
}

function readObject(
  schema: Schema,
  body: Record<string, unknown>,
  options: ValidateOptions,
  errors: FieldErrors,
): Record<string, unknown> {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set(options.partial ? [] : ((schema.required as string[] | undefined) ?? []));
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(properties)) {
    let raw = body[name];
    // DRF reads an empty query value as absent, unless the field allows blank text ("?tags=" is a filter).
    if (options.query && raw === '' && field['x-allow-blank'] !== true) raw = undefined;
    if (raw === undefined) {
      if (required.has(name))
        errors[name] = [(field[REQUIRED_MESSAGE] as string | undefined) ?? MESSAGES.required];
      continue;
    }
    const result = readField(field, raw, options);
    if (result.error) errors[name] = result.error;
    else if (result.value !== ABSENT) out[name] = result.value;
  }
  return out;
}

type FieldResult = { value: unknown; error?: undefined } | { value?: undefined; error: FieldError };

function readField(schema: Schema, raw: unknown, options: ValidateOptions): FieldResult {
  if (schema[UNCHECKED]) return { value: raw };
  const read = schema[FIELD_READER] as ((raw: unknown) => FieldReading<unknown>) | undefined;
  if (read) return read(raw);
  if (raw === null) return schema.nullable ? { value: null } : { error: [MESSAGES.null] };
  const result = readValue(schema, raw, options);
  if (result.error || result.value === null) return result;
  const check = schema[FIELD_CHECK] as FieldCheck<unknown> | undefined;
  const message = check?.(result.value);
  return message === undefined ? result : { error: [message] };
}

function readValue(schema: Schema, raw: unknown, options: ValidateOptions): FieldResult {
  if (schema[PRIMARY_KEY_LIST]) return readPrimaryKeys(raw);
  if (Array.isArray(schema.enum)) {
    const choices = schema.enum as unknown[];
    if (typeof raw === 'string' && choices.includes(raw)) return { value: raw };
    return { error: [MESSAGES.choice(typeof raw === 'object' ? JSON.stringify(raw) : raw)] };
  }
  switch (schema.type) {
    case 'string':
      return readString(schema, raw);
    case 'boolean':
      if (TRUE_WORDS.has(raw as never)) return { value: true };
      if (FALSE_WORDS.has(raw as never)) return { value: false };
      return { error: [MESSAGES.boolean] };
    case 'integer':
      return readInteger(schema, raw);
    case 'number': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : NaN;
      if (!Number.isFinite(n) || (typeof raw === 'string' && raw.trim() === ''))
        return { error: [MESSAGES.number] };
      // A FloatField has no implicit bounds (an integer's default is PostgreSQL's int4).
      return bounded(schema, n, -Infinity, Infinity);
    }
    case 'array':
      return readArray(schema, raw, options);
    case 'object': {
      // A nested serializer: a non-object is reported inside it, as DRF does.
      if (!isPlainObject(raw)) return { error: { non_field_errors: [MESSAGES.object(raw)] } };
      if (!schema.properties) return { value: raw }; // free-form JSON
      const nested: FieldErrors = {};
      const value = readObject(schema, raw, { ...options, query: false }, nested);
      return Object.keys(nested).length ? { error: nested } : { value };
    }
    default:
      return { value: raw }; // no type: any JSON
  }
}

function readString(schema: Schema, raw: unknown): FieldResult {
  if (schema.format === 'date-time' && typeof raw !== 'string') return { error: [MESSAGES.datetime] };
  if (typeof raw !== 'string' && typeof raw !== 'number') return { error: [MESSAGES.string] };
  let text = String(raw);
  if (schema['x-trim'] !== false) text = text.trim();
  // A date-time is never blank or blank → null: '' answers the date-time message (DRF's DateTimeField).
  if (text === '' && schema['x-allow-blank'] !== true && schema.format !== 'date-time') {
    if (schema.nullable) return { value: null };
    return { error: [MESSAGES.blank] };
  }
  const maxLength = schema.format === 'email' ? 254 : (schema.maxLength as number | undefined);
  if (maxLength !== undefined && text.length > maxLength) return { error: [MESSAGES.maxLength(maxLength)] };
  if (schema.format === 'email' && !EMAIL.test(text)) return { error: [MESSAGES.email] };
  if (
    schema.format === 'date-time' &&
    (!/^\d{4}-\d{2}-\d{2}(T|\s|$)/.test(text) || Number.isNaN(Date.parse(text)))
  )
    return { error: [MESSAGES.datetime] };
  return { value: text };
}

function readPrimaryKeys(raw: unknown): FieldResult {
  if (!Array.isArray(raw)) return { error: [MESSAGES.list(raw)] };
  const ids: number[] = [];
  for (const item of raw) {
    const id = toInteger(isPlainObject(item) ? item.id : item);
    if (id === undefined)
      return { error: [`Incorrect type. Expected pk value, received ${pythonType(item)}.`] };
    ids.push(id);
  }
  return { value: ids };
}

function readInteger(schema: Schema, raw: unknown): FieldResult {
  const n = toInteger(raw);
  if (schema[PRIMARY_KEY]) {
    const valid = n !== undefined && n >= 1 && n <= INT32_MAX;
    return valid ? { value: n } : { error: [MESSAGES.integer] };
  }
  if (n === undefined) return { error: [MESSAGES.integer] };
  return bounded(schema, n);
}

function bounded(schema: Schema, n: number, lowest = INT32_MIN, highest = INT32_MAX): FieldResult {
  const min = (schema.minimum as number | undefined) ?? lowest;
  const max = (schema.maximum as number | undefined) ?? highest;
  if (n < min) return { error: [MESSAGES.minValue(min)] };
  if (n > max) return { error: [MESSAGES.maxValue(max)] };
  return { value: n };
}

function readArray(schema: Schema, raw: unknown, options: ValidateOptions): FieldResult {
  if (!Array.isArray(raw)) return { error: [MESSAGES.list(raw)] };
  const items = schema.items as Schema | undefined;
  if (!items) return { value: raw };
  const values: unknown[] = [];
  if (items.type === 'object' && items.properties) {
    // DRF's ListSerializer: one error object per item, {} for the valid ones.
    const perItem: FieldErrors[] = [];
    for (const item of raw) {
      const result = readField(items, item, options);
      const error = result.error;
      perItem.push(error && !Array.isArray(error) ? error : error ? { non_field_errors: error } : {});
      values.push(result.value);
    }
    return perItem.some((e) => Object.keys(e).length) ? { error: perItem } : { value: values };
  }
  // ListField: errors keyed by index.
  const byIndex: FieldErrors = {};
  raw.forEach((item, index) => {
    const result = readField(items, item, options);
    if (result.error) byIndex[String(index)] = result.error;
    else values.push(result.value);
  });
  return Object.keys(byIndex).length ? { error: byIndex } : { value: values };
}

/** The validated value, or ValidationFailed (400 with DRF's body): for callers outside a controller (admin panel). */
export function readInput<T extends TSchema>(
  schema: T,
  input: unknown,
  options: ValidateOptions = {},
): Static<T> {
  const result = validate(schema, input, options);
  if (!result.ok) throw new ValidationFailed(result.errors);
  return result.value;
}
