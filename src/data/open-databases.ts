import pg from 'pg';
import type { Kysely } from 'kysely';
import type { DatabaseConfig } from '../config/load-config.ts';
import { loadOrCreateSecretFile } from '../config/development-secrets.ts';
import { applicationKyselyOver, createPool, describeCurrentRole, grantApplicationRole, kyselyOver, migrateDatabases, type RoleFacts } from './connections.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import type { AuditDatabase, Database } from './schema.ts';
import { UnitOfWork } from './unit-of-work.ts';

export interface Databases {
  main: Kysely<Database>;
  read: Kysely<Database>;
  audit: Kysely<AuditDatabase>;
  unitOfWork: UnitOfWork;
  /** Facts about the roles of the read/write and the read connection. */
  role: RoleFacts;
  readRole: RoleFacts;
  close(): Promise<void>;
}

const MAIN_DB = 'clarus';
const AUDIT_DB = 'clarus_audit';
const APP_ROLE = 'clarus_app';

function url(user: string, password: string, port: number, database: string): string {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

async function ensureEmbeddedObjects(adminUrl: string, appPassword: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const name of [MAIN_DB, AUDIT_DB]) {
      const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
      if (exists.rowCount === 0) await client.query(`create database ${name}`);
    }
    const role = await client.query('select 1 from pg_roles where rolname = $1', [APP_ROLE]);
    const escaped = appPassword.replace(/'/g, "''");
    // A login role without superuser or BYPASSRLS: row-level security applies to it.
    await client.query(`${role.rowCount === 0 ? 'create' : 'alter'} role ${APP_ROLE} login nosuperuser nobypassrls nocreatedb nocreaterole password '${escaped}'`);
  } finally {
    await client.end();
  }
}

function roleOf(connectionString: string): string {
  return decodeURIComponent(new URL(connectionString).username);
}

/**
 * Opens the main database (read/write and optional read replica) and the separate audit database,
 * after starting the embedded PostgreSQL when no DATABASE_URL is set, and applying migrations.
 */
export async function openDatabases(config: { database: DatabaseConfig; dataDir: string; poolMax: number }, log: (m: string) => void): Promise<Databases> {
  let mainUrl: string;
  let readUrl: string | undefined;
  let auditUrl: string;
  let stopEmbedded: () => Promise<void> = async () => undefined;
  const { database } = config;
  if (database.mode === 'embedded') {
    const superPassword = loadOrCreateSecretFile(config.dataDir, 'pg-superuser.password');
    const appPassword = loadOrCreateSecretFile(config.dataDir, 'pg-app.password');
    const cluster = await startEmbeddedPostgres({ directory: database.directory, port: database.port, superPassword, log });
    stopEmbedded = () => cluster.stop();
    try {
      await ensureEmbeddedObjects(url('postgres', superPassword, cluster.port, 'postgres'), appPassword);
      const adminMain = url('postgres', superPassword, cluster.port, MAIN_DB);
      const adminAudit = url('postgres', superPassword, cluster.port, AUDIT_DB);
      await migrateDatabases(adminMain, adminAudit);
      await grantApplicationRole(adminMain, APP_ROLE, false);
      await grantApplicationRole(adminAudit, APP_ROLE, true);
    } catch (error) {
      await stopEmbedded();
      throw error;
    }
    mainUrl = url(APP_ROLE, appPassword, cluster.port, MAIN_DB);
    auditUrl = url(APP_ROLE, appPassword, cluster.port, AUDIT_DB);
  } else {
    mainUrl = database.url;
    readUrl = database.readUrl;
    auditUrl = database.auditUrl;
    // Migrations may run as an owner role (DATABASE_MIGRATION_URL); the application role then gets data rights only.
    const migrationUrl = database.migrationUrl ?? database.url;
    const auditMigrationUrl = database.auditMigrationUrl ?? database.auditUrl;
    await migrateDatabases(migrationUrl, auditMigrationUrl);
    if (roleOf(migrationUrl) !== roleOf(database.url)) await grantApplicationRole(migrationUrl, roleOf(database.url), false);
    if (roleOf(auditMigrationUrl) !== roleOf(database.auditUrl)) await grantApplicationRole(auditMigrationUrl, roleOf(database.auditUrl), true);
  }
  const mainPool = createPool(mainUrl, config.poolMax);
  const readPool = readUrl ? createPool(readUrl, config.poolMax) : undefined;
  const auditPool = createPool(auditUrl, Math.max(2, Math.floor(config.poolMax / 2)));
  const main = applicationKyselyOver(mainPool);
  const read = readPool ? applicationKyselyOver(readPool) : main;
  const audit = kyselyOver<AuditDatabase>(auditPool);
  const role = await describeCurrentRole(main);
  const readRole = read === main ? role : await describeCurrentRole(read);
  return {
    main,
    read,
    audit,
    unitOfWork: new UnitOfWork(main, read),
    role,
    readRole,
    async close() {
      await main.destroy();
      if (read !== main) await read.destroy();
      await audit.destroy();
      await stopEmbedded();
    },
  };
}
