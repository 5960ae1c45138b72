import { AsyncLocalStorage } from 'node:async_hooks';
import { CompiledQuery, PostgresDialect, PostgresDriver, sql, type DatabaseConnection, type Driver, type Kysely, type PostgresDialectConfig, type Transaction, type TransactionSettings } from 'kysely';
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
    const tenant = tenantId ?? '';
    const pending: PendingBegin = { tenant, begun: false };
    const execute = () => db.transaction().execute(async (tx) => {
      // Over a TenantContextDialect the setting already went with BEGIN; otherwise it is sent here.
      if (!pending.begun) await sql`select set_config('app.tenant_id', ${tenant}, true)`.execute(tx);
      return work(tx);
    });
    // Only a tenant id of the form Clarus creates (a UUID) is ever written into SQL text.
    return tenant === '' || UUID.test(tenant) ? pendingBegin.run(pending, execute) : execute();
  }
}

/** What the next BEGIN of a unit of work should also set (the tenant), and whether it did. */
interface PendingBegin {
  tenant: string;
  begun: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const pendingBegin = new AsyncLocalStorage<PendingBegin>();

/**
 * BEGIN and the tenant setting of a unit of work in one round trip: `begin; select set_config(…)` as
 * one simple-query message (PostgreSQL runs its statements in order and the explicit transaction
 * continues after it; PostgreSQL protocol docs, "Multiple Statements in a Simple Query"). Every
 * transaction of the application paid a round trip for each; an image stored takes two transactions,
 * a search or a retrieval two or three. Transactions that are not a unit of work's own (another
 * one inside its callback, or with an isolation level or access mode) begin as kysely does.
 */
class TenantContextDriver extends PostgresDriver {
  override async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const pending = pendingBegin.getStore();
    if (!pending || pending.begun || settings.isolationLevel !== undefined || settings.accessMode !== undefined) {
      await super.beginTransaction(connection, settings);
      return;
    }
    pending.begun = true;
    await connection.executeQuery(CompiledQuery.raw(`begin; select set_config('app.tenant_id', '${pending.tenant}', true)`));
  }
}

/** The PostgreSQL dialect of the application's pools (main and read replica): see TenantContextDriver. */
export class TenantContextDialect extends PostgresDialect {
  constructor(private readonly settings: PostgresDialectConfig) {
    super(settings);
  }

  override createDriver(): Driver {
    return new TenantContextDriver(this.settings);
  }
}
