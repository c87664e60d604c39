/**
 * The benchmark's OFREP rows (appended to bench/run.ts's scenarios, same autocannon driver and the same bare
 * Fastify baseline): bulk evaluation for 200 identities with 10 traits each (what the web provider polls), bulk
 * without context (the environment's flags, served from the per-snapshot cache), and single-flag evaluation
 * (what the server provider calls once per flag). Issue 8 asks for these rows, not for a ratio: they carry no target
 * (a POST with a body costs this stack more than a GET, see README "Performance").
 */
import type { SeededDataset } from '../test/support/seed-dataset';
import type { Scenario } from './load';

export interface OfrepScenario {
  readonly scenario: Scenario;
  readonly target: number | null;
}

export function ofrepScenarios(
  root: string,
  data: SeededDataset,
  common: { readonly connections: number; readonly seconds: number },
): OfrepScenario[] {
  const headers = { 'x-api-key': data.clientKey, 'content-type': 'application/json' };
  const contexts = data.identities
    .slice(0, 200)
    .map((identity) =>
      JSON.stringify({ context: { targetingKey: identity.identifier, ...identity.traits } }),
    );
  return [
    {
      scenario: {
        name: 'OFREP bulk POST /ofrep/v1/evaluate/flags (targetingKey + 10 traits)',
        url: `${root}/ofrep/v1/evaluate/flags`,
        method: 'POST',
        headers,
        variants: contexts,
        ...common,
      },
      target: null,
    },
    {
      scenario: {
        name: 'OFREP bulk POST /ofrep/v1/evaluate/flags (no context)',
        url: `${root}/ofrep/v1/evaluate/flags`,
        method: 'POST',
        headers,
        variants: ['{"context":{}}'],
        ...common,
      },
      // Cached bytes like GET /flags/, plus a POST body to read and parse.
      target: null,
    },
    {
      scenario: {
        name: 'OFREP single POST /ofrep/v1/evaluate/flags/{key} (targetingKey + 10 traits)',
        url: `${root}/ofrep/v1/evaluate/flags/${encodeURIComponent(data.featureNames[0])}`,
        method: 'POST',
        headers,
        variants: contexts,
        ...common,
      },
      target: null,
    },
  ];
}
