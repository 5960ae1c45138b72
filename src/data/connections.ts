import { Kysely, PostgresDialect, sql } from 'kysely';
import { Migrator, type MigrationProvider } from 'kysely/migration';
import pg from 'pg';
import type { AuditDatabase, Database } from './schema.ts';
import { auditMigrations, mainMigrations } from './migrations/index.ts';
import { TenantContextDialect } from './unit-of-work.ts';

// DATE columns (OID 1082) stay 'YYYY-MM-DD' strings: a birth date is a calendar day, not an instant,
// and turning it into a Date at local midnight shifts it across time zones.
pg.types.setTypeParser(1082, (value: string) => value);

/** A pool with timeouts, so a stuck database fails requests instead of hanging them. */
export function createPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 30_000,
    query_timeout: 35_000,
    application_name: 'clarus',
  });
  // A client that loses its connection must not crash the process, idle (pool 'error') or checked out
  // (client 'error', which pg emits besides failing the query): the query's own error reports it.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

export function kyselyOver<T>(pool: pg.Pool): Kysely<T> {
  return new Kysely<T>({ dialect: new PostgresDialect({ pool }) });
}

/** The application's main (or read-replica) database: units of work begin and set their tenant in one round trip. */
export function applicationKyselyOver(pool: pg.Pool): Kysely<Database> {
  return new Kysely<Database>({ dialect: new TenantContextDialect({ pool }) });
}

async function migrate(db: Kysely<unknown>, provider: MigrationProvider): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r: { status: string }) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${error instanceof Error ? error.message : "unknown error"}`);
  }
}

/** Applies the versioned migrations of the main and the audit database. */
export async function migrateDatabases(mainUrl: string, auditUrl: string): Promise<void> {
  for (const [url, provider] of [[mainUrl, mainMigrations], [auditUrl, auditMigrations]] as const) {
    const pool = createPool(url, 1);
    const db = kyselyOver<unknown>(pool);
    try {
      await migrate(db, provider);
    } finally {
      await db.destroy();
    }
  }
}

/**
 * When migrations run as an owner role, the application role gets only data rights: it cannot
 * change the schema, disable row-level security or touch other databases.
 */
export async function grantApplicationRole(url: string, appRole: string, auditDatabase: boolean): Promise<void> {
  const pool = createPool(url, 1);
  const db = kyselyOver<unknown>(pool);
  try {
    const role = sql.id(appRole);
    await sql`grant usage on schema public to ${role}`.execute(db);
    if (auditDatabase) {
      // AUD-2: the application may only append to and read the audit log.
      await sql`grant select, insert on all tables in schema public to ${role}`.execute(db);
    } else {
      await sql`grant select, insert, update, delete on all tables in schema public to ${role}`.execute(db);
    }
    await sql`grant usage, select on all sequences in schema public to ${role}`.execute(db);
  } finally {
    await db.destroy();
  }
}

export interface RoleFacts {
  superuser: boolean;
  bypassRls: boolean;
  /** Tables of the public schema the role owns: an owner can switch row-level security off. */
  ownedTables: number;
}

/** ROLE-1: the application must connect as a role that row-level security applies to. */
export async function describeCurrentRole(db: Kysely<Database>): Promise<RoleFacts> {
  const result = await sql<{ rolsuper: boolean; rolbypassrls: boolean; owned: number }>`
    select rolsuper, rolbypassrls,
      (select count(*)::int from pg_tables where schemaname = 'public' and tableowner = current_user) as owned
    from pg_roles where rolname = current_user`.execute(db);
  const row = result.rows[0];
  return { superuser: row?.rolsuper ?? true, bypassRls: row?.rolbypassrls ?? true, ownedTables: row?.owned ?? 0 };
}

export type MainDb = Kysely<Database>;
export type AuditDb = Kysely<AuditDatabase>;
