import { MigrationInterface, QueryRunner } from 'typeorm';

/** SDK usage counters: requests per environment/resource/day and flag evaluations per environment/feature/day. */
export class SdkUsage1764300000000 implements MigrationInterface {
  name = 'SdkUsage1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "api_usage_daily" ("environment_id" integer NOT NULL, "resource" character varying(32) NOT NULL, "day" date NOT NULL, "count" bigint NOT NULL DEFAULT '0', CONSTRAINT "PK_13732fb18173459dde715518440" PRIMARY KEY ("environment_id", "resource", "day"))`,
    );
    await q.query(
      `CREATE TABLE "feature_evaluations_daily" ("environment_id" integer NOT NULL, "feature_name" character varying(2000) NOT NULL, "day" date NOT NULL, "count" bigint NOT NULL DEFAULT '0', CONSTRAINT "PK_c24f0653cfb7cff11acf9400c17" PRIMARY KEY ("environment_id", "feature_name", "day"))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "feature_evaluations_daily"`);
    await q.query(`DROP TABLE "api_usage_daily"`);
  }
}
