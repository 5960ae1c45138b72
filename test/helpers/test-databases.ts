import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The test PostgreSQL started by scripts/run-tests.mjs (a superuser URL). */
export function adminUrl(database = 'postgres'): string {
  const base = process.env.CLARUS_TEST_PG_URL;
  if (!base) throw new Error('CLARUS_TEST_PG_URL is not set: run the tests with `npm test` (scripts/run-tests.mjs)');
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

const APP_ROLE = 'clarus_test_app';
const APP_PASSWORD = 'test-app-role-password-not-secret';

export interface TestDatabases {
  env: Record<string, string>;
  mainName: string;
  appRole: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Fresh main and audit databases for one test system, plus an ordinary (non-superuser) login role
 * for the application, so that row-level security applies exactly as in production.
 */
export async function createTestDatabases(): Promise<TestDatabases> {
  const suffix = randomBytes(5).toString('hex');
  const mainName = `t_${suffix}`;
  const auditName = `t_${suffix}_audit`;
  await withAdmin(async (client) => {
    try {
      await client.query(`create role ${APP_ROLE} login nosuperuser nobypassrls password '${APP_PASSWORD}'`);
    } catch (error) {
      // Another test file created it first (roles are cluster-wide).
      if ((error as { code?: string }).code !== '42710' && (error as { code?: string }).code !== '23505') throw error;
    }
    await client.query(`create database ${mainName}`);
    await client.query(`create database ${auditName}`);
  });
  const appUrl = (db: string) => {
    const url = new URL(adminUrl(db));
    url.username = APP_ROLE;
    url.password = APP_PASSWORD;
    return url.toString();
  };
  return {
    mainName,
    appRole: APP_ROLE,
    env: {
      DATABASE_URL: appUrl(mainName),
      AUDIT_DATABASE_URL: appUrl(auditName),
      DATABASE_MIGRATION_URL: adminUrl(mainName),
      AUDIT_DATABASE_MIGRATION_URL: adminUrl(auditName),
    },
    async drop() {
      await withAdmin(async (client) => {
        for (const name of [mainName, auditName]) await client.query(`drop database if exists ${name} with (force)`);
      });
    },
  };
}
