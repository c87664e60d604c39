import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Column defaults as Flagsmith's models (docs/defaults.md). Only the defaults change: rows already stored keep the
 * values they were created with (an existing project that prevents flag defaults goes on preventing them).
 */
export class FlagsmithDefaults1765800000000 implements MigrationInterface {
  name = 'FlagsmithDefaults1765800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "projects" ALTER COLUMN "prevent_flag_defaults" SET DEFAULT false`);
    await q.query(`ALTER TABLE "projects" ALTER COLUMN "max_segments_allowed" SET DEFAULT '500'`);
    await q.query(`ALTER TABLE "projects" ALTER COLUMN "max_features_allowed" SET DEFAULT '1000'`);
    await q.query(`ALTER TABLE "projects" ALTER COLUMN "max_segment_overrides_allowed" SET DEFAULT '2000'`);
    await q.query(`ALTER TABLE "tags" ALTER COLUMN "color" SET DEFAULT '#6837FC'`);
    await q.query(`ALTER TABLE "users" ALTER COLUMN "marketing_consent_given" SET DEFAULT true`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "users" ALTER COLUMN "marketing_consent_given" SET DEFAULT false`);
    await q.query(`ALTER TABLE "tags" ALTER COLUMN "color" SET DEFAULT '#3d4db6'`);
    await q.query(`ALTER TABLE "projects" ALTER COLUMN "max_segment_overrides_allowed" SET DEFAULT '100'`);
    await q.query(`ALTER TABLE "projects" ALTER COLUMN "max_features_allowed" SET DEFAULT '400'`);
    await q.query(`ALTER TABLE "projects" ALTER COLUMN "max_segments_allowed" SET DEFAULT '100'`);
    await q.query(`ALTER TABLE "projects" ALTER COLUMN "prevent_flag_defaults" SET DEFAULT true`);
  }
}
