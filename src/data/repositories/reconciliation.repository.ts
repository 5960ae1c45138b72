import type { Insertable, Selectable } from 'kysely';
import type { Tx } from '../unit-of-work.ts';
import type { ReconciliationItemsTable } from '../schema.ts';

export type ReconciliationRow = Selectable<ReconciliationItemsTable>;

/**
 * The reconciliation list (issue 6): unmatched DICOM waiting for a patient. Values arrive sealed;
 * every query names the tenant, and row-level security on `reconciliation_items` is the second wall.
 * `uploadedBy` narrows a listing to one uploader (Technicians see only what they sent, image-access).
 */
export const reconciliationRepository = {
  /** Inserts unless an item with the same SOP Instance UID exists (a concurrent upload); true when inserted. */
  async insert(tx: Tx, row: Insertable<ReconciliationItemsTable>): Promise<boolean> {
    const result = await tx.insertInto('reconciliation_items').values(row).onConflict((oc) => oc.columns(['tenant_id', 'sop_uid_index']).doNothing()).executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  },

  async bySopUid(tx: Tx, tenantId: string, sopUidIndex: Buffer): Promise<ReconciliationRow | undefined> {
    return tx.selectFrom('reconciliation_items').selectAll().where('tenant_id', '=', tenantId).where('sop_uid_index', '=', sopUidIndex).executeTakeFirst();
  },

  async byId(tx: Tx, tenantId: string, id: string, uploadedBy: string | null): Promise<ReconciliationRow | undefined> {
    let query = tx.selectFrom('reconciliation_items').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id);
    if (uploadedBy) query = query.where('uploaded_by', '=', uploadedBy);
    return query.executeTakeFirst();
  },

  /** Newest first. */
  async list(tx: Tx, tenantId: string, uploadedBy: string | null, limit: number, offset: number): Promise<ReconciliationRow[]> {
    let query = tx.selectFrom('reconciliation_items').selectAll().where('tenant_id', '=', tenantId);
    if (uploadedBy) query = query.where('uploaded_by', '=', uploadedBy);
    return query.orderBy('created_at', 'desc').orderBy('id').limit(limit).offset(offset).execute();
  },

  /** Removes an item; false when it was already gone (a concurrent assign or discard won). */
  async remove(tx: Tx, tenantId: string, id: string): Promise<boolean> {
    const result = await tx.deleteFrom('reconciliation_items').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  },
};
