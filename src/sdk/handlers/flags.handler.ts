import {
  FEATURE_NOT_FOUND,
  NOT_FOUND,
  queryString,
  type KeyedHandler,
  type ResponseCache,
  sendCached,
  sendJson,
  throughCache,
  type UsageCounter,
} from './sdk-reply';

export interface FlagsDeps {
  readonly usage: UsageCounter;
  /** GET_FLAGS_ENDPOINT_CACHE_* when enabled. */
  readonly flagsResponses?: ResponseCache;
  /** ENABLE_GZIP_COMPRESSION. */
  readonly gzip: boolean;
}

/**
 * GET /api/v1/flags/ (spec §1): the environment's flags for the kind of key, or one (`?feature=`). A cached
 * answer sends bytes prepared when the environment was loaded: no I/O, no serialisation.
 */
export function flagsHandler({ usage, flagsResponses, gzip }: FlagsDeps): KeyedHandler {
  return (resolved, request, reply, now) => {
    const { snapshot, origin } = resolved;
    usage.countRequest(snapshot.environmentId, 'flags', now);
    const variant = snapshot.flags[origin];
    const feature = queryString(request, 'feature');
    const one = feature === undefined ? variant.all : variant.byName.get(feature);
    if (flagsResponses) {
      return throughCache(flagsResponses, resolved, request, reply, variant.all.headers, () =>
        Promise.resolve(
          one === undefined
            ? { status: 404, body: FEATURE_NOT_FOUND }
            : { status: 200, body: one.body, etag: one.etag },
        ),
      );
    }
    if (one === undefined) return sendJson(reply, 404, FEATURE_NOT_FOUND);
    return sendCached(request, reply, one, snapshot.updatedAtSeconds, gzip);
  };
}

/** GET /api/v1/environment-document/ (spec §5): server-side keys only (checked by `withKey`). */
export function environmentDocumentHandler({ usage, gzip }: FlagsDeps): KeyedHandler {
  return ({ snapshot }, request, reply, now) => {
    usage.countRequest(snapshot.environmentId, 'environment_document', now);
    return sendCached(request, reply, snapshot.documentBody, snapshot.updatedAtSeconds, gzip);
  };
}

/** GET /api/v1/flags/{feature_id}/multivariate-options/ (spec §7). */
export function multivariateOptionsHandler({ usage }: Pick<FlagsDeps, 'usage'>): KeyedHandler {
  return ({ snapshot, origin }, request, reply, now) => {
    usage.countRequest(snapshot.environmentId, 'flags', now);
    const featureId = Number((request.params as { feature_id?: string }).feature_id);
    const state = snapshot.document.feature_states.find((fs) => fs.feature.id === featureId);
    if (state === undefined || (origin === 'CLIENT' && snapshot.isServerKeyOnly(featureId)))
      return sendJson(reply, 404, NOT_FOUND);
    const options = state.multivariate_feature_state_values.map((mv) => ({
      value: mv.multivariate_feature_option.value,
    }));
    return sendJson(reply, 200, JSON.stringify({ control_value: state.feature_state_value, options }));
  };
}
