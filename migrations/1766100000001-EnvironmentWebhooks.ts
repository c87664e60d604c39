import { MigrationInterface, QueryRunner } from 'typeorm';

/** Flagsmith's environment webhooks (src/webhooks): url, secret, enabled per environment. */
export class EnvironmentWebhooks1766100000001 implements MigrationInterface {
  name = 'EnvironmentWebhooks1766100000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "environment_webhooks" ("id" SERIAL NOT NULL, "uuid" uuid NOT NULL, "environment_id" integer NOT NULL, "url" character varying(200) NOT NULL, "secret" character varying(255) NOT NULL DEFAULT '', "enabled" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_216ec2c55b0e507ca2e150bf168" UNIQUE ("uuid"), CONSTRAINT "PK_2ff0d01f9576f8340c50f3bebcd" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE INDEX "IDX_environment_webhooks_environment" ON "environment_webhooks" ("environment_id") `,
    );
    await q.query(
      `ALTER TABLE "environment_webhooks" ADD CONSTRAINT "FK_bfbd5efe267b046e143233a8867" FOREIGN KEY ("environment_id") REFERENCES "environments"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "environment_webhooks"`);
  }
}
