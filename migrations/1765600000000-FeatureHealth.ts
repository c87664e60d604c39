import { MigrationInterface, QueryRunner } from 'typeorm';

/** Feature health providers (one per name and project, with a webhook token) and the health events they report. */
export class FeatureHealth1765600000000 implements MigrationInterface {
  name = 'FeatureHealth1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "feature_health_providers" ("id" SERIAL NOT NULL, "uuid" uuid NOT NULL, "name" character varying(50) NOT NULL, "project_id" integer NOT NULL, "created_by_id" integer, "webhook_token" character varying(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_f778f5b08a390865e5eea40657b" UNIQUE ("uuid"), CONSTRAINT "UQ_81153cfb5a29da64481c57a9529" UNIQUE ("webhook_token"), CONSTRAINT "PK_5836e1b498d5d3b0040aee15b42" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "UQ_feature_health_providers_project_name" ON "feature_health_providers" ("project_id", "name") `,
    );
    await q.query(
      `CREATE TABLE "feature_health_events" ("id" SERIAL NOT NULL, "uuid" uuid NOT NULL, "feature_id" integer NOT NULL, "environment_id" integer, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "type" character varying(50) NOT NULL, "provider_name" character varying(255), "reason" text, "external_id" character varying(255), CONSTRAINT "UQ_27b6eda056566693bb0033efeb6" UNIQUE ("uuid"), CONSTRAINT "PK_23688c73bbc7b16698122fbbfa7" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE INDEX "IDX_feature_health_events_environment" ON "feature_health_events" ("environment_id") `,
    );
    await q.query(
      `CREATE INDEX "IDX_feature_health_events_feature_created" ON "feature_health_events" ("feature_id", "created_at") `,
    );
    await q.query(
      `ALTER TABLE "feature_health_providers" ADD CONSTRAINT "FK_611630fd15ce6ea8fb26eb040e7" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "feature_health_providers" ADD CONSTRAINT "FK_d96eddb74c44690348146176888" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "feature_health_events" ADD CONSTRAINT "FK_c9fbb1824a2619530785f3ab002" FOREIGN KEY ("feature_id") REFERENCES "features"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "feature_health_events" ADD CONSTRAINT "FK_29d37fe407adf5b2e9b64138ee9" FOREIGN KEY ("environment_id") REFERENCES "environments"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "feature_health_events" DROP CONSTRAINT "FK_29d37fe407adf5b2e9b64138ee9"`);
    await q.query(`ALTER TABLE "feature_health_events" DROP CONSTRAINT "FK_c9fbb1824a2619530785f3ab002"`);
    await q.query(`ALTER TABLE "feature_health_providers" DROP CONSTRAINT "FK_d96eddb74c44690348146176888"`);
    await q.query(`ALTER TABLE "feature_health_providers" DROP CONSTRAINT "FK_611630fd15ce6ea8fb26eb040e7"`);
    await q.query(`DROP INDEX "public"."IDX_feature_health_events_feature_created"`);
    await q.query(`DROP INDEX "public"."IDX_feature_health_events_environment"`);
    await q.query(`DROP TABLE "feature_health_events"`);
    await q.query(`DROP INDEX "public"."UQ_feature_health_providers_project_name"`);
    await q.query(`DROP TABLE "feature_health_providers"`);
  }
}
