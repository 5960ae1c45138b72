/**
 * What a backup needs to know about a database, read from the PostgreSQL catalog (never a hand list):
 * the tables of schema `public` in foreign-key order, their columns and types, which ones have
 * row-level security, their primary keys, the sequences their columns own, and the applied migrations.
 * The catalog tables are readable by every role, so the ordinary application role can read all this.
 */
import { sql, type Kysely } from 'kysely';
import { DEFAULT_MIGRATION_LOCK_TABLE, DEFAULT_MIGRATION_TABLE } from 'kysely/migration';

export interface CatalogColumn {
  name: string;
  /** `format_type()` of the column, e.g. `timestamp with time zone`, `text[]`: the cast used to restore it. */
  type: string;
  /** bytea travels as bytes (base64 in the archive); every other type as its PostgreSQL text form. */
  bytea: boolean;
  /** `GENERATED ALWAYS AS IDENTITY`: inserting a value needs OVERRIDING SYSTEM VALUE. */
  identityAlways: boolean;
}

export interface CatalogTable {
  name: string;
  /** pg_class.relrowsecurity: rows are visible per `app.tenant_id` only. */
  rowSecurity: boolean;
  /** Stored columns in attribute order (generated columns are left out: PostgreSQL computes them). */
  columns: CatalogColumn[];
  primaryKey: string[];
  /** Tables this one references by foreign key (itself excluded). */
  references: string[];
  /** Whether any other table references this one. */
  referenced: boolean;
  /** Sequences owned by a column (serial, identity), by oid: advanced past restored values. */
  sequences: { column: string; oid: string }[];
}

export interface DatabaseCatalog {
  /** Tables in an order where every table comes after the tables it references. */
  tables: CatalogTable[];
  /** Names of the applied migrations, in order. */
  migrations: string[];
}

/** Kysely's bookkeeping tables: their content is the migration list, recorded separately. */
const MIGRATION_TABLES = new Set([DEFAULT_MIGRATION_TABLE, DEFAULT_MIGRATION_LOCK_TABLE]);

/** Orders tables so that each comes after every table it references (Kahn's algorithm, ties by name). */
function foreignKeyOrder(tables: Map<string, CatalogTable>): CatalogTable[] {
  const ordered: CatalogTable[] = [];
  const placed = new Set<string>();
  const remaining = [...tables.keys()].sort();
  while (remaining.length > 0) {
    const next = remaining.find((name) => (tables.get(name)?.references ?? []).every((parent) => placed.has(parent) || !tables.has(parent)));
    if (next === undefined) throw new Error(`tables ${remaining.join(', ')} reference each other in a cycle; a backup cannot order them`);
    remaining.splice(remaining.indexOf(next), 1);
    placed.add(next);
    ordered.push(tables.get(next) as CatalogTable);
  }
  return ordered;
}

export async function readCatalog(db: Kysely<unknown>): Promise<DatabaseCatalog> {
  const relations = await sql<{ name: string; rls: boolean }>`
    select c.relname as name, c.relrowsecurity as rls
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition`.execute(db);
  const columns = await sql<{ table: string; name: string; type: string; bytea: boolean; identity: string; generated: string }>`
    select c.relname as table, a.attname as name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type,
      a.atttypid = 'pg_catalog.bytea'::pg_catalog.regtype as bytea, a.attidentity::text as identity, a.attgenerated::text as generated
    from pg_catalog.pg_attribute a
      join pg_catalog.pg_class c on c.oid = a.attrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
    order by c.relname, a.attnum`.execute(db);
  const keys = await sql<{ table: string; column: string }>`
    select c.relname as table, a.attname as column
    from pg_catalog.pg_index i
      cross join lateral unnest(i.indkey::int2[]) with ordinality as k(attnum, ord)
      join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
      join pg_catalog.pg_class c on c.oid = i.indrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where i.indisprimary and n.nspname = 'public'
    order by c.relname, k.ord`.execute(db);
  const foreign = await sql<{ child: string; parent: string }>`
    select c.relname as child, p.relname as parent
    from pg_catalog.pg_constraint k
      join pg_catalog.pg_class c on c.oid = k.conrelid
      join pg_catalog.pg_class p on p.oid = k.confrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where k.contype = 'f' and n.nspname = 'public'`.execute(db);
  const sequences = await sql<{ table: string; column: string; oid: string }>`
    select t.relname as table, a.attname as column, s.oid::int8::text as oid
    from pg_catalog.pg_depend d
      join pg_catalog.pg_class s on s.oid = d.objid and s.relkind = 'S'
      join pg_catalog.pg_class t on t.oid = d.refobjid
      join pg_catalog.pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid
      join pg_catalog.pg_namespace n on n.oid = t.relnamespace
    where d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass and d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
      and d.deptype in ('a', 'i') and n.nspname = 'public'
    order by t.relname, a.attname`.execute(db);

  const tables = new Map<string, CatalogTable>();
  for (const r of relations.rows) {
    if (MIGRATION_TABLES.has(r.name)) continue;
    tables.set(r.name, { name: r.name, rowSecurity: r.rls, columns: [], primaryKey: [], references: [], referenced: false, sequences: [] });
  }
  for (const c of columns.rows) {
    if (c.generated !== '') continue;
    tables.get(c.table)?.columns.push({ name: c.name, type: c.type, bytea: c.bytea, identityAlways: c.identity === 'a' });
  }
  for (const k of keys.rows) tables.get(k.table)?.primaryKey.push(k.column);
  for (const f of foreign.rows) {
    const child = tables.get(f.child);
    if (f.child === f.parent) throw new Error(`table ${f.child} references itself; a backup cannot order its rows`);
    if (child && !child.references.includes(f.parent)) child.references.push(f.parent);
    const parent = tables.get(f.parent);
    if (parent) parent.referenced = true;
  }
  for (const s of sequences.rows) tables.get(s.table)?.sequences.push({ column: s.column, oid: s.oid });

  const migrationTable = relations.rows.some((r) => r.name === DEFAULT_MIGRATION_TABLE);
  const migrations = migrationTable
    ? (await sql<{ name: string }>`select name from ${sql.table(DEFAULT_MIGRATION_TABLE)} order by name`.execute(db)).rows.map((r) => r.name)
    : [];
  return { tables: foreignKeyOrder(tables), migrations };
}

/**
 * Session settings that make the text form of every value exact and independent of the server's
 * configuration: UTC timestamps with microseconds, ISO dates, shortest exact floats (PostgreSQL ≥ 12).
 * Local to the transaction. No statement timeout: one FETCH or one verification may take long.
 */
export async function useExactTextForms(db: Kysely<unknown>): Promise<void> {
  await sql`select set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true),
    set_config('IntervalStyle', 'postgres', true), set_config('extra_float_digits', '1', true),
    set_config('statement_timeout', '0', true)`.execute(db);
}

/** Sets the tenant whose rows row-level security shows (null: only rows without a tenant). */
export async function useTenantContext(db: Kysely<unknown>, tenantId: string | null): Promise<void> {
  await sql`select set_config('app.tenant_id', ${tenantId ?? ''}, true)`.execute(db);
}

/**
 * The tenant contexts in which tables with row-level security are read and written: no tenant (rows
 * with a null tenant, e.g. security events about unknown accounts), then each tenant of `tenants`.
 */
export async function tenantContexts(db: Kysely<unknown>, catalog: DatabaseCatalog): Promise<(string | null)[]> {
  if (!catalog.tables.some((t) => t.rowSecurity) || !catalog.tables.some((t) => t.name === 'tenants')) return [null];
  const tenants = await sql<{ id: string }>`select id::text as id from tenants order by id`.execute(db);
  return [null, ...tenants.rows.map((r) => r.id)];
}

/** The select list that reads a table's columns in their exchange form: bytea as bytes, the rest as text. */
export function exchangeColumns(table: CatalogTable) {
  return sql.join(table.columns.map((c, i) => (c.bytea ? sql`${sql.id(c.name)} as ${sql.id(`c${i}`)}` : sql`${sql.id(c.name)}::text as ${sql.id(`c${i}`)}`)));
}

/** A row of the exchange form: text (or null), or bytes for bytea columns. */
export type ExchangeValue = string | Buffer | null;

export function toExchangeRow(table: CatalogTable, row: Record<string, unknown>): ExchangeValue[] {
  return table.columns.map((_, i) => row[`c${i}`] as ExchangeValue);
}
