import { MigrationInterface, QueryRunner } from 'typeorm';

/** Custom fields (Flagsmith's metadata): fields, the kinds of object they are offered on, requirements, values. */
export class Metadata1765500000000 implements MigrationInterface {
  name = 'Metadata1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "metadata_fields" ("id" SERIAL NOT NULL, "name" character varying(255) NOT NULL, "type" character varying(255) NOT NULL DEFAULT 'str', "description" text, "organisation_id" integer NOT NULL, "project_id" integer, CONSTRAINT "PK_783e86c671ad7ef8cc6cf1fd3db" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_metadata_fields_project" ON "metadata_fields" ("project_id")`);
    await q.query(
      `CREATE UNIQUE INDEX "UQ_metadata_fields_project_name" ON "metadata_fields" ("organisation_id", "project_id", "name") WHERE "project_id" IS NOT NULL`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "UQ_metadata_fields_org_name" ON "metadata_fields" ("organisation_id", "name") WHERE "project_id" IS NULL`,
    );
    await q.query(
      `CREATE TABLE "metadata_model_fields" ("id" SERIAL NOT NULL, "field_id" integer NOT NULL, "content_type_id" integer NOT NULL, CONSTRAINT "PK_7186bfbd14c929aeb8a72f11f2e" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "UQ_metadata_model_fields_field_content_type" ON "metadata_model_fields" ("field_id", "content_type_id")`,
    );
    await q.query(
      `CREATE TABLE "metadata_model_field_requirements" ("id" SERIAL NOT NULL, "model_field_id" integer NOT NULL, "content_type_id" integer NOT NULL, "object_id" integer NOT NULL, CONSTRAINT "PK_c4cfd33649c359b6bec7f78b145" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "UQ_metadata_model_field_requirements" ON "metadata_model_field_requirements" ("model_field_id", "content_type_id", "object_id")`,
    );
    await q.query(
      `CREATE TABLE "metadata_values" ("id" SERIAL NOT NULL, "model_field_id" integer NOT NULL, "content_type_id" integer NOT NULL, "object_id" integer NOT NULL, "project_id" integer NOT NULL, "field_value" text NOT NULL, CONSTRAINT "PK_5fdc772fbb6a7914ccacbc2d170" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_metadata_values_project" ON "metadata_values" ("project_id")`);
    await q.query(
      `CREATE INDEX "IDX_metadata_values_object" ON "metadata_values" ("content_type_id", "object_id")`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "UQ_metadata_values_model_field_object" ON "metadata_values" ("model_field_id", "content_type_id", "object_id")`,
    );
    await q.query(
      `ALTER TABLE "metadata_fields" ADD CONSTRAINT "FK_2a2cd233d7fac58c419f058eb5f" FOREIGN KEY ("organisation_id") REFERENCES "organisations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "metadata_fields" ADD CONSTRAINT "FK_1bd225b81fe820eecd3f775d151" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "metadata_model_fields" ADD CONSTRAINT "FK_50c7aeab0715c0d62f0913d16f2" FOREIGN KEY ("field_id") REFERENCES "metadata_fields"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "metadata_model_field_requirements" ADD CONSTRAINT "FK_3d608b7b66cbd4339137a32455b" FOREIGN KEY ("model_field_id") REFERENCES "metadata_model_fields"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "metadata_values" ADD CONSTRAINT "FK_fc7e6e02be1e9fea95e87c799d9" FOREIGN KEY ("model_field_id") REFERENCES "metadata_model_fields"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "metadata_values" ADD CONSTRAINT "FK_2a8c4bbd7f37f0a46b3cca0a621" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "metadata_values" DROP CONSTRAINT "FK_2a8c4bbd7f37f0a46b3cca0a621"`);
    await q.query(`ALTER TABLE "metadata_values" DROP CONSTRAINT "FK_fc7e6e02be1e9fea95e87c799d9"`);
    await q.query(
      `ALTER TABLE "metadata_model_field_requirements" DROP CONSTRAINT "FK_3d608b7b66cbd4339137a32455b"`,
    );
    await q.query(`ALTER TABLE "metadata_model_fields" DROP CONSTRAINT "FK_50c7aeab0715c0d62f0913d16f2"`);
    await q.query(`ALTER TABLE "metadata_fields" DROP CONSTRAINT "FK_1bd225b81fe820eecd3f775d151"`);
    await q.query(`ALTER TABLE "metadata_fields" DROP CONSTRAINT "FK_2a2cd233d7fac58c419f058eb5f"`);
    await q.query(`DROP INDEX "public"."UQ_metadata_values_model_field_object"`);
    await q.query(`DROP INDEX "public"."IDX_metadata_values_object"`);
    await q.query(`DROP INDEX "public"."IDX_metadata_values_project"`);
    await q.query(`DROP TABLE "metadata_values"`);
    await q.query(`DROP INDEX "public"."UQ_metadata_model_field_requirements"`);
    await q.query(`DROP TABLE "metadata_model_field_requirements"`);
    await q.query(`DROP INDEX "public"."UQ_metadata_model_fields_field_content_type"`);
    await q.query(`DROP TABLE "metadata_model_fields"`);
    await q.query(`DROP INDEX "public"."UQ_metadata_fields_org_name"`);
    await q.query(`DROP INDEX "public"."UQ_metadata_fields_project_name"`);
    await q.query(`DROP INDEX "public"."IDX_metadata_fields_project"`);
    await q.query(`DROP TABLE "metadata_fields"`);
  }
}
