/**
 * Routes the contract test (test/support/contract.ts) does not hold to a schema yet: the management routes not
 * migrated to schemas (src/http/schema) and the raw Fastify routes (SDK, SSE, OFREP, probes, docs). This list
 * can only shrink: migrate a route, delete its line; test/contract.e2e-spec.ts fails while a listed route has
 * schemas, or names no route. A new route is schema-first from the start and is never added here.
 */
export const NOT_YET_SCHEMA_FIRST: ReadonlySet<string> = new Set([
  'GET /api/v1/environment-document/',
  'GET /api/v1/environments/{}/document/',
  'GET /api/v1/flags/',
  'GET /api/v1/flags/{}/',
  'GET /api/v1/flags/{}/multivariate-options/',
  'GET /api/v1/identities/',
  'GET /api/v1/identities/{}/',
  'GET /health/',
  'GET /health/liveness/',
  'GET /health/readiness/',
  'GET /healthcheck/',
  'GET /metrics/',
  'GET /sse/environments/{}/stream/',
  'GET /sse/health/',
  'GET /version/',
  'POST /api/v1/analytics/flags/',
  'POST /api/v1/identities/',
  'POST /api/v1/traits/',
  'POST /api/v1/traits/increment-value/',
  'POST /api/v2/analytics/flags/',
  'POST /ofrep/v1/evaluate/flags/',
  'POST /ofrep/v1/evaluate/flags/{}/',
  'POST /sse/environments/{}/queue-change/',
  'PUT /api/v1/traits/bulk/',
]);
