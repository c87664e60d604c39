/** Schema-first routes: declare once (schema.ts), validate with DRF's messages (drf-validator.ts), document. */
export { DetailJson, PageQuery, S, type Static, type TObject, type TSchema } from './schema';
export { readInput, validate, type FieldErrors, type Validated } from './drf-validator';
export { IdParam, Responds, routeSchemas, ValidBody, ValidQuery, type RouteSchemas } from './route';
export { componentSchemas, jsonSchema, schemaOperation, SCHEMA_FIRST, AUTH_ERROR } from './openapi';
