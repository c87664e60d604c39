import { MigrationInterface, QueryRunner } from 'typeorm';

/** Startup telemetry received from other installs on POST /api/v1/analytics/telemetry/. */
export class TelemetryReports1764400000000 implements MigrationInterface {
  name = 'TelemetryReports1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "telemetry_reports" ("id" SERIAL NOT NULL, "organisations" integer NOT NULL, "projects" integer NOT NULL, "environments" integer NOT NULL, "features" integer NOT NULL, "segments" integer NOT NULL, "users" integer NOT NULL, "debug_enabled" boolean NOT NULL, "env" character varying(255) NOT NULL, "external_ip" character varying(45), "remote_address" character varying(45), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_9d48ec2412ef1e86f01b1a3c9e1" PRIMARY KEY ("id"))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "telemetry_reports"`);
  }
}
