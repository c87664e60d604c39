import { ColumnOptions } from 'typeorm';

/**
 * SEGMENT_CONDITION_VALUE_LIMIT decides the width of `segment_conditions.value` (varchar(N)), as in Flagsmith.
 *
 * Entities are decorated at import time, before any configuration is read, so the width lives here:
 * `configureSegmentConditionValueLimit(config.SEGMENT_CONDITION_VALUE_LIMIT)` must run before a DataSource is
 * built (the app does it in SchemaSettingsModule.forRoot; the migrate CLI must do it too). It updates both the
 * entity's column metadata (so "entities == migrations" holds) and the value the data-model migration reads.
 * Nothing here reads the environment.
 */
export const DEFAULT_SEGMENT_CONDITION_VALUE_LIMIT = 1000;

/** The options object handed to @Column: TypeORM keeps this very object, so updating it updates the metadata. */
export const CONDITION_VALUE_COLUMN: ColumnOptions & { length: number } = {
  name: 'value',
  type: 'varchar',
  length: DEFAULT_SEGMENT_CONDITION_VALUE_LIMIT,
  nullable: true,
};

let valueLimit = DEFAULT_SEGMENT_CONDITION_VALUE_LIMIT;

export function configureSegmentConditionValueLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0 || limit > 10_485_760) {
    throw new Error(`segment condition value limit must be an integer from 0 to 10485760, got ${limit}`);
  }
  valueLimit = limit;
  // varchar(0) does not exist: a limit of 0 (only empty values) still needs a 1-character column.
  CONDITION_VALUE_COLUMN.length = Math.max(1, limit);
}

/** The longest condition value validation accepts. */
export function segmentConditionValueLimit(): number {
  return valueLimit;
}

/** The width of the `segment_conditions.value` column. */
export function segmentConditionValueColumnWidth(): number {
  return CONDITION_VALUE_COLUMN.length;
}
