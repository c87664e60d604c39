import { DynamicModule, Inject, Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config';
import {
  configureSegmentConditionValueLimit,
  segmentConditionValueColumnWidth,
} from './condition-value-limit';

/**
 * Keeps `segment_conditions.value` as wide as SEGMENT_CONDITION_VALUE_LIMIT. The data-model migration creates it
 * with the configured width; when the setting changes later, startup widens (or, if no stored value is longer,
 * narrows) the column to match, and otherwise logs why it could not.
 */
@Injectable()
export class ConditionValueWidthReconciler implements OnModuleInit {
  private readonly logger = new Logger('Schema');

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.RUN_MIGRATIONS_ON_START) return;
    const wanted = segmentConditionValueColumnWidth();
    const rows = await this.dataSource.query<{ width: number | null }[]>(
      `SELECT character_maximum_length AS width FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = 'segment_conditions' AND column_name = 'value'`,
    );
    const current = rows[0]?.width;
    if (current === undefined || current === null || current === wanted) return;
    try {
      await this.dataSource.query(
        `ALTER TABLE "segment_conditions" ALTER COLUMN "value" TYPE varchar(${wanted})`,
      );
      this.logger.warn(`segment_conditions.value resized from ${current} to ${wanted} characters`);
    } catch (err) {
      this.logger.error(
        `cannot resize segment_conditions.value from ${current} to ${wanted} (SEGMENT_CONDITION_VALUE_LIMIT): ${
          err instanceof Error ? err.message : String(err)
        }`,
      );
    }
  }
}

/** Applies configuration that shapes the schema; must be imported by the root module (see AppModule). */
@Module({})
export class SchemaSettingsModule {
  static forRoot(config: AppConfig): DynamicModule {
    configureSegmentConditionValueLimit(config.SEGMENT_CONDITION_VALUE_LIMIT);
    return { module: SchemaSettingsModule, providers: [ConditionValueWidthReconciler] };
  }
}
