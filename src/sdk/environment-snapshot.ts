import { createHash } from 'node:crypto';
import {
  getIdentityFlags,
  type DocumentFeatureState,
  type EnvironmentDocument,
  type FeatureValue,
  type Traits,
} from '../../libs/engine/src';
import type {
  EnvironmentSource,
  FeatureMeta,
  KeyOrigin,
  SdkDocument,
  SdkDocumentIdentityOverride,
} from './sdk.types';

/** A pre-serialised response: body bytes, its ETag and the headers to send with it. */
export interface CachedBody {
  readonly body: string;
  readonly etag: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The `/flags/` responses for one kind of key. */
export interface FlagsVariant {
  readonly all: CachedBody;
  /** `?feature=<name>`: one flag object. */
  readonly byName: ReadonlyMap<string, CachedBody>;
}

/** One identity-evaluated flag, ready to serialise. */
export interface IdentityFlag {
  readonly featureId: number;
  readonly featureName: string;
  readonly json: string;
}

interface IdentityOverrideSet {
  readonly document: EnvironmentDocument;
}

const JSON_TYPE = 'application/json';

export function etagOf(body: string): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

/**
 * Everything the SDK endpoints serve for one environment version, computed once: the environment document and the
 * `/flags/` responses pre-serialised (client-key and server-key variants, since client keys do not see
 * `is_server_key_only` features), their ETags and headers, the compiled environment for identity evaluation and
 * the pre-serialised `feature` objects. Immutable; a change builds a new one.
 */
export class EnvironmentSnapshot {
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
  /** Feature names served in this environment (flag analytics drop the others). */
  readonly featureNames: ReadonlySet<string>;
  /** When this snapshot must be rebuilt at the latest (epoch ms). */
  readonly expiresAt: number;

  private readonly remoteDocument: EnvironmentDocument;
  private readonly featureJson = new Map<number, string>();
  private readonly serverKeyOnly = new Set<number>();
  private readonly overrides = new Map<string, IdentityOverrideSet>();
  private readonly featureSegmentOfState: Readonly<Record<number, number>>;
  private readonly identityOfState: Readonly<Record<number, number>>;

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

  /**
   * Remote evaluation for an identity (spec/sdk-api.md §2/§3, engine.md §7): identity override > segment override >
   * environment default, multivariate bucketing on `"<client key>_<identifier>"` exactly as local evaluation does.
   * `withOverrides` = false for identities that do not exist (transient), which have no stored overrides.
   */
  identityFlags(
    identifier: string,
    traits: Traits,
    origin: KeyOrigin,
    withOverrides: boolean,
  ): IdentityFlag[] {
    const flags = getIdentityFlags(this.remoteDocument, identifier, traits);
    const overrides = withOverrides ? this.overrides.get(identifier) : undefined;
    const overridden = overrides ? overrideResults(overrides, identifier) : undefined;
    const out: IdentityFlag[] = [];
    for (const flag of flags) {
      const override = overridden?.get(flag.featureName);
      let json: string;
      let enabled: boolean;
      if (override) {
        enabled = override.state.enabled;
        const stateId = override.state.django_id ?? 0;
        json = this.flagJson(
          flag.featureId,
          stateId,
          override.value,
          enabled,
          this.identityOfState[stateId] ?? null,
          null,
        );
        json += `,"variant":${JSON.stringify(override.variant)}}`;
      } else {
        enabled = flag.enabled;
        const stateId = flag.featureState.django_id ?? 0;
        const featureSegment =
          flag.source === 'SEGMENT' ? (this.featureSegmentOfState[stateId] ?? null) : null;
        json = this.flagJson(flag.featureId, stateId, flag.value, enabled, null, featureSegment);
        json += `,"variant":${JSON.stringify(flag.variant)}}`;
      }
      if (!this.visible(flag.featureId, enabled, origin)) continue;
      out.push({ featureId: flag.featureId, featureName: flag.featureName, json });
    }
    return out;
  }
}

function cached(body: string, headers: Record<string, string>): CachedBody {
  const etag = etagOf(body);
  return { body, etag, headers: { ...headers, etag } };
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

/** Resolves an identity's overrides (multivariate included) with the engine. */
function overrideResults(
  overrides: IdentityOverrideSet,
  identifier: string,
): Map<string, { state: DocumentFeatureState; value: FeatureValue; variant: string | null }> {
  const out = new Map<string, { state: DocumentFeatureState; value: FeatureValue; variant: string | null }>();
  for (const flag of getIdentityFlags(overrides.document, identifier, {})) {
    out.set(flag.featureName, { state: flag.featureState, value: flag.value, variant: flag.variant });
  }
  return out;
}
