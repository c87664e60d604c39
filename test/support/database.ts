import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The server started by global-setup.mjs (or given as TEST_DATABASE_URL). */
export function testServerUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url)
    throw new Error(
      'TEST_DATABASE_URL is not set: run the tests through jest (global-setup.mjs starts PostgreSQL)',
    );
  return url;
}

/** Creates an empty database for one test file and returns its URL. */
export async function createTestDatabase(prefix = 'flagport_test'): Promise<string> {
  const server = new URL(testServerUrl());
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const client = new Client({ connectionString: server.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  server.pathname = `/${name}`;
  return server.toString();
}

/** Runs one query on a database URL with a short-lived client. */
export async function queryDatabase<T = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query(sql, params);
    return result.rows as T[];
  } finally {
    await client.end();
  }
}
