import { MigrationInterface, QueryRunner } from 'typeorm';

/** Feature exports and imports (Flagsmith's features/import_export models) and the Flagsmith-on-Flagsmith export. */
export class FeatureImportExport1765700000000 implements MigrationInterface {
  name = 'FeatureImportExport1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "feature_exports" ("id" SERIAL NOT NULL, "environment_id" integer NOT NULL, "status" character varying(50) NOT NULL DEFAULT 'PROCESSING', "data" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_68b1e13981bfacb45e2f003df87" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_feature_exports_environment" ON "feature_exports" ("environment_id")`);
    await q.query(
      `CREATE TABLE "feature_imports" ("id" SERIAL NOT NULL, "environment_id" integer NOT NULL, "strategy" character varying(50) NOT NULL, "status" character varying(50) NOT NULL DEFAULT 'PROCESSING', "data" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_e44888f7844e2b374de47f9042d" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_feature_imports_environment" ON "feature_imports" ("environment_id")`);
    await q.query(
      `CREATE TABLE "flagsmith_on_flagsmith_feature_exports" ("id" SERIAL NOT NULL, "feature_export_id" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_3d2f82bf338f43b6df24484e298" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE INDEX "IDX_fof_feature_exports_export" ON "flagsmith_on_flagsmith_feature_exports" ("feature_export_id")`,
    );
    await q.query(
      `ALTER TABLE "feature_exports" ADD CONSTRAINT "FK_518bcacac4607f7bbb4f5150a4b" FOREIGN KEY ("environment_id") REFERENCES "environments"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "feature_imports" ADD CONSTRAINT "FK_62355987337cfa4c613307ed0a9" FOREIGN KEY ("environment_id") REFERENCES "environments"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "flagsmith_on_flagsmith_feature_exports" ADD CONSTRAINT "FK_f90ba64749fd6e38c0da45d57f2" FOREIGN KEY ("feature_export_id") REFERENCES "feature_exports"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE "flagsmith_on_flagsmith_feature_exports" DROP CONSTRAINT "FK_f90ba64749fd6e38c0da45d57f2"`,
    );
    await q.query(`ALTER TABLE "feature_imports" DROP CONSTRAINT "FK_62355987337cfa4c613307ed0a9"`);
    await q.query(`ALTER TABLE "feature_exports" DROP CONSTRAINT "FK_518bcacac4607f7bbb4f5150a4b"`);
    await q.query(`DROP INDEX "public"."IDX_fof_feature_exports_export"`);
    await q.query(`DROP TABLE "flagsmith_on_flagsmith_feature_exports"`);
    await q.query(`DROP INDEX "public"."IDX_feature_imports_environment"`);
    await q.query(`DROP TABLE "feature_imports"`);
    await q.query(`DROP INDEX "public"."IDX_feature_exports_environment"`);
    await q.query(`DROP TABLE "feature_exports"`);
  }
}
