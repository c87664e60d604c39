import type {
  ParameterObject,
  RequestBodyObject,
  ResponseObject,
  ResponsesObject,
  SchemaObject,
} from '@nestjs/swagger';
import type { TSchema } from '@sinclair/typebox';
import type { RouteSchemas } from './route';
import { declaredComponents } from './schema';

/**
 * The OpenAPI fragment of a schema-first route (src/openapi/openapi.ts applies it to Nest's scan). Besides the
 * declared success answers, every such operation documents the errors the pipeline may answer for it, with
 * Flagsmith's bodies: 400 (field errors, or a body that is not JSON), 413, 415, 404 for a path with ids or a
 * query, 429 (throttles) and 503 (database unavailable) always; 401/403 are added by the caller from the guards.
 */
export const SCHEMA_FIRST = 'x-schema-first';

/** The schema as plain JSON (TypeBox's and our symbol markers dropped). */
export function jsonSchema(schema: TSchema): SchemaObject {
  return JSON.parse(JSON.stringify(schema)) as SchemaObject;
}

/** The components of the document, as JSON (every S.component of the loaded modules). */
export function componentSchemas(): Record<string, SchemaObject> {
  return Object.fromEntries([...declaredComponents()].map(([name, schema]) => [name, jsonSchema(schema)]));
}

const DETAIL: SchemaObject = {
  type: 'object',
  properties: { detail: { type: 'string' } },
  required: ['detail'],
  additionalProperties: false,
};
/** DRF's field errors: `{"field": ["message"]}`, nested for nested serializers; a list body's errors are a list. */
const FIELD_ERRORS: SchemaObject = {
  anyOf: [{ type: 'object' }, { type: 'array' }],
  description: 'Field errors: {"field": ["message", …]}, or one such object per item of a list body',
};

/** The page a browser is answered with (routes declared `{ html: true }`). */
const HTML_PAGE: SchemaObject = { type: 'string', description: 'An HTML page' };

const json = (schema: SchemaObject, description: string): ResponseObject => ({
  description,
  content: { 'application/json': { schema } },
});

export interface OperationFragment {
  requestBody?: RequestBodyObject;
  parameters: ParameterObject[];
  responses: ResponsesObject;
}

export function schemaOperation(schemas: RouteSchemas, hasPathIds: boolean): OperationFragment {
  const out: OperationFragment = { parameters: [], responses: {} };
  if (schemas.body) {
    const schema = jsonSchema(schemas.body.schema);
    if (schemas.body.partial) delete schema.required;
    out.requestBody = {
      required: true,
      content: {
        [schemas.body.mediaType ?? 'application/json']: { schema },
        ...(schemas.body.form ? { 'application/x-www-form-urlencoded': { schema } } : {}),
      },
    };
  }
  if (schemas.query) {
    const query = jsonSchema(schemas.query);
    const required = new Set(query.required ?? []);
    for (const [name, schema] of Object.entries((query.properties ?? {}) as Record<string, SchemaObject>)) {
      const { description, ...rest } = schema;
      out.parameters.push({ name, in: 'query', required: required.has(name), description, schema: rest });
    }
  }
  for (const r of schemas.responses) {
    const answer: ResponseObject = r.schema
      ? json(jsonSchema(r.schema), r.description || 'Success')
      : { description: r.description || 'No content' };
    if (r.html) answer.content = { ...answer.content, 'text/html': { schema: HTML_PAGE } };
    out.responses[String(r.status)] = answer;
  }
  // Refusals the pipeline gives any schema-first route (a route's own @Responds of the same status wins).
  const declared = (status: string) => out.responses[status] !== undefined;
  // Any request may carry a body the parser refuses (malformed JSON, too large, another media type).
  if (!declared('400'))
    out.responses['400'] = json(FIELD_ERRORS, 'Invalid input, or a body that is not JSON');
  else {
    // A route's own 400 (e.g. a list of errors for a list body) still meets the parser's field-errors object.
    const media = (out.responses['400'] as ResponseObject).content?.['application/json'];
    if (media?.schema) media.schema = { anyOf: [media.schema, FIELD_ERRORS] };
  }
  out.responses['413'] = json(DETAIL, 'Request body is too large');
  out.responses['415'] = json(DETAIL, 'Unsupported media type');
  if ((hasPathIds || schemas.query) && !declared('404'))
    out.responses['404'] = json(DETAIL, 'Not found (or not visible to the caller)');
  out.responses['429'] = json(DETAIL, 'Throttled');
  out.responses['503'] = json(DETAIL, 'The database is unavailable');
  // A fault of this server: the body never says more than a generic detail.
  out.responses['500'] = json(DETAIL, 'Internal error');
  return out;
}

/** 401/403 bodies of an authenticated schema-first route. */
export const AUTH_ERROR = (description: string) => json(DETAIL, description);
