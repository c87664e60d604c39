import { Type } from '@sinclair/typebox';
import { PageQuery, S, type Static } from '../../http/schema';
import { IMPORT_STRATEGIES, TRANSFER_STATUSES } from './feature-transfer.entity';

/** Request and response schemas of Flagsmith's feature import/export routes (features/import_export/serializers.py). */

/** `environment_id` is read (and its ADMIN permission checked) by the route's guard. */
export const CreateFeatureExport = S.object({
  environment_id: S.unchecked(
    S.integer({ description: 'The environment whose default states are exported' }),
  ),
  tag_ids: S.list(S.integer({ description: 'Only features with one of these tags (empty: every feature)' })),
});
export type CreateFeatureExportInput = Static<typeof CreateFeatureExport>;

/** The multipart/form-data body of an import: the export file and what to do with features that exist. */
export const FeatureImportUpload = S.object({
  file: S.file({ description: 'A Flagsmith feature export (JSON), at most 1 000 000 bytes' }),
  strategy: S.choice(IMPORT_STRATEGIES),
});
export type FeatureImportUploadInput = Static<typeof FeatureImportUpload>;

export const TransferListQuery = PageQuery;

export const FeatureExportJson = S.response(
  {
    id: S.integer(),
    name: S.string({ description: '"<environment name> | <YYYY-MM-DD HH:MM> UTC"' }),
    environment_id: S.integer(),
    status: S.choice(TRANSFER_STATUSES),
    created_at: S.dateTime(),
  },
  { title: 'FeatureExport' },
);
export type FeatureExportJson = Static<typeof FeatureExportJson>;
export const FeatureExportPage = S.page(FeatureExportJson);

export const FeatureImportJson = S.response(
  {
    id: S.integer(),
    environment_id: S.integer(),
    strategy: S.choice(IMPORT_STRATEGIES),
    status: S.choice(TRANSFER_STATUSES),
    created_at: S.dateTime(),
  },
  { title: 'FeatureImport' },
);
export type FeatureImportJson = Static<typeof FeatureImportJson>;
export const FeatureImportPage = S.page(FeatureImportJson);

/** A string (or null), an integer or a boolean, as `type` says. */
const VALUE = Type.Unsafe<string | number | boolean | null>({
  anyOf: [S.nullable(S.string({ allowBlank: true, trim: false })), S.integer(), S.boolean()],
});
const VALUE_TYPE = S.choice(['unicode', 'int', 'bool'] as const);

/** The export file (Flagsmith's FeatureExportData): one item per feature. */
export const ExportFileJson = S.list(
  S.response(
    {
      name: S.string(),
      default_enabled: S.boolean(),
      is_server_key_only: S.boolean(),
      initial_value: S.nullable(S.string()),
      value: VALUE,
      type: VALUE_TYPE,
      enabled: S.boolean(),
      multivariate: S.list(
        S.response({
          percentage_allocation: S.number(),
          default_percentage_allocation: S.number(),
          value: VALUE,
          type: VALUE_TYPE,
        }),
      ),
    },
    { title: 'FeatureExportFileItem' },
  ),
);
