import { DataSource } from 'typeorm';
import { startTestApp } from './support/app';
import { createTestDatabase, queryDatabase } from './support/database';

async function conditionValueWidth(url: string): Promise<number> {
  const rows = await queryDatabase<{ width: number }>(
    url,
    `SELECT character_maximum_length AS width FROM information_schema.columns
     WHERE table_name = 'segment_conditions' AND column_name = 'value'`,
  );
  return rows[0].width;
}

describe('data model', () => {
  describe('segment condition value width', () => {
    it('segment_conditions.value on a fresh database with SEGMENT_CONDITION_VALUE_LIMIT=2500 is varchar(2500) and matches the entities', async () => {
      const t = await startTestApp({ SEGMENT_CONDITION_VALUE_LIMIT: '2500' });
      try {
        expect(await conditionValueWidth(t.databaseUrl)).toBe(2500);
        const sql = await t.app.get(DataSource).driver.createSchemaBuilder().log();
        expect(sql.upQueries).toEqual([]);
      } finally {
        await t.close();
      }
    });

    it('SEGMENT_CONDITION_VALUE_LIMIT=0 (the documented minimum) starts with a 1-character column and readiness 200', async () => {
      const t = await startTestApp({ SEGMENT_CONDITION_VALUE_LIMIT: '0' });
      try {
        expect(await conditionValueWidth(t.databaseUrl)).toBe(1);
        expect((await fetch(`${t.url}/health/readiness/`)).status).toBe(200);
      } finally {
        await t.close();
      }
    });

    it('segment_conditions.value after restarting with a larger limit is widened to the new limit', async () => {
      const databaseUrl = await createTestDatabase();
      const first = await startTestApp({ DATABASE_URL: databaseUrl });
      expect(await conditionValueWidth(databaseUrl)).toBe(1000);
      await first.close();
      const second = await startTestApp({ DATABASE_URL: databaseUrl, SEGMENT_CONDITION_VALUE_LIMIT: '4000' });
      try {
        expect(await conditionValueWidth(databaseUrl)).toBe(4000);
      } finally {
        await second.close();
      }
    });
  });

  describe('constraints', () => {
    let url: string;
    beforeAll(async () => {
      const t = await startTestApp();
      url = t.databaseUrl;
      await t.close();
    });

    it('users with the same email in another case violate the unique index', async () => {
      await queryDatabase(
        url,
        `INSERT INTO users (uuid, email, password) VALUES (gen_random_uuid(), 'Ann@Example.com', '!')`,
      );
      await expect(
        queryDatabase(
          url,
          `INSERT INTO users (uuid, email, password) VALUES (gen_random_uuid(), 'ann@example.COM', '!')`,
        ),
      ).rejects.toThrow(/UQ_users_email_lower/);
    });

    it('features with the same name ignoring case in one project are refused unless the first is deleted', async () => {
      await queryDatabase(url, `INSERT INTO organisations (uuid, name) VALUES (gen_random_uuid(), 'o')`);
      await queryDatabase(
        url,
        `INSERT INTO projects (uuid, name, organisation_id) SELECT gen_random_uuid(), 'p', max(id) FROM organisations`,
      );
      const insert = (name: string) =>
        queryDatabase<{ id: number }>(
          url,
          `INSERT INTO features (uuid, name, project_id) SELECT gen_random_uuid(), $1, max(id) FROM projects RETURNING id`,
          [name],
        );
      const [first] = await insert('my_flag');
      await expect(insert('MY_FLAG')).rejects.toThrow(/UQ_features_project_name_live/);
      await queryDatabase(url, `UPDATE features SET deleted_at = now() WHERE id = $1`, [first.id]);
      await expect(insert('MY_FLAG')).resolves.toHaveLength(1);
    });

    it('a second environment default feature state for the same feature and environment is refused', async () => {
      await queryDatabase(
        url,
        `INSERT INTO environments (uuid, name, api_key, project_id) SELECT gen_random_uuid(), 'e', 'k1', max(id) FROM projects`,
      );
      const insert = () =>
        queryDatabase(
          url,
          `INSERT INTO feature_states (uuid, feature_id, environment_id)
           SELECT gen_random_uuid(), (SELECT max(id) FROM features), (SELECT max(id) FROM environments)`,
        );
      await insert();
      await expect(insert()).rejects.toThrow(/UQ_feature_states_env_default/);
    });
  });
});
