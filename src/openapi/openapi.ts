import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GUARDS_METADATA } from '@nestjs/common/constants';
import type { Type } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { AuthGuard } from '../auth/auth.guard';
import { AUTH_ERROR, componentSchemas, routeSchemas, SCHEMA_FIRST, schemaOperation } from '../http/schema';
import { SDK_PATHS, SDK_SCHEMAS } from './sdk-paths';
import { SWAGGER_UI_ASSETS, swaggerUiAsset, swaggerUiHtml, swaggerUiInitializer } from './swagger-ui';

export const DOCS_PATH = '/api/v1/docs/';
export const DOCS_JSON_PATH = '/api/v1/docs.json';

/** `/api/v1/projects/{project_pk}/features/{id}/` → `/api/v1/projects/{}/features/{}/` (an operation's key). */
export function normalisePath(path: string): string {
  return path.replace(/\{[^}]+\}/g, '{}');
}

/** The version in the nearest package.json above this file (src/ and dist/src/ alike). */
function packageVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    const version =
      typeof parsed === 'object' && parsed !== null ? (parsed as { version?: unknown }).version : undefined;
    return typeof version === 'string' ? version : '0.0.0';
  }
  return '0.0.0';
}

/** Set by @RequirePermission (src/permissions/permissions.decorators.ts). */
const PERMISSION_REQUIREMENT = 'flagport:permission-requirement';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
type HttpMethod = (typeof HTTP_METHODS)[number];
type PathItem = OpenAPIObject['paths'][string];
type Operation = NonNullable<PathItem[HttpMethod]>;
type Parameter = Exclude<NonNullable<Operation['parameters']>[number], { $ref: string }>;

/** Tag per module class (one tag per module of the management API). */
const MODULE_TAGS: Readonly<Record<string, string>> = {
  UsersModule: 'auth & users',
  CoreModule: 'auth & users',
  OAuthModule: 'auth & users',
  FirstRunModule: 'first run',
  OrganisationsModule: 'organisations',
  ProjectsModule: 'projects',
  EnvironmentsModule: 'environments',
  FeaturesModule: 'features',
  SegmentsModule: 'segments',
  IdentitiesModule: 'identities',
  AuditModule: 'audit',
  PermissionsModule: 'permissions',
  HealthModule: 'health',
  TelemetryModule: 'telemetry',
  TelemetryReceiverModule: 'telemetry',
};

interface ControllerInfo {
  readonly type: Type;
  readonly tag: string;
}

/** Controllers by class name with the tag of the module declaring them. */
function controllers(app: NestFastifyApplication): Map<string, ControllerInfo> {
  const out = new Map<string, ControllerInfo>();
  for (const module of app.get(ModulesContainer).values()) {
    const moduleName = module.metatype.name;
    const tag = MODULE_TAGS[moduleName] ?? moduleName.replace(/Module$/, '').toLowerCase();
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as Type | null;
      if (type) out.set(type.name, { type, tag });
    }
  }
  return out;
}

function guardsOf(target: object): unknown[] {
  return (Reflect.getMetadata(GUARDS_METADATA, target) as unknown[] | undefined) ?? [];
}

interface Requirement {
  level: string;
  need: string;
}

/** Path parameters a route reads without @Param (permission guards read them): typed by name. */
function pathParameter(name: string): Parameter {
  const numeric = /(^|_)(pk|id)$/.test(name);
  return { name, in: 'path', required: true, schema: numeric ? { type: 'integer' } : { type: 'string' } };
}

/**
 * The OpenAPI document: Nest's scan of the management controllers (tagged per module, Token/Api-Key security where
 * the auth guard runs, permission needs in the description, every path parameter declared, trailing-slash paths as
 * Flagsmith serves them); bodies, queries and answers from the route's schemas (@ValidBody/@ValidQuery/@Responds,
 * src/http/schema; components declared with S.component); and the SDK fragment.
 */
export function buildOpenApiDocument(app: NestFastifyApplication, version = packageVersion()): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('flagport API')
    .setDescription(
      'Flagsmith-compatible management (dashboard) API and SDK API. Management endpoints take ' +
        '`Authorization: Token <key>` (from login/register) or `Authorization: Api-Key <organisation master key>`; ' +
        'SDK endpoints take `X-Environment-Key`.',
    )
    .setVersion(version)
    .addSecurity('Token', {
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      description: 'User token: `Token <key>`',
    })
    .addSecurity('Api-Key', {
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      description: 'Organisation master API key: `Api-Key <key>`',
    })
    .addSecurity('X-Environment-Key', {
      type: 'apiKey',
      in: 'header',
      name: 'X-Environment-Key',
      description: 'Environment client key, or a server-side `ser.` key',
    })
    .build();
  const scanned = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controller, method) => `${controller}_${method}`,
  });
  const byName = controllers(app);
  const paths: OpenAPIObject['paths'] = {};
  const tags = new Set<string>();
  for (const [rawPath, item] of Object.entries(scanned.paths)) {
    const path = rawPath.endsWith('/') ? rawPath : `${rawPath}/`;
    const target: PathItem = (paths[path] ??= {});
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      target[method] = operation;
      const id = operation.operationId ?? '';
      const controllerName = id.slice(0, id.indexOf('_'));
      const handlerName = id.slice(id.indexOf('_') + 1);
      const controller = byName.get(controllerName);
      const handler: unknown = controller
        ? (controller.type.prototype as Record<string, unknown>)[handlerName]
        : undefined;
      if (controller) {
        operation.tags = [controller.tag];
        tags.add(controller.tag);
      }
      const authenticated =
        typeof handler === 'function' &&
        [...guardsOf(handler), ...guardsOf(controller!.type)].includes(AuthGuard);
      operation.security = authenticated ? [{ Token: [] }, { 'Api-Key': [] }] : [];
      const requirement =
        typeof handler === 'function'
          ? (Reflect.getMetadata(PERMISSION_REQUIREMENT, handler) as Requirement | undefined)
          : undefined;
      if (requirement) operation.description = `Needs ${requirement.need} on the ${requirement.level}.`;
      const declared = new Set(
        (operation.parameters ?? [])
          .filter((p): p is Parameter => !('$ref' in p) && p.in === 'path')
          .map((p) => p.name),
      );
      for (const [, name] of path.matchAll(/\{([^}]+)\}/g))
        if (!declared.has(name)) (operation.parameters ??= []).push(pathParameter(name));
      if (authenticated) {
        operation.responses['401'] ??= { description: 'No or invalid credentials' };
        if (requirement) operation.responses['403'] ??= { description: 'Not allowed' };
      }
      const schemas = typeof handler === 'function' ? routeSchemas(handler) : undefined;
      if (schemas) {
        // Any path parameter names an object that may not exist or be visible ({apiKey} too): 404.
        const fragment = schemaOperation(schemas, /\{[^}]+\}/.test(path));
        if (fragment.requestBody) operation.requestBody = fragment.requestBody;
        else delete operation.requestBody;
        operation.parameters = [
          ...(operation.parameters ?? []).filter((p) => '$ref' in p || p.in !== 'query'),
          ...fragment.parameters,
        ];
        operation.responses = fragment.responses;
        if (authenticated) {
          operation.responses['401'] = AUTH_ERROR('No or invalid credentials');
          if (requirement) operation.responses['403'] ??= AUTH_ERROR('Not allowed');
        }
        (operation as Operation & Record<string, unknown>)[SCHEMA_FIRST] = true;
      }
    }
  }
  Object.assign(paths, SDK_PATHS);
  return {
    ...scanned,
    paths,
    tags: [...[...tags].sort().map((name) => ({ name })), { name: 'sdk', description: 'SDK endpoints' }],
    components: {
      ...scanned.components,
      schemas: { ...scanned.components?.schemas, ...componentSchemas(), ...SDK_SCHEMAS },
    },
  };
}

/**
 * Serves the document at /api/v1/docs.json and Swagger UI at /api/v1/docs/ (assets from swagger-ui-dist, no outside
 * network). The document is built on first request, so startup pays nothing.
 */
export function installOpenApi(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  let document: string | undefined;
  const html = swaggerUiHtml(DOCS_PATH, 'flagport API');
  const initializer = swaggerUiInitializer(DOCS_JSON_PATH);
  fastify.get(DOCS_JSON_PATH, (_request, reply) => {
    document ??= JSON.stringify(buildOpenApiDocument(app));
    return reply.type('application/json; charset=utf-8').send(document);
  });
  fastify.get(DOCS_PATH, (_request, reply) => reply.type('text/html; charset=utf-8').send(html));
  fastify.get(`${DOCS_PATH}swagger-initializer.js`, (_request, reply) =>
    reply.type('application/javascript; charset=utf-8').send(initializer),
  );
  fastify.get<{ Params: { asset: string } }>(`${DOCS_PATH}:asset`, async (request, reply) => {
    const file = swaggerUiAsset(request.params.asset);
    if (!file) return reply.code(404).type('application/json').send('{"detail":"Not found."}');
    return reply
      .type(SWAGGER_UI_ASSETS[request.params.asset])
      .header('cache-control', 'public, max-age=86400')
      .send(await file);
  });
}
