import type { FieldErrors } from '../../common/domain-errors';
import { Kind, type Static, type TObject, type TProperties, type TSchema, Type } from '@sinclair/typebox';
import { MESSAGES } from '../../common/drf-values';
import { FILE_MESSAGES, readUploadedFile, type UploadedFile } from '../multipart';

/**
 * The schema builder of the management API. Every request body, query and response body is declared once with
 * these helpers; from that one declaration come
 *   - the TypeScript type (`Static<typeof X>`, exported beside the schema as `XInput` / `XJson`),
 *   - the validation with Django REST framework's coercions and messages (drf-validator.ts),
 *   - the OpenAPI 3.0 schema of the served document (the schema object *is* JSON Schema; openapi.ts reads it).
 *
 * The helpers wrap TypeBox (https://github.com/sinclairzx81/typebox) so that every DRF option is explicit and the
 * JSON Schema stays OpenAPI 3.0 (nullable is `nullable: true`, not a union with null).
 */
export type { Static, TObject, TSchema };

/** Options our validator reads besides plain JSON Schema keywords (they are ignored by OpenAPI tools). */
export interface DrfStringOptions {
  maxLength?: number;
  /** DRF allow_blank: '' is a value (else "This field may not be blank.", or null when nullable). */
  allowBlank?: boolean;
  /** DRF trim_whitespace (default true). */
  trim?: boolean;
  description?: string;
}

/** A per-field rule beyond JSON Schema (DRF's field validators): returns the error message, or undefined. */
export type FieldCheck<T> = (value: T) => string | undefined;
export const FIELD_CHECK = Symbol('flagport:field-check');
/** Documented with the inner schema, but passed to the service as sent: the service owns that field's rule. */
export const UNCHECKED = Symbol('flagport:unchecked');
/** An id (positive int32): every bad value answers "A valid integer is required." as a pk lookup does. */
export const PRIMARY_KEY = Symbol('flagport:primary-key');
/** A list of primary keys (DRF PrimaryKeyRelatedField many=True): ids or `{"id": …}` objects, one message. */
export const PRIMARY_KEY_LIST = Symbol('flagport:primary-key-list');

/** The message of a required field that is absent, when not DRF's default ("This field is required."). */
export const REQUIRED_MESSAGE = Symbol('flagport:required-message');

/** A field read by its own function (DRF's to_internal_value) instead of by the schema's keywords. */
export const FIELD_READER = Symbol('flagport:field-reader');

/** The reading of a field: its value, or DRF's errors for it (messages, or nested errors of an object / list). */
export type FieldReading<T> =
  { value: T; error?: undefined } | { value?: undefined; error: string[] | FieldErrors | FieldErrors[] };

/** A body-level rule (DRF's Serializer.validate() and nested serializers that answer at the top level). */
export const BODY_CHECK = Symbol('flagport:body-check');
/**
 * Errors of a body-level rule, merged over the field errors. It is given the fields as read so far (fields that
 * failed are absent; unchecked fields are as sent), so one answer names every bad field.
 */
export type BodyCheck<T> = (value: Partial<T>) => FieldErrors | undefined;

/** The components declared with S.component, by name (read by the document: componentSchemas()). */
const COMPONENTS = new Map<string, TSchema>();
export function declaredComponents(): ReadonlyMap<string, TSchema> {
  return COMPONENTS;
}

export const S = {
  /** A CharField: a string (a JSON number is taken as its text), trimmed, not blank unless allowBlank. */
  string: (o: DrfStringOptions = {}) =>
    Type.String({
      ...(o.maxLength !== undefined ? { maxLength: o.maxLength } : {}),
      ...(o.allowBlank || o.trim === false ? {} : { minLength: 1 }),
      ...(o.trim === false ? { 'x-trim': false } : {}),
      ...(o.allowBlank ? { 'x-allow-blank': true } : {}),
      ...(o.description ? { description: o.description } : {}),
    }),
  /** An IntegerField: a JSON integer or a decimal string; bounds default to PostgreSQL's integer. */
  integer: (o: { minimum?: number; maximum?: number; description?: string } = {}) => Type.Integer(o),
  /** A primary key (query filter or body reference): a positive int32. */
  id: (o: { description?: string } = {}) =>
    Object.assign(Type.Integer({ minimum: 1, maximum: 2147483647, ...o }), { [PRIMARY_KEY]: true }),
  /** An EmailField: a string of at most 254 characters that looks like an address. */
  email: (o: { description?: string } = {}) => Type.String({ format: 'email', minLength: 1, ...o }),
  /** Ids of related rows (PrimaryKeyRelatedField many=True): `[1, 2]` or `[{"id": 1}]`; any bad item answers
   * "Incorrect type. Expected pk value, received str." for the whole field. */
  pkList: (o: { description?: string } = {}) =>
    Object.assign(Type.Array(Type.Integer(), o), { [PRIMARY_KEY_LIST]: true }),
  /** A FloatField: a JSON number or a numeric string; unbounded unless bounds are given. */
  number: (o: { minimum?: number; maximum?: number; description?: string } = {}) => Type.Number(o),
  /** A BooleanField: true/false, or one of DRF's words ("true", "on", "yes", "1", 0, …). */
  boolean: (o: { description?: string } = {}) => Type.Boolean(o),
  /** A ChoiceField. */
  choice: <const T extends readonly string[]>(values: T, o: { description?: string } = {}) =>
    Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...o }),
  /**
   * A list of choices read as one field (DRF's MultipleChoiceField; permission keys): not a list → "Expected a list
   * of items…"; else the first bad item answers flat under the field ("Not a valid string." for a non-string,
   * '"X" is not a valid choice.'), not keyed by index as S.list does.
   */
  choiceList: <const T extends readonly string[]>(values: T, o: { description?: string } = {}) =>
    S.check(
      Type.Unsafe<T[number][]>({ ...stripKind(S.list(S.unchecked(S.choice(values)))), ...o }),
      (items: readonly unknown[]) => {
        for (const item of items) {
          if (typeof item !== 'string') return MESSAGES.string;
          if (!values.includes(item)) return MESSAGES.choice(item);
        }
        return undefined;
      },
    ),
  /** A DateTimeField, answered as ISO-8601 text. */
  dateTime: () => Type.String({ format: 'date-time' }),
  /** A constant in responses (e.g. Flagsmith fields this server fixes). */
  literal: <const T extends string | number | boolean>(value: T) => Type.Literal(value),
  /** null is a value; for a string, blank text becomes null too (so the schema drops its minLength). */
  nullable: <T extends TSchema>(schema: T) => {
    const { minLength: _blank, ...rest } = stripKind(schema);
    const keep = schema.type === 'string' && schema['x-allow-blank'] !== true ? rest : stripKind(schema);
    // A choice lists null among its values: OpenAPI 3.0 validators check `enum` before `nullable`.
    const values = keep.enum as unknown[] | undefined;
    const choices = Array.isArray(values) && !values.includes(null) ? { enum: [...values, null] } : {};
    return Type.Unsafe<Static<T> | null>({ ...keep, ...choices, nullable: true });
  },
  optional: <T extends TSchema>(schema: T) => Type.Optional(schema),
  list: <T extends TSchema>(items: T) => Type.Array(items),
  /** A request object: unknown fields are ignored, as DRF does. */
  object: <T extends TProperties>(properties: T) => Type.Object(properties),
  /** A response object: no field outside `properties` (the contract test holds every response to it). */
  response: <T extends TProperties>(properties: T, o: { title?: string } = {}) =>
    Type.Object(properties, { additionalProperties: false, ...o }),
  /** Every field optional (a PATCH body). */
  partial: <T extends TObject>(schema: T) => Type.Partial(schema),
  /** Adds a DRF field validator (kept out of the JSON output). */
  check: <T extends TSchema>(schema: T, check: FieldCheck<Static<T>>): T =>
    Object.assign(Type.Unsafe<Static<T>>(stripKind(schema)), { [FIELD_CHECK]: check }) as unknown as T,
  /** Adds a body-level rule to a request object built for it (kept out of the JSON output). */
  checkBody: <T extends TObject>(schema: T, check: BodyCheck<Static<T>>): T =>
    Object.assign(schema, { [BODY_CHECK]: check }),
  /** Documented as `schema`, but given to the service unvalidated (typed unknown). */
  unchecked: (schema: TSchema) =>
    Object.assign(Type.Unsafe<unknown>(stripKind(schema)), { [UNCHECKED]: true }),
  /**
   * Documented as `schema`, read by `read` — for a DRF field whose coercions or nested errors the keywords cannot
   * say (a pk field's own messages, a rule tree that drops deleted items). `read` sees every sent value, null
   * included; it may throw ValidationFailed for a refusal of the whole body. At the top level (a list body),
   * its error must be an object: the body's errors.
   */
  reader: <T>(schema: TSchema, read: (raw: unknown) => FieldReading<T>) =>
    Object.assign(Type.Unsafe<T>(stripKind(schema)), { [FIELD_READER]: read }),
  /** A FileField of a multipart/form-data body (src/http/multipart.ts), with DRF's messages. */
  file: (o: { description?: string } = {}) =>
    Object.assign(S.reader<UploadedFile>(Type.String({ format: 'binary', ...o }), readUploadedFile), {
      [REQUIRED_MESSAGE]: FILE_MESSAGES.required,
    }),
  /**
   * Names `schema` as a component of the document (`#/components/schemas/<name>`), declared next to its domain;
   * S.ref(name) then refers to it (a recursive schema such as a rule tree refers to itself).
   */
  component: <T extends TSchema>(name: string, schema: T): T => {
    if (COMPONENTS.has(name) && COMPONENTS.get(name) !== schema) throw new Error(`component ${name} twice`);
    COMPONENTS.set(name, schema);
    return schema;
  },
  /** A reference to a component declared with S.component. */
  ref: <T>(component: string) => Type.Unsafe<T>({ $ref: `#/components/schemas/${component}` }),
  /** A DRF page of `items` (PageNumberPagination). */
  page: <T extends TSchema>(items: T) =>
    S.response({
      count: Type.Integer(),
      next: S.nullable(Type.String({ format: 'uri' })),
      previous: S.nullable(Type.String({ format: 'uri' })),
      results: Type.Array(items),
    }),
};

/** The schema without TypeBox's Kind (rest keeps our symbol markers: FIELD_CHECK, UNCHECKED, PRIMARY_KEY). */
function stripKind(schema: TSchema): Record<string, unknown> {
  const { [Kind]: _kind, ...rest } = schema as TSchema & Record<symbol, unknown>;
  return rest;
}

/** `?page=&page_size=` of a paginated list (read by src/common/pagination.ts, which answers 404 "Invalid page."). */
export const PageQuery = S.object({
  page: S.optional(S.unchecked(Type.Integer({ minimum: 1 }))),
  page_size: S.optional(S.unchecked(Type.Integer({ minimum: 1, description: 'Default 10, at most 999' }))),
});

/** DRF's `{"detail": "…"}` (401, 403, 404, …). */
export const DetailJson = S.response({ detail: Type.String() });
