import { MigrationInterface, QueryRunner } from 'typeorm';

/** Shared throttle logs (RequestThrottle) and sent password-reset emails (PasswordResetRequest). */
export class RequestThrottles1764700000000 implements MigrationInterface {
  name = 'RequestThrottles1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "request_throttles" ("scope" character varying(32) NOT NULL, "ident" character varying(128) NOT NULL, "hits" TIMESTAMP WITH TIME ZONE array NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_ed7108347dd6b6fa31016876b34" PRIMARY KEY ("scope", "ident"))`,
    );
    await q.query(`CREATE INDEX "IDX_request_throttles_expires_at" ON "request_throttles" ("expires_at") `);
    await q.query(
      `CREATE TABLE "password_reset_requests" ("id" SERIAL NOT NULL, "user_id" integer NOT NULL, "requested_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_4aa83fc224280f3c94c3e214d65" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE INDEX "IDX_password_reset_requests_user_requested" ON "password_reset_requests" ("user_id", "requested_at") `,
    );
    await q.query(
      `ALTER TABLE "password_reset_requests" ADD CONSTRAINT "FK_8a8bf5831893c4b0c63f999c2d0" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "password_reset_requests" DROP CONSTRAINT "FK_8a8bf5831893c4b0c63f999c2d0"`);
    await q.query(`DROP INDEX "public"."IDX_password_reset_requests_user_requested"`);
    await q.query(`DROP TABLE "password_reset_requests"`);
    await q.query(`DROP INDEX "public"."IDX_request_throttles_expires_at"`);
    await q.query(`DROP TABLE "request_throttles"`);
  }
}
