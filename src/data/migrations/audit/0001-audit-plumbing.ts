import { sql, type Kysely } from 'kysely';

/** The audit database's first table; the log itself arrives with the audit capability (AUD-2). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table audit_schema_info (key text primary key, value text not null)`.execute(db);
  await sql`insert into audit_schema_info values ('purpose', 'clarus audit log')`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('not reversible');
}
