import type { Tx } from '../unit-of-work.ts';

/** A tenant's de-identification settings as stored; the service validates their shape. */
export interface DeidSettingsRow {
  pixelPolicy: unknown;
  textAllowList: string[];
  safePrivate: string[];
  updatedBy: string | null;
  updatedAt: Date | null;
}

export const deidSettingsRepository = {
  async get(tx: Tx, tenantId: string): Promise<DeidSettingsRow> {
    const row = await tx.selectFrom('deid_settings').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
    if (!row) return { pixelPolicy: {}, textAllowList: [], safePrivate: [], updatedBy: null, updatedAt: null };
    return { pixelPolicy: row.pixel_policy, textAllowList: row.text_allow_list, safePrivate: row.safe_private, updatedBy: row.updated_by, updatedAt: row.updated_at };
  },

  async save(tx: Tx, tenantId: string, settings: { pixelPolicy: unknown; textAllowList: string[]; safePrivate: string[]; updatedBy: string; updatedAt: Date }): Promise<void> {
    const values = {
      pixel_policy: JSON.stringify(settings.pixelPolicy), text_allow_list: settings.textAllowList, safe_private: settings.safePrivate,
      updated_by: settings.updatedBy, updated_at: settings.updatedAt,
    };
    await tx.insertInto('deid_settings').values({ tenant_id: tenantId, ...values }).onConflict((oc) => oc.column('tenant_id').doUpdateSet(values)).execute();
  },
};
