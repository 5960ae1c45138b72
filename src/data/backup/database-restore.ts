/**
 * Writes a backup's rows into a database, all or nothing: one transaction, committed only when the
 * caller has verified everything (counts, keys, decryption, the audit log). Works as the ordinary
 * application role: rows of tables with row-level security are inserted with `app.tenant_id` set to
 * their tenant (the policies' WITH CHECK holds), identity columns with OVERRIDING SYSTEM VALUE, and
 * sequences are moved past the restored values with nextval() when the role may not setval().
 */
import { sql, type ControlledTransaction, type Kysely } from 'kysely';
import {
  exchangeColumns, readCatalog, toExchangeRow, useExactTextForms, useTenantContext, type CatalogTable, type DatabaseCatalog, type ExchangeValue,
} from './catalog.ts';

/** The target is not in a state a backup may be restored into; the message says why, on one line. */
export class RestoreRefusedError extends Error {
  override readonly name = 'RestoreRefusedError';
}

/** PostgreSQL takes at most 65,535 parameters per statement. */
const MAX_PARAMETERS = 60_000;
/** A table may hold rows before a restore only if they are few and identical to the backup's (rows a migration wrote). */
const MAX_SEEDED_ROWS = 100;

function rowKey(values: ExchangeValue[]): string {
  return JSON.stringify(values.map((v) => (Buffer.isBuffer(v) ? `\\x${v.toString('hex')}` : v)));
}

interface SeededRows {
  /** full row → primary-key value, for rows not yet matched by a backup row */
  rows: Map<string, string>;
  keys: Set<string>;
}

export class DatabaseRestorer<DB> {
  private current: { table: CatalogTable; tenantId: string | null } | undefined;
  private readonly seeded = new Map<string, SeededRows>();
  /** Highest restored value of each column that owns a sequence, by sequence oid. */
  private readonly sequenceMax = new Map<string, bigint>();

  private constructor(private readonly transaction: ControlledTransaction<DB>, readonly catalog: DatabaseCatalog, private readonly label: string) {}

  /** Opens the restore transaction and reads the target's catalog inside it. */
  static async open<DB>(db: Kysely<DB>, label: string): Promise<DatabaseRestorer<DB>> {
    const tx = await db.startTransaction().execute();
    try {
      const raw = tx as unknown as Kysely<unknown>;
      await useExactTextForms(raw);
      return new DatabaseRestorer(tx, await readCatalog(raw), label);
    } catch (error) {
      await tx.rollback().execute();
      throw error;
    }
  }

  /** The open transaction, for verification before commit (typed like the application's own handles). */
  get tx(): ControlledTransaction<DB> {
    return this.transaction;
  }

  private get raw(): Kysely<unknown> {
    return this.transaction as unknown as Kysely<unknown>;
  }

  private table(name: string): CatalogTable {
    const table = this.catalog.tables.find((t) => t.name === name);
    if (!table) throw new RestoreRefusedError(`the backup has table ${name}, which the ${this.label} database does not have`);
    return table;
  }

  /**
   * Refuses unless the database holds no rows, apart from a few rows in unreferenced tables without
   * row-level security (rows the migrations themselves write); those must then be in the backup too,
   * identical, which insert() and finish() check.
   */
  async requireEmpty(): Promise<void> {
    const problems: string[] = [];
    await useTenantContext(this.raw, null);
    for (const table of this.catalog.tables) {
      const { rows } = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(table.name)}`.execute(this.raw);
      const count = Number(rows[0]?.n ?? 0);
      if (count === 0) continue;
      if (table.rowSecurity || table.referenced || count > MAX_SEEDED_ROWS) {
        problems.push(`${table.name} has ${count} row(s)`);
        continue;
      }
      const existing = await sql<Record<string, unknown>>`select ${exchangeColumns(table)} from ${sql.table(table.name)}`.execute(this.raw);
      const seeded: SeededRows = { rows: new Map(), keys: new Set() };
      for (const row of existing.rows) {
        const values = toExchangeRow(table, row);
        const key = this.primaryKeyOf(table, values);
        seeded.rows.set(rowKey(values), key);
        seeded.keys.add(key);
      }
      this.seeded.set(table.name, seeded);
    }
    if (problems.length > 0) {
      throw new RestoreRefusedError(`the ${this.label} database is not empty (${problems.join(', ')}); restore into a freshly migrated instance with no organisations`);
    }
  }

  private primaryKeyOf(table: CatalogTable, values: ExchangeValue[]): string {
    if (table.primaryKey.length === 0) return rowKey(values);
    return rowKey(table.primaryKey.map((name) => values[table.columns.findIndex((c) => c.name === name)] ?? null));
  }

  /** Sets the tenant whose rows row-level security shows in the transaction (for verification). */
  async useTenant(tenantId: string | null): Promise<void> {
    await useTenantContext(this.raw, tenantId);
    this.current = undefined;
  }

  /** Starts a section: the table's rows of one tenant (row-level security), or all of them. */
  async section(tableName: string, tenantId: string | null): Promise<void> {
    const table = this.table(tableName);
    if (table.rowSecurity) await useTenantContext(this.raw, tenantId);
    else if (tenantId !== null) throw new RestoreRefusedError(`the backup has rows of ${tableName} per tenant, but ${tableName} has no row-level security here`);
    this.current = { table, tenantId };
  }

  /** Inserts rows of the current section (exchange form: text, or bytes for bytea columns). */
  async insert(rows: ExchangeValue[][]): Promise<void> {
    if (!this.current) throw new Error('insert() before section()');
    const { table } = this.current;
    const seeded = this.seeded.get(table.name);
    const fresh = seeded ? rows.filter((row) => this.unseeded(table, seeded, row)) : rows;
    for (const { column, oid } of table.sequences) {
      const at = table.columns.findIndex((c) => c.name === column);
      for (const row of fresh) {
        const value = row[at];
        if (typeof value !== 'string' || !/^-?\d+$/.test(value)) continue;
        const max = this.sequenceMax.get(oid);
        if (max === undefined || BigInt(value) > max) this.sequenceMax.set(oid, BigInt(value));
      }
    }
    const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / Math.max(1, table.columns.length)));
    const overriding = table.columns.some((c) => c.identityAlways) ? sql`overriding system value` : sql``;
    const names = sql.join(table.columns.map((c) => sql.id(c.name)));
    for (let at = 0; at < fresh.length; at += perStatement) {
      const batch = fresh.slice(at, at + perStatement).map((row) => {
        if (row.length !== table.columns.length) throw new RestoreRefusedError(`a row of ${table.name} has ${row.length} values for ${table.columns.length} columns`);
        // The cast is the column's catalog type: PostgreSQL parses the text form exactly as it printed it.
        return sql`(${sql.join(row.map((value, i) => sql`${value}::${sql.raw((table.columns[i] as CatalogTable['columns'][number]).type)}`))})`;
      });
      await sql`insert into ${sql.table(table.name)} (${names}) ${overriding} values ${sql.join(batch)}`.execute(this.raw);
    }
  }

  /** False for a row the target already holds identically (a migration wrote it); refuses a different row under the same key. */
  private unseeded(table: CatalogTable, seeded: SeededRows, row: ExchangeValue[]): boolean {
    const key = this.primaryKeyOf(table, row);
    const full = rowKey(row);
    if (seeded.rows.has(full)) {
      seeded.rows.delete(full);
      seeded.keys.delete(key);
      return false;
    }
    if (seeded.keys.has(key)) throw new RestoreRefusedError(`the ${this.label} database is not empty: ${table.name} already holds a different row with the same key`);
    return true;
  }

  /** Rows of the current section that the database holds now. */
  async countSection(): Promise<number> {
    if (!this.current) throw new Error('countSection() before section()');
    const { rows } = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(this.current.table.name)}`.execute(this.raw);
    return Number(rows[0]?.n ?? 0);
  }

  /** Refuses rows that were there before and are not in the backup; moves sequences past restored values. */
  async finish(): Promise<void> {
    for (const [table, seeded] of this.seeded) {
      if (seeded.rows.size > 0) throw new RestoreRefusedError(`the ${this.label} database is not empty: ${table} holds ${seeded.rows.size} row(s) that are not in the backup`);
    }
    for (const [oid, max] of this.sequenceMax) await this.advanceSequence(oid, max);
  }

  /**
   * setval() needs UPDATE on the sequence, which the application role does not have (it gets USAGE and
   * SELECT): then nextval() is called as often as needed, in one statement. Sequences are not
   * transactional; after a rolled-back restore they stay ahead, which only leaves a gap in the ids.
   */
  private async advanceSequence(oid: string, max: bigint): Promise<void> {
    const state = async () => {
      const { rows } = await sql<{ last: string | null; start: string; step: string; can_set: boolean }>`
        select s.last_value::text as last, s.start_value::text as start, s.increment_by::text as step,
          has_sequence_privilege(c.oid, 'UPDATE') as can_set
        from pg_catalog.pg_sequences s
          join pg_catalog.pg_namespace n on n.nspname = s.schemaname
          join pg_catalog.pg_class c on c.relnamespace = n.oid and c.relname = s.sequencename
        where c.oid = ${oid}::oid`.execute(this.raw);
      const row = rows[0];
      if (!row) throw new Error(`sequence ${oid} is not readable`);
      const step = BigInt(row.step);
      return { current: row.last === null ? BigInt(row.start) - step : BigInt(row.last), step, canSet: row.can_set };
    };
    const { current, step, canSet } = await state();
    if (step <= 0n || current >= max) return;
    if (canSet) {
      await sql`select setval(${oid}::oid::regclass, ${max.toString()}::bigint, true)`.execute(this.raw);
    } else {
      const calls = (max - current + step - 1n) / step;
      await sql`select count(nextval(${oid}::oid::regclass)) from generate_series(1, ${calls.toString()}::bigint)`.execute(this.raw);
    }
    if ((await state()).current < max) throw new Error(`sequence ${oid} could not be moved past ${max}`);
  }

  async commit(): Promise<void> {
    await this.transaction.commit().execute();
  }

  async rollback(): Promise<void> {
    await this.transaction.rollback().execute();
  }
}
