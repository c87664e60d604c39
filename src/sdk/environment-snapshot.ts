import { createHash } from 'node:crypto';
import {
  type CompiledEnvironment,
  type CompiledFeature,
  type DocumentSegment,
  type EnvironmentDocument,
  type FeatureValue,
  type Traits,
} from '../../libs/engine/src';
import { RemoteEvaluator, type EvaluatedFlags, type FlagState, type StateSource } from './remote-evaluation';
import type {
  EnvironmentSource,
  FeatureMeta,
  KeyOrigin,
  SdkDocument,
  SdkDocumentIdentityOverride,
} from './sdk.types';

/** A pre-serialised response: body bytes (sent as they are: no encoding or length scan per request), its ETag and the headers to send with it. */
export interface CachedBody {
  readonly body: Buffer;
  readonly etag: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The `/flags/` responses for one kind of key. */
export interface FlagsVariant {
  readonly all: CachedBody;
  /** `?feature=<name>`: one flag object. */
  readonly byName: ReadonlyMap<string, CachedBody>;
}

interface IdentityOverrideSet {
  readonly document: EnvironmentDocument;
  /** Its flag states for remote evaluation, built on first use. */
  states?: FlagState[];
}

/** Identifies a snapshot instance (identity evaluations cached per identity name the snapshot they used). */
let nextSerial = 1;

const JSON_TYPE = 'application/json';

export function etagOf(body: string | Buffer): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

/**
 * Everything the SDK endpoints serve for one environment version, computed once: the environment document and the
 * `/flags/` responses pre-serialised (client-key and server-key variants, since client keys do not see
 * `is_server_key_only` features), their ETags and headers, the compiled environment for identity evaluation and
 * the pre-serialised `feature` objects. Immutable; a change builds a new one.
 */
export class EnvironmentSnapshot {
  readonly serial = nextSerial++;
  readonly environmentId: number;
  readonly version: string;
  readonly clientKey: string;
  readonly document: SdkDocument;
  readonly documentBody: CachedBody;
  /** `environments.updated_at`, whole seconds since the epoch (Last-Modified / If-Modified-Since resolution). */
  readonly updatedAtSeconds: number;
  readonly updatedAtHeader: string;
  readonly lastModified: string;
  readonly flags: Readonly<Record<KeyOrigin, FlagsVariant>>;
  readonly stopServingFlags: boolean;
  readonly persistTraitData: boolean;
  readonly allowClientTraits: boolean;
  readonly hideSensitiveData: boolean;
  readonly hideDisabledFlags: boolean;
  /** use_identity_composite_key_for_hashing: hash `"<client key>_<identifier>"`, else the identity's id. */
  readonly useCompositeKey: boolean;
  /** Feature names served in this environment (flag analytics drop the others). */
  readonly featureNames: ReadonlySet<string>;
  /** Headers of the identity endpoints' responses (ETag aside). */
  readonly identityHeaders: Readonly<Record<string, string>>;
  /** When this snapshot must be rebuilt at the latest (epoch ms). */
  readonly expiresAt: number;

  private readonly remoteDocument: EnvironmentDocument;
  private readonly featureJson = new Map<number, string>();
  private readonly serverKeyOnly = new Set<number>();
  private readonly overrides = new Map<string, IdentityOverrideSet>();
  private readonly featureSegmentOfState: Readonly<Record<number, number>>;
  private readonly identityOfState: Readonly<Record<number, number>>;
  private evaluatorInstance: RemoteEvaluator | undefined;

  constructor(source: EnvironmentSource, ttlMs: number, now = Date.now()) {
    const doc = source.document;
    this.environmentId = source.environmentId;
    this.version = source.version;
    this.clientKey = doc.api_key;
    this.document = doc;
    this.featureSegmentOfState = source.featureSegmentOfState;
    this.identityOfState = source.identityOfState;
    this.stopServingFlags = doc.project.organisation.stop_serving_flags;
    this.persistTraitData = doc.project.organisation.persist_trait_data;
    this.allowClientTraits = doc.allow_client_traits;
    this.hideSensitiveData = doc.hide_sensitive_data;
    this.hideDisabledFlags = doc.hide_disabled_flags ?? doc.project.hide_disabled_flags;
    this.useCompositeKey = doc.use_identity_composite_key_for_hashing !== false;
    const epoch = Number(source.updatedAtEpoch);
    this.updatedAtSeconds = Math.floor(epoch);
    this.updatedAtHeader = source.updatedAtEpoch;
    this.lastModified = new Date(this.updatedAtSeconds * 1000).toUTCString();
    this.expiresAt = Math.min(now + ttlMs, source.nextLiveFrom ?? Infinity);

    for (const feature of source.features) {
      this.featureJson.set(feature.id, featureJson(feature, this.hideSensitiveData));
      if (feature.is_server_key_only) this.serverKeyOnly.add(feature.id);
    }
    this.featureNames = new Set(doc.feature_states.map((fs) => fs.feature.name));

    const common = {
      'content-type': JSON_TYPE,
      'x-flagsmith-document-updated-at': this.updatedAtHeader,
      'last-modified': this.lastModified,
    };
    this.documentBody = cached(JSON.stringify(doc), common);
    this.identityHeaders = {
      'content-type': JSON_TYPE,
      'x-flagsmith-document-updated-at': this.updatedAtHeader,
      vary: 'X-Environment-Key',
    };
    const vary = { ...common, vary: 'X-Environment-Key' };
    this.flags = {
      CLIENT: this.flagsVariant('CLIENT', vary),
      SERVER: this.flagsVariant('SERVER', vary),
    };

    // Remote evaluation: the document without identity overrides; each identity's own overrides are applied
    // on top (always, whatever use_identity_overrides_in_local_eval says, and whatever the identifier contains).
    this.remoteDocument = doc.identity_overrides.length > 0 ? { ...doc, identity_overrides: [] } : doc;
    for (const identity of [...doc.identity_overrides, ...source.identityOverrides]) {
      this.overrides.set(identity.identifier, overrideSet(doc, identity));
    }
  }

  isServerKeyOnly(featureId: number): boolean {
    return this.serverKeyOnly.has(featureId);
  }

  isFresh(now: number): boolean {
    return now < this.expiresAt;
  }

  /** Whether `/flags/` and identity responses for this kind of key include the feature. */
  private visible(featureId: number, enabled: boolean, origin: KeyOrigin): boolean {
    if (this.hideDisabledFlags && !enabled) return false;
    return origin === 'SERVER' || !this.serverKeyOnly.has(featureId);
  }

  private flagsVariant(origin: KeyOrigin, headers: Record<string, string>): FlagsVariant {
    const parts: string[] = [];
    const byName = new Map<string, CachedBody>();
    for (const fs of this.document.feature_states) {
      if (!this.visible(fs.feature.id, fs.enabled, origin)) continue;
      const json =
        this.flagJson(fs.feature.id, fs.django_id, fs.feature_state_value, fs.enabled, null, null) + '}';
      parts.push(json);
      byName.set(fs.feature.name, cached(json, headers));
    }
    return { all: cached(`[${parts.join(',')}]`, headers), byName };
  }

  /** A flag object without its closing brace (identity endpoints append `variant`). */
  private flagJson(
    featureId: number,
    stateId: number,
    value: FeatureValue,
    enabled: boolean,
    identityId: number | null,
    featureSegmentId: number | null,
  ): string {
    const hide = this.hideSensitiveData;
    return (
      `{"id":${hide ? 'null' : stateId},"feature":${this.featureJson.get(featureId)},` +
      `"feature_state_value":${JSON.stringify(value)},"environment":${hide ? 'null' : this.environmentId},` +
      `"identity":${hide || identityId === null ? 'null' : identityId},` +
      `"feature_segment":${hide || featureSegmentId === null ? 'null' : featureSegmentId},"enabled":${enabled}`
    );
  }

  /** Whether a stored identity override exists for this identifier (remote evaluation). */
  hasOverrides(identifier: string): boolean {
    return this.overrides.has(identifier);
  }

  /**
   * What `identityFlags` evaluates, for other evaluators of this snapshot (src/ofrep/): the document without
   * identity overrides, and the identity's stored overrides as a document of their own (undefined: none).
   */
  evaluationInputs(identifier: string): {
    readonly document: EnvironmentDocument;
    readonly overrides: EnvironmentDocument | undefined;
  } {
    return { document: this.remoteDocument, overrides: this.overrides.get(identifier)?.document };
  }

  /** The identity endpoints' evaluator for this version (built on first use). */
  get evaluator(): RemoteEvaluator {
    if (this.evaluatorInstance === undefined) {
      this.evaluatorInstance = new RemoteEvaluator(
        this.remoteDocument,
        (feature, env) => this.stateSource(feature, env, false),
        (featureId, enabled) => ({
          client: this.visible(featureId, enabled, 'CLIENT'),
          server: this.visible(featureId, enabled, 'SERVER'),
        }),
      );
    }
    return this.evaluatorInstance;
  }

  /**
   * The hashing key of an identity (multivariate buckets, percentage splits): `"<client key>_<identifier>"`, or
   * when the environment turns use_identity_composite_key_for_hashing off, as upstream: the identity's database
   * id, `"None"` for an identity that is not stored (transient).
   */
  hashKey(identifier: string, identityId: number | null): string {
    if (this.useCompositeKey) return `${this.clientKey}_${identifier}`;
    return identityId === null ? 'None' : String(identityId);
  }

  /**
   * Remote evaluation for an identity (docs/contracts/sdk-api.md §2/§3, docs/contracts/engine.md §7): identity override > segment override >
   * environment default, multivariate bucketing on the identity's hash key exactly as local evaluation does (with
   * the composite key). `identityId` = null for identities that are not stored (transient): no stored overrides.
   * `segmentsOut` collects the segments the identity belongs to.
   */
  evaluateIdentity(
    identifier: string,
    identityId: number | null,
    traits: Traits,
    origin: KeyOrigin,
    segmentsOut?: DocumentSegment[],
  ): EvaluatedFlags {
    const overrides = identityId === null ? undefined : this.overrideStates(identifier);
    return this.evaluator.evaluate(
      { identifier, key: this.hashKey(identifier, identityId), traits },
      origin,
      overrides,
      segmentsOut,
    );
  }

  /** The flag object of one feature among evaluated flags, or undefined. */
  flagOf(flags: EvaluatedFlags, featureName: string, caseInsensitive = false): Buffer | undefined {
    let index = this.evaluator.indexOf(featureName);
    if (index === undefined && caseInsensitive) {
      const wanted = featureName.toLowerCase();
      index = this.evaluator.featureNames.findIndex((n) => n.toLowerCase() === wanted);
    }
    if (index === undefined || index < 0) return undefined;
    const at = flags.indices.indexOf(index);
    return at < 0 ? undefined : flags.parts[at].subarray(1);
  }

  private overrideStates(identifier: string): FlagState[] | undefined {
    const set = this.overrides.get(identifier);
    if (set === undefined) return undefined;
    if (set.states === undefined) {
      set.states = this.evaluator.overrideStates(set.document, (feature, env) =>
        this.stateSource(feature, env, true),
      );
    }
    return set.states;
  }

  /** Ids shown in a feature state's flag object, and its serialiser. */
  private stateSource(
    feature: CompiledFeature,
    env: CompiledEnvironment,
    identityOverride: boolean,
  ): StateSource {
    const origin = env.origins.get(feature);
    const state = origin?.featureState;
    const featureId = state?.feature.id ?? 0;
    const stateId = state?.django_id ?? 0;
    const identityId = identityOverride ? (this.identityOfState[stateId] ?? null) : null;
    const featureSegment =
      !identityOverride && origin?.source === 'SEGMENT'
        ? (this.featureSegmentOfState[stateId] ?? null)
        : null;
    const enabled = feature.context.enabled;
    return {
      featureId,
      stateId,
      serialize: (value, variant) =>
        `${this.flagJson(featureId, stateId, value, enabled, identityId, featureSegment)},"variant":${JSON.stringify(variant)}}`,
    };
  }
}

function cached(body: string, headers: Record<string, string>): CachedBody {
  const bytes = Buffer.from(body);
  const etag = etagOf(bytes);
  return { body: bytes, etag, headers: { ...headers, etag } };
}

function featureJson(feature: FeatureMeta, hide: boolean): string {
  return JSON.stringify({
    id: feature.id,
    name: feature.name,
    created_date: hide ? null : feature.created_date,
    description: hide ? null : feature.description,
    initial_value: hide ? null : feature.initial_value,
    default_enabled: hide ? null : feature.default_enabled,
    type: feature.type,
  });
}

/**
 * An identity's overrides as a document of their own (no segments), so that the engine maps them exactly as it
 * maps any document (multivariate hashing key, variant order) and resolves variants on the composite key.
 */
function overrideSet(doc: SdkDocument, identity: SdkDocumentIdentityOverride): IdentityOverrideSet {
  return {
    document: {
      api_key: doc.api_key,
      name: doc.name,
      project: { segments: [] },
      feature_states: identity.identity_features,
    },
  };
}
