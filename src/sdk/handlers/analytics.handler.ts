import { isObject } from '../sdk-input';
import { EXPECTED_OBJECT, type KeyedHandler, sendJson, type UsageCounter } from './sdk-reply';

export interface AnalyticsDeps {
  readonly usage: UsageCounter;
}

/** POST /api/v1/analytics/flags/ (spec §6): `{feature name: count}`; 200, empty body. */
export function analyticsV1Handler({ usage }: AnalyticsDeps): KeyedHandler {
  return ({ snapshot }, request, reply, now) => {
    if (!isObject(request.body)) return sendJson(reply, 400, EXPECTED_OBJECT);
    usage.countEvaluations(snapshot.environmentId, request.body, snapshot.featureNames, now);
    return reply.code(200).send();
  };
}

/** POST /api/v2/analytics/flags/ (spec §6): `{evaluations: [{feature_name, count}]}`; 204. */
export function analyticsV2Handler({ usage }: AnalyticsDeps): KeyedHandler {
  return ({ snapshot }, request, reply, now) => {
    const body = request.body;
    if (!isObject(body) || !Array.isArray(body.evaluations)) {
      return sendJson(reply, 400, JSON.stringify({ evaluations: ['This field is required.'] }));
    }
    const counts: Record<string, number> = Object.create(null) as Record<string, number>;
    for (const e of body.evaluations as unknown[]) {
      if (!isObject(e) || typeof e.feature_name !== 'string') continue;
      const n = typeof e.count === 'number' && Number.isSafeInteger(e.count) ? e.count : 1;
      counts[e.feature_name] = (counts[e.feature_name] ?? 0) + n;
    }
    usage.countEvaluations(snapshot.environmentId, counts, snapshot.featureNames, now);
    return reply.code(204).send();
  };
}
