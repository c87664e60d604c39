import type { EntityManager } from 'typeorm';
import { S, type Static } from '../http/schema';
import type { Project } from '../projects/project.entity';

/**
 * Custom field values (Flagsmith's metadata) of the objects of a project: features, segments and environments.
 *
 * This is the port those domains call; src/metadata/ implements it (MetadataValuesService, provided globally as
 * EntityMetadata). It is a folder of its own, below features, because src/metadata needs the http, auth and
 * permissions folders for its own routes, so a runtime import of it from features, segments or environments would
 * close an import cycle (src/architecture.spec.ts); it imports only http at runtime.
 */

/** Flagsmith's FIELD_VALUE_MAX_LENGTH. */
export const METADATA_VALUE_MAX_LENGTH = 2000;

/** An item of `metadata` in a feature, segment or environment body (Flagsmith's MetadataSerializer). */
export const MetadataValueInput = S.object({
  model_field: S.id({ description: 'A metadata model field of the organisation for this kind of object' }),
  field_value: S.string({
    maxLength: METADATA_VALUE_MAX_LENGTH,
    description: "Text, checked against the field's type (int, str, bool, url, multiline_str)",
  }),
});
export type MetadataValueInput = Static<typeof MetadataValueInput>;

/** `metadata` of a write: the complete list of the object's values (those not listed are removed). */
export const MetadataValueList = S.list(MetadataValueInput);

/**
 * A PUT body as the service writes it: a PUT replaces the whole object, so one sent without `metadata` clears the
 * object's values (Flagsmith's serializer saves an empty list); a PATCH leaves them as they are and is not passed here.
 */
export function withMetadataReplaced<B extends { metadata?: MetadataValueInput[] }>(
  body: B,
): B & { metadata: MetadataValueInput[] } {
  return { ...body, metadata: body.metadata ?? [] };
}

export const MetadataValueJson = S.response(
  { id: S.integer(), model_field: S.integer(), field_value: S.string({ allowBlank: true }) },
  { title: 'Metadata' },
);
export type MetadataValueJson = Static<typeof MetadataValueJson>;

/** The kinds of object that carry metadata (Flagsmith's content type model names). */
export type MetadataModel = 'feature' | 'segment' | 'environment';

/** The object whose values are written. */
export interface MetadataOwner {
  readonly model: MetadataModel;
  readonly id: number;
  readonly project: Pick<Project, 'id' | 'organisationId'>;
}

export abstract class EntityMetadata {
  /** The values of these objects (one query), in id order; objects without values are absent. */
  abstract valuesOf(
    model: MetadataModel,
    ids: readonly number[],
    manager?: EntityManager,
  ): Promise<Map<number, MetadataValueJson[]>>;

  /**
   * Checks `values` (each a model field of the organisation for this kind of object, of the right type) and the
   * fields required for this kind of object in the project, then makes them the object's values. Throws
   * ValidationFailed with Flagsmith's `metadata` errors; call it inside the write's unit of work, so a refusal
   * writes nothing.
   */
  abstract replace(
    manager: EntityManager,
    owner: MetadataOwner,
    values: readonly MetadataValueInput[],
  ): Promise<MetadataValueJson[]>;

  /** Removes the values of deleted objects. */
  abstract remove(manager: EntityManager, model: MetadataModel, ids: readonly number[]): Promise<void>;
}
