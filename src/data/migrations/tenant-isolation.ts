import { sql, type Kysely } from 'kysely';

/**
 * ROLE-1 second wall: row-level security on a tenant table, forced even for the table owner, keyed
 * on the `app.tenant_id` setting that every unit of work sets for its transaction.
 */
export async function enableTenantIsolation(db: Kysely<unknown>, table: string): Promise<void> {
  await sql`alter table ${sql.table(table)} enable row level security`.execute(db);
  await sql`alter table ${sql.table(table)} force row level security`.execute(db);
  await sql`
    create policy tenant_isolation on ${sql.table(table)}
      using (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
      with check (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
  `.execute(db);
}
