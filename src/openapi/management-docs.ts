import type { SchemaObject } from '@nestjs/swagger';
import { jsonSchema } from '../http/schema';
import { OrganisationJson } from '../organisations/organisation.schemas';
import { EnvironmentJson } from '../environments/environment.schemas';
import { FeatureJson, MvOptionJson } from '../features/feature.schemas';
import { ProjectJson } from '../projects/project.schemas';
import { FeatureSegmentJson } from '../segments/feature-segment.schemas';
import { SegmentConditionJson, SegmentJson, SegmentRuleJson } from '../segments/segment.schemas';

/**
 * Documentation of the management endpoints that Nest's scanner cannot infer: the controllers take
 * `@Body() body: unknown` and validate with BodyReader, and read most query parameters from the request. Keyed by
 * `METHOD path` with path parameters written `{}` (see normalisePath), field names and types from docs/contracts/admin-api.md.
 * test/openapi.e2e-spec.ts checks every key names a real route.
 */
export interface OperationDocs {
  summary?: string;
  description?: string;
  /** The JSON body (null: the operation takes none). */
  requestBody?: SchemaObject | null;
  requestBodyOptional?: boolean;
  query?: Record<string, { schema: SchemaObject; required?: boolean; description?: string }>;
  /** The success response: status, body schema (null: none), description. */
  response?: [status: string, schema: SchemaObject | null, description: string];
}

/** `/api/v1/projects/{project_pk}/features/{id}/` → `/api/v1/projects/{}/features/{}/`. */
export function normalisePath(path: string): string {
  return path.replace(/\{[^}]+\}/g, '{}');
}

const str: SchemaObject = { type: 'string' };
const int: SchemaObject = { type: 'integer' };
const bool: SchemaObject = { type: 'boolean' };
const nullable = (s: SchemaObject): SchemaObject => ({ ...s, nullable: true });
const obj = (properties: Record<string, SchemaObject>, required: string[] = []): SchemaObject => ({
  type: 'object',
  properties,
  ...(required.length ? { required } : {}),
});
const list = (items: SchemaObject): SchemaObject => ({ type: 'array', items });
const datetime: SchemaObject = { type: 'string', format: 'date-time' };
const rawValue: SchemaObject = {
  nullable: true,
  oneOf: [str, int, bool],
  description:
    'Typed by its JSON type: string ⇒ unicode, integer ⇒ int, boolean ⇒ bool, others stored as text',
};

const MV_STATE_VALUE = obj(
  {
    id: int,
    multivariate_feature_option: int,
    percentage_allocation: { type: 'number', minimum: 0, maximum: 100 },
  },
  ['multivariate_feature_option', 'percentage_allocation'],
);
const TYPED_VALUE = obj({
  type: { type: 'string', enum: ['unicode', 'int', 'bool'] },
  string_value: nullable(str),
  integer_value: nullable(int),
  boolean_value: nullable(bool),
});
export const MANAGEMENT_SCHEMAS: Record<string, SchemaObject> = {
  Organisation: jsonSchema(OrganisationJson),
  Project: jsonSchema(ProjectJson),
  Environment: jsonSchema(EnvironmentJson),
  MultivariateOption: jsonSchema(MvOptionJson),
  Feature: jsonSchema(FeatureJson),
  MultivariateStateValue: MV_STATE_VALUE,
  FeatureState: obj(
    {
      id: int,
      uuid: str,
      feature: int,
      enabled: bool,
      feature_state_value: rawValue,
      environment: int,
      identity: nullable({ oneOf: [int, obj({ id: int, identifier: str })] }),
      feature_segment: nullable(int),
      multivariate_feature_state_values: list(MV_STATE_VALUE),
      live_from: nullable(datetime),
      version: nullable(int),
      created_at: datetime,
      updated_at: datetime,
    },
    ['id', 'feature', 'enabled', 'feature_state_value', 'environment'],
  ),
  TypedValue: TYPED_VALUE,
  SegmentCondition: jsonSchema(SegmentConditionJson),
  SegmentRule: jsonSchema(SegmentRuleJson),
  Segment: jsonSchema(SegmentJson),
  FeatureSegment: jsonSchema(FeatureSegmentJson),
  Permissions: obj({ permissions: list(str), admin: bool, tag_based_permissions: list({ type: 'object' }) }, [
    'permissions',
    'admin',
  ]),
};

export const MANAGEMENT_OPERATIONS: Record<string, OperationDocs> = {
  // §3 organisations: schema-first (src/organisations/*.schemas.ts)

  // §4 projects: schema-first (src/projects/project.schemas.ts)

  // §5 environments: schema-first (src/environments/environment.schemas.ts)

  // §6 features: schema-first (src/features/feature.schemas.ts)
};
