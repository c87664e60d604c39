import { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1764140000000 implements MigrationInterface {
  name = 'Initial1764140000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "sites" ("id" SERIAL NOT NULL, "name" character varying(50) NOT NULL, "domain" character varying(100) NOT NULL, CONSTRAINT "PK_sites" PRIMARY KEY ("id"))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "sites"`);
  }
}
