/**
 * Reads a whole database for a backup, consistently and in bounded memory, as the ordinary
 * application role: one REPEATABLE READ READ ONLY transaction (one snapshot for every table), each
 * table read through a cursor a batch at a time. Tables with row-level security are read once per
 * tenant context, with `app.tenant_id` set for the transaction (no superuser, no BYPASSRLS needed).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import {
  exchangeColumns, readCatalog, tenantContexts, toExchangeRow, useExactTextForms, useTenantContext,
  type CatalogTable, type DatabaseCatalog, type ExchangeValue,
} from './catalog.ts';

/** Rows per FETCH: bounded memory whatever the table size. */
const FETCH_ROWS = 500;

/** Receives a database's rows, one section (a table in one tenant context) at a time. */
export interface DumpSink {
  /** A section starts; sections without rows are not announced. */
  section(table: CatalogTable, tenantId: string | null): Promise<void>;
  rows(rows: ExchangeValue[][]): Promise<void>;
  end(count: number): Promise<void>;
}

export interface DatabaseSnapshot {
  catalog: DatabaseCatalog;
  /** Rows the dump will read, counted in the same snapshot (for progress). */
  countRows(): Promise<number>;
  dump(sink: DumpSink): Promise<void>;
}

async function readSection(tx: Transaction<unknown>, table: CatalogTable, tenantId: string | null, sink: DumpSink): Promise<void> {
  if (table.rowSecurity) await useTenantContext(tx, tenantId);
  // Primary-key order: deterministic archives, and an index scan the cursor can follow.
  const order = table.primaryKey.length > 0 ? sql`order by ${sql.join(table.primaryKey.map((c) => sql.id(c)))}` : sql``;
  await sql`declare clarus_backup no scroll cursor for select ${exchangeColumns(table)} from ${sql.table(table.name)} ${order}`.execute(tx);
  let count = 0;
  try {
    for (;;) {
      const { rows } = await sql<Record<string, unknown>>`fetch forward ${sql.lit(FETCH_ROWS)} from clarus_backup`.execute(tx);
      if (rows.length === 0) break;
      if (count === 0) await sink.section(table, tenantId);
      count += rows.length;
      await sink.rows(rows.map((row) => toExchangeRow(table, row)));
      if (rows.length < FETCH_ROWS) break;
    }
  } finally {
    await sql`close clarus_backup`.execute(tx);
  }
  if (count > 0) await sink.end(count);
}

/**
 * Runs `work` with a consistent, read-only snapshot of the database. The snapshot is taken by the
 * first statement of the transaction, so two nested calls (main, then audit) see the two databases
 * a few milliseconds apart.
 */
export async function withDatabaseSnapshot<DB, T>(db: Kysely<DB>, work: (snapshot: DatabaseSnapshot) => Promise<T>): Promise<T> {
  return (db as unknown as Kysely<unknown>).transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(async (tx) => {
    await useExactTextForms(tx);
    const catalog = await readCatalog(tx);
    const contexts = await tenantContexts(tx, catalog);
    const sections = catalog.tables.flatMap((table) => (table.rowSecurity ? contexts : [null]).map((tenantId) => ({ table, tenantId })));
    return work({
      catalog,
      async countRows() {
        let total = 0;
        for (const { table, tenantId } of sections) {
          if (table.rowSecurity) await useTenantContext(tx, tenantId);
          const { rows } = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(table.name)}`.execute(tx);
          total += Number(rows[0]?.n ?? 0);
        }
        return total;
      },
      async dump(sink) {
        for (const { table, tenantId } of sections) await readSection(tx, table, tenantId, sink);
      },
    });
  });
}
