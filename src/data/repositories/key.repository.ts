import type { Selectable } from 'kysely';
import type { Tx } from '../unit-of-work.ts';
import type { TenantKeysTable } from '../schema.ts';

export type TenantKeyPurpose = TenantKeysTable['purpose'];

export interface TenantKeyRow {
  tenantId: string;
  purpose: TenantKeyPurpose;
  version: number;
  rootKeyId: string;
  wrapped: Buffer | null;
  state: TenantKeysTable['state'];
  createdAt: Date;
  retiredAt: Date | null;
}

function toRow(r: Selectable<TenantKeysTable>): TenantKeyRow {
  return { tenantId: r.tenant_id, purpose: r.purpose, version: r.version, rootKeyId: r.root_key_id, wrapped: r.wrapped_key, state: r.state, createdAt: r.created_at, retiredAt: r.retired_at };
}

/**
 * Wrapped tenant keys and patient data keys (KEY-2). Only wrapped bytes pass through here; the
 * keyring in crypto/ unwraps them.
 */
export const keyRepository = {
  async tenantKeys(tx: Tx, tenantId: string): Promise<TenantKeyRow[]> {
    const rows = await tx.selectFrom('tenant_keys').selectAll().where('tenant_id', '=', tenantId).orderBy('purpose').orderBy('version').execute();
    return rows.map(toRow);
  },

  async activeTenantKey(tx: Tx, tenantId: string, purpose: TenantKeyPurpose): Promise<TenantKeyRow | undefined> {
    const row = await tx.selectFrom('tenant_keys').selectAll().where('tenant_id', '=', tenantId).where('purpose', '=', purpose).where('state', '=', 'active').executeTakeFirst();
    return row && toRow(row);
  },

  async tenantKey(tx: Tx, tenantId: string, purpose: TenantKeyPurpose, version: number): Promise<TenantKeyRow | undefined> {
    const row = await tx.selectFrom('tenant_keys').selectAll().where('tenant_id', '=', tenantId).where('purpose', '=', purpose).where('version', '=', version).executeTakeFirst();
    return row && toRow(row);
  },

  /** Inserts the first active key of a purpose unless a concurrent caller already did. */
  async insertTenantKey(tx: Tx, k: { tenantId: string; purpose: TenantKeyPurpose; version: number; rootKeyId: string; wrapped: Buffer }, createdAt: Date): Promise<boolean> {
    const result = await tx.insertInto('tenant_keys').values({
      tenant_id: k.tenantId, purpose: k.purpose, version: k.version, root_key_id: k.rootKeyId, wrapped_key: k.wrapped, state: 'active', created_at: createdAt,
    }).onConflict((oc) => oc.doNothing()).executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  },

  /** Locks the active key row of a purpose until the transaction ends (one rotation at a time). */
  async lockActive(tx: Tx, tenantId: string, purpose: TenantKeyPurpose): Promise<void> {
    await tx.selectFrom('tenant_keys').select('version').where('tenant_id', '=', tenantId).where('purpose', '=', purpose).where('state', '=', 'active').forUpdate().execute();
  },

  async setState(tx: Tx, tenantId: string, purpose: TenantKeyPurpose, version: number, state: 'retiring'): Promise<void> {
    await tx.updateTable('tenant_keys').set({ state }).where('tenant_id', '=', tenantId).where('purpose', '=', purpose).where('version', '=', version).execute();
  },

  /** Destroys a tenant key version's material; the row stays as a record of its life. */
  async retireTenantKey(tx: Tx, tenantId: string, purpose: TenantKeyPurpose, version: number, at: Date): Promise<void> {
    await tx.updateTable('tenant_keys').set({ state: 'retired', wrapped_key: null, retired_at: at })
      .where('tenant_id', '=', tenantId).where('purpose', '=', purpose).where('version', '=', version).where('state', '=', 'retiring').execute();
  },

  async rewrapTenantKey(tx: Tx, k: { tenantId: string; purpose: TenantKeyPurpose; version: number; rootKeyId: string; wrapped: Buffer }, expectedRootKeyId: string): Promise<void> {
    await tx.updateTable('tenant_keys').set({ root_key_id: k.rootKeyId, wrapped_key: k.wrapped })
      .where('tenant_id', '=', k.tenantId).where('purpose', '=', k.purpose).where('version', '=', k.version).where('root_key_id', '=', expectedRootKeyId).execute();
  },

  async patientKey(tx: Tx, tenantId: string, patientId: string, version: number): Promise<{ kekVersion: number; wrapped: Buffer | null } | undefined> {
    const row = await tx.selectFrom('patient_keys').select(['kek_version', 'wrapped_key']).where('tenant_id', '=', tenantId).where('patient_id', '=', patientId).where('version', '=', version).executeTakeFirst();
    return row && { kekVersion: row.kek_version, wrapped: row.wrapped_key };
  },

  /**
   * A patient's wrapped data key with the row of the key-encryption key that wraps it, in one query
   * (the key is opened on every patient read and every image stored or retrieved: one round trip
   * instead of two). `kek` is undefined when that tenant key row is missing.
   */
  async patientKeyWithKek(tx: Tx, tenantId: string, patientId: string, version: number): Promise<{ wrapped: Buffer | null; kek: TenantKeyRow | undefined } | undefined> {
    const row = await tx.selectFrom('patient_keys as p')
      .leftJoin('tenant_keys as k', (join) => join.onRef('k.tenant_id', '=', 'p.tenant_id').on('k.purpose', '=', 'kek').onRef('k.version', '=', 'p.kek_version'))
      .select(['p.wrapped_key as data_key', 'k.tenant_id', 'k.purpose', 'k.version', 'k.root_key_id', 'k.wrapped_key', 'k.state', 'k.created_at', 'k.retired_at'])
      .where('p.tenant_id', '=', tenantId).where('p.patient_id', '=', patientId).where('p.version', '=', version)
      .executeTakeFirst();
    if (!row) return undefined;
    const { tenant_id, purpose, version: kekVersion, root_key_id, wrapped_key, state, created_at, retired_at } = row;
    const kek = tenant_id !== null && purpose !== null && kekVersion !== null && root_key_id !== null && state !== null && created_at !== null
      ? toRow({ tenant_id, purpose, version: kekVersion, root_key_id, wrapped_key, state, created_at, retired_at })
      : undefined;
    return { wrapped: row.data_key, kek };
  },

  async insertPatientKey(tx: Tx, k: { tenantId: string; patientId: string; version: number; kekVersion: number; wrapped: Buffer }): Promise<void> {
    await tx.insertInto('patient_keys').values({ tenant_id: k.tenantId, patient_id: k.patientId, version: k.version, kek_version: k.kekVersion, wrapped_key: k.wrapped }).execute();
  },

  /** A batch of data keys still wrapped by an old key-encryption key, locked for re-wrapping. */
  async patientKeysUnder(tx: Tx, tenantId: string, kekVersion: number, limit: number): Promise<{ patientId: string; version: number; wrapped: Buffer }[]> {
    const rows = await tx.selectFrom('patient_keys').select(['patient_id', 'version', 'wrapped_key'])
      .where('tenant_id', '=', tenantId).where('kek_version', '=', kekVersion).where('wrapped_key', 'is not', null)
      .limit(limit).forUpdate().execute();
    return rows.map((r) => ({ patientId: r.patient_id, version: r.version, wrapped: r.wrapped_key as Buffer }));
  },

  async countPatientKeysUnder(tx: Tx, tenantId: string, kekVersion: number): Promise<number> {
    const row = await tx.selectFrom('patient_keys').select((eb) => eb.fn.countAll<string>().as('n'))
      .where('tenant_id', '=', tenantId).where('kek_version', '=', kekVersion).where('wrapped_key', 'is not', null).executeTakeFirst();
    return Number(row?.n ?? 0);
  },

  async rewrapPatientKey(tx: Tx, k: { tenantId: string; patientId: string; version: number; fromKek: number; toKek: number; wrapped: Buffer }): Promise<void> {
    await tx.updateTable('patient_keys').set({ kek_version: k.toKek, wrapped_key: k.wrapped })
      .where('tenant_id', '=', k.tenantId).where('patient_id', '=', k.patientId).where('version', '=', k.version).where('kek_version', '=', k.fromKek).execute();
  },

  /** Crypto-shredding: the wrapped data key is gone; the row records when. */
  async destroyPatientKeys(tx: Tx, tenantId: string, patientId: string, at: Date): Promise<number> {
    const result = await tx.updateTable('patient_keys').set({ wrapped_key: null, destroyed_at: at })
      .where('tenant_id', '=', tenantId).where('patient_id', '=', patientId).where('wrapped_key', 'is not', null).executeTakeFirst();
    return Number(result.numUpdatedRows);
  },
};
