import type { MetadataModel } from '../entity-metadata/entity-metadata';

/**
 * Flagsmith names content types by Django ContentType ids, which differ per installation; the dashboard reads them
 * from supported-content-types and sends them back. flagport has no ContentType table: these ids are fixed.
 */
export interface ContentType {
  readonly id: number;
  readonly app_label: string;
  readonly model: 'organisation' | 'project' | MetadataModel;
}

export const CONTENT_TYPES: readonly ContentType[] = [
  { id: 1, app_label: 'organisations', model: 'organisation' },
  { id: 2, app_label: 'projects', model: 'project' },
  { id: 3, app_label: 'environments', model: 'environment' },
  { id: 4, app_label: 'features', model: 'feature' },
  { id: 5, app_label: 'segments', model: 'segment' },
];

export function contentType(model: ContentType['model']): ContentType {
  return CONTENT_TYPES.find((c) => c.model === model)!;
}

export function contentTypeById(id: number): ContentType | undefined {
  return CONTENT_TYPES.find((c) => c.id === id);
}

/** Flagsmith's SUPPORTED_REQUIREMENTS_MAPPING: what a field offered on each kind of object may be required for. */
export const SUPPORTED_REQUIREMENTS: Readonly<Record<MetadataModel, readonly ContentType['model'][]>> = {
  environment: ['organisation', 'project'],
  feature: ['organisation', 'project'],
  segment: ['organisation', 'project'],
};
