import { createParamDecorator, ExecutionContext, HttpCode } from '@nestjs/common';
import type { TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { NotFound, ValidationFailed } from '../../common/domain-errors';
import { parseId } from '../../common/drf-values';
import { validate } from './drf-validator';

/**
 * How a management route declares its contract (docs/management-layer.md):
 *
 *   @Patch(':id')
 *   @Responds(200, ProjectJson)
 *   async patch(@ValidBody(UpdateProject, { partial: true }) body: UpdateProjectInput) { … }
 *
 * `@ValidBody(schema)` / `@ValidQuery(schema)` hand the method the validated, coerced value (400 with DRF's field
 * errors otherwise) and record the schema for the OpenAPI document; `@Responds(status, schema)` sets the success
 * status and documents its body (null: no body; `{ html: true }`: a browser gets an HTML page instead). The document (src/openapi/openapi.ts) reads `routeSchemas()`.
 */
export interface BodyDeclaration {
  readonly schema: TSchema;
  readonly partial: boolean;
  /** The media type the document gives the body (default application/json; a file upload: multipart/form-data). */
  readonly mediaType?: string;
  /** Also accepted as an HTML form post (application/x-www-form-urlencoded, read by the same schema). */
  readonly form?: boolean;
}
export interface ResponseDeclaration {
  readonly status: number;
  readonly schema: TSchema | null;
  readonly description: string;
  /** Also answered as an HTML page (text/html) to a browser. */
  readonly html?: boolean;
}
export interface RouteSchemas {
  body?: BodyDeclaration;
  query?: TSchema;
  responses: ResponseDeclaration[];
}

const ROUTE_SCHEMAS = 'flagport:route-schemas';

/** The schemas a controller method declared, or undefined for a route not migrated yet. */
export function routeSchemas(handler: object): RouteSchemas | undefined {
  return Reflect.getMetadata(ROUTE_SCHEMAS, handler) as RouteSchemas | undefined;
}

function declare(target: object, key: string | symbol | undefined, add: (s: RouteSchemas) => void): void {
  if (key === undefined) throw new Error('schema decorators belong on controller methods');
  const handler = (target as Record<string | symbol, object>)[key];
  const current = routeSchemas(handler) ?? { responses: [] };
  add(current);
  Reflect.defineMetadata(ROUTE_SCHEMAS, current, handler);
}

const readBody = createParamDecorator((declaration: BodyDeclaration, ctx: ExecutionContext) => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest>();
  const result = validate(declaration.schema, request.body, { partial: declaration.partial });
  if (!result.ok) throw new ValidationFailed(result.errors);
  return result.value;
});

const readQuery = createParamDecorator((schema: TSchema, ctx: ExecutionContext) => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest>();
  const result = validate(schema, request.query, { query: true });
  if (!result.ok) throw new ValidationFailed(result.errors);
  return result.value;
});

/**
 * The request body, validated against `schema` (`partial`: PATCH, every field optional; `mediaType`: a file upload;
 * `form`: an HTML form post is documented too).
 */
export function ValidBody(
  schema: TSchema,
  options: { partial?: boolean; mediaType?: 'multipart/form-data'; form?: boolean } = {},
): ParameterDecorator {
  const declaration: BodyDeclaration = {
    schema,
    partial: options.partial ?? false,
    ...(options.mediaType ? { mediaType: options.mediaType } : {}),
    ...(options.form ? { form: true } : {}),
  };
  const parameter = readBody(declaration);
  return (target, key, index) => {
    parameter(target, key, index);
    declare(target, key, (s) => (s.body = declaration));
  };
}

/** The query string, validated against `schema` ('' reads as absent). */
export function ValidQuery(schema: TSchema): ParameterDecorator {
  const parameter = readQuery(schema);
  return (target, key, index) => {
    parameter(target, key, index);
    declare(target, key, (s) => (s.query = schema));
  };
}

/**
 * An answer of the route: its status and body schema (null: no body). A 2xx is the success answer and is also
 * sent (as @HttpCode); other statuses document refusals the route's own rules give (`@Responds(403, DetailJson)`)
 * beyond those every schema-first route documents (src/http/schema/openapi.ts).
 */
export function Responds(
  status: number,
  schema: TSchema | null,
  description = '',
  options: { html?: boolean } = {},
): MethodDecorator {
  const httpCode = status < 300 ? HttpCode(status) : undefined;
  const html = options.html ? { html: true } : {};
  return (target, key, descriptor) => {
    httpCode?.(target, key, descriptor);
    declare(target, key, (s) => s.responses.push({ status, schema, description, ...html }));
  };
}

/** A path id (`:id`, `:project_pk`): a positive int32, else 404 — Flagsmith's URL patterns only match digits. */
export const IdParam = createParamDecorator((name: string, ctx: ExecutionContext): number => {
  const params = ctx.switchToHttp().getRequest<FastifyRequest>().params as Record<string, unknown>;
  const id = parseId(params[name]);
  if (id === undefined) throw new NotFound();
  return id;
});
