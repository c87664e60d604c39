import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Organisation webhooks (Flagsmith's OrganisationWebhook: url, secret, enabled) and the delivery history of every
 * webhook (flagport's own: the last deliveries per webhook with status, error, attempts and time).
 */
export class WebhookDeliveries1766300000000 implements MigrationInterface {
  name = 'WebhookDeliveries1766300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "organisation_webhooks" ("id" SERIAL NOT NULL, "uuid" uuid NOT NULL, "organisation_id" integer NOT NULL, "url" character varying(200) NOT NULL, "secret" character varying(255) NOT NULL DEFAULT '', "enabled" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_226d6b92e2c35ba310ae4bb319f" UNIQUE ("uuid"), CONSTRAINT "PK_9054db14afa526c3051f3c281bd" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE INDEX "IDX_organisation_webhooks_organisation" ON "organisation_webhooks" ("organisation_id")`,
    );
    await q.query(
      `CREATE TABLE "webhook_deliveries" ("id" BIGSERIAL NOT NULL, "job_id" bigint NOT NULL, "environment_webhook_id" integer, "organisation_webhook_id" integer, "event_type" character varying(50) NOT NULL, "state" character varying(16) NOT NULL, "attempts" integer NOT NULL, "status_code" integer, "error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "UQ_d129b321489e6c6bd4df228d20a" UNIQUE ("job_id"), CONSTRAINT "CHK_webhook_deliveries_one_webhook" CHECK (("environment_webhook_id" IS NULL) <> ("organisation_webhook_id" IS NULL)), CONSTRAINT "PK_535dd409947fb6d8fc6dfc0112a" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE INDEX "IDX_webhook_deliveries_organisation_webhook" ON "webhook_deliveries" ("organisation_webhook_id", "id")`,
    );
    await q.query(
      `CREATE INDEX "IDX_webhook_deliveries_environment_webhook" ON "webhook_deliveries" ("environment_webhook_id", "id")`,
    );
    await q.query(
      `ALTER TABLE "organisation_webhooks" ADD CONSTRAINT "FK_9ed4a4ed5b82847e988cf3309e2" FOREIGN KEY ("organisation_id") REFERENCES "organisations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "FK_303de292fe12e40e01f12057a9c" FOREIGN KEY ("environment_webhook_id") REFERENCES "environment_webhooks"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "FK_a24044bb6ea075de2366b9ffd29" FOREIGN KEY ("organisation_webhook_id") REFERENCES "organisation_webhooks"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "webhook_deliveries"`);
    await q.query(`DROP TABLE "organisation_webhooks"`);
  }
}
