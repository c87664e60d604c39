import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Flagsmith's onboarding fields: a user's `onboarding_data` (JSON text of PATCH /auth/users/me/onboarding/), an
 * environment's first SDK evaluation (GET /environments/{key}/onboarding-status/), and an organisation's
 * write-only `targeting_key`.
 */
export class OnboardingAndTargeting1765800000001 implements MigrationInterface {
  name = 'OnboardingAndTargeting1765800000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "users" ADD "onboarding_data" text`);
    await q.query(`ALTER TABLE "environments" ADD "first_evaluated_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "environments" ADD "first_evaluated_sdk_label" character varying(100)`);
    await q.query(`ALTER TABLE "organisations" ADD "targeting_key" character varying(64)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "organisations" DROP COLUMN "targeting_key"`);
    await q.query(`ALTER TABLE "environments" DROP COLUMN "first_evaluated_sdk_label"`);
    await q.query(`ALTER TABLE "environments" DROP COLUMN "first_evaluated_at"`);
    await q.query(`ALTER TABLE "users" DROP COLUMN "onboarding_data"`);
  }
}
