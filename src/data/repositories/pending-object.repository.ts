import type { Tx } from '../unit-of-work.ts';

/**
 * Objects announced before they are written (ING-7). The row is deleted in the same transaction that
 * indexes the object; a row that outlives its upload marks an object to remove.
 */
export const pendingObjectRepository = {
  async announce(tx: Tx, id: string, tenantId: string, at: Date): Promise<void> {
    await tx.insertInto('pending_objects').values({ id, tenant_id: tenantId, created_at: at }).execute();
  },

  async settle(tx: Tx, id: string): Promise<void> {
    await tx.deleteFrom('pending_objects').where('id', '=', id).execute();
  },

  /** Settles several objects in one statement (a STOW-RS batch's index transaction). */
  async settleAll(tx: Tx, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await tx.deleteFrom('pending_objects').where('id', 'in', ids).execute();
  },

  async olderThan(tx: Tx, cutoff: Date, limit: number): Promise<{ id: string; tenantId: string }[]> {
    const rows = await tx.selectFrom('pending_objects').select(['id', 'tenant_id']).where('created_at', '<=', cutoff).orderBy('created_at').limit(limit).execute();
    return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id }));
  },
};
