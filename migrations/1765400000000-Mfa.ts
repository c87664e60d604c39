import { MigrationInterface, QueryRunner } from 'typeorm';

/** Two-factor methods (MfaMethod) and the ephemeral tokens of the second login step (MfaEphemeralToken). */
export class Mfa1765400000000 implements MigrationInterface {
  name = 'Mfa1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "mfa_methods" ("id" SERIAL NOT NULL, "user_id" integer NOT NULL, "name" character varying(255) NOT NULL, "secret" character varying(255) NOT NULL, "is_primary" boolean NOT NULL DEFAULT false, "is_active" boolean NOT NULL DEFAULT false, "backup_codes" text NOT NULL DEFAULT '', "last_used_step" integer, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "UQ_mfa_methods_user_name" UNIQUE ("user_id", "name"), CONSTRAINT "PK_60e4d183e6dbd427aa5549da581" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "mfa_ephemeral_tokens" ("token_hash" character varying(64) NOT NULL, "user_id" integer NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_03c0d54ef1f37fcc25ff7f19330" PRIMARY KEY ("token_hash"))`,
    );
    await q.query(
      `CREATE INDEX "IDX_mfa_ephemeral_tokens_expires_at" ON "mfa_ephemeral_tokens" ("expires_at") `,
    );
    await q.query(
      `ALTER TABLE "mfa_methods" ADD CONSTRAINT "FK_1d590a89ba342ab3515e64f6d28" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "mfa_ephemeral_tokens" ADD CONSTRAINT "FK_7d4b3d05f43841704ac411eac53" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "mfa_ephemeral_tokens" DROP CONSTRAINT "FK_7d4b3d05f43841704ac411eac53"`);
    await q.query(`ALTER TABLE "mfa_methods" DROP CONSTRAINT "FK_1d590a89ba342ab3515e64f6d28"`);
    await q.query(`DROP INDEX "public"."IDX_mfa_ephemeral_tokens_expires_at"`);
    await q.query(`DROP TABLE "mfa_ephemeral_tokens"`);
    await q.query(`DROP TABLE "mfa_methods"`);
  }
}
