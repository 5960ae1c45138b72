import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.ts';

/** The handle repositories work through: one transaction with the tenant context set. */
export type Tx = Transaction<Database>;

/**
 * Runs work in one transaction whose `app.tenant_id` setting is the scope's tenant, so that
 * PostgreSQL row-level security only shows that tenant's rows (ROLE-1, the second wall). A null
 * tenant is for pre-authentication work, which sees only tables without tenant rows.
 */
export class UnitOfWork {
  constructor(private readonly writer: Kysely<Database>, private readonly reader: Kysely<Database>) {}

  run<T>(tenantId: string | null, work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.inTransaction(this.writer, tenantId, work);
  }

  /** Read-only work, sent to the read replica when one is configured (DATABASE_READ_URL). */
  read<T>(tenantId: string | null, work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.inTransaction(this.reader, tenantId, work);
  }

  private inTransaction<T>(db: Kysely<Database>, tenantId: string | null, work: (tx: Tx) => Promise<T>): Promise<T> {
    return db.transaction().execute(async (tx) => {
      await sql`select set_config('app.tenant_id', ${tenantId ?? ''}, true)`.execute(tx);
      return work(tx);
    });
  }
}
