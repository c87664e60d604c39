import { MigrationInterface, QueryRunner } from 'typeorm';

/** Single-use OAuth values: used state nonces and the redirect flow's one-time codes (OAuthOneTimeKey). */
export class OAuthOneTimeKeys1764600000000 implements MigrationInterface {
  name = 'OAuthOneTimeKeys1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "oauth_one_time_keys" ("key_hash" character varying(64) NOT NULL, "purpose" character varying(10) NOT NULL, "user_id" integer, "is_new_user" boolean NOT NULL DEFAULT false, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_9fb3082cd2caf07f886ebabd860" PRIMARY KEY ("key_hash"))`,
    );
    await q.query(
      `CREATE INDEX "IDX_oauth_one_time_keys_expires_at" ON "oauth_one_time_keys" ("expires_at") `,
    );
    await q.query(
      `ALTER TABLE "oauth_one_time_keys" ADD CONSTRAINT "FK_15ed25b2bc6662a30214bcf3272" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "oauth_one_time_keys" DROP CONSTRAINT "FK_15ed25b2bc6662a30214bcf3272"`);
    await q.query(`DROP INDEX "public"."IDX_oauth_one_time_keys_expires_at"`);
    await q.query(`DROP TABLE "oauth_one_time_keys"`);
  }
}
