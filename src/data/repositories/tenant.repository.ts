import type { Tx } from '../unit-of-work.ts';

export interface TenantRecord {
  id: string;
  slug: string;
  name: string;
}

/** Per-tenant settings of patient handling. */
export interface TenantSettings {
  /** MRN format, a regular expression checked on every create and update. */
  mrnPattern: string;
  cliniciansManageCareTeam: boolean;
  breakGlassMinutes: number;
}

/** Tenants are a global table: the list of organisations, holding no PHI. */
export const tenantRepository = {
  async create(tx: Tx, tenant: TenantRecord): Promise<void> {
    await tx.insertInto('tenants').values(tenant).execute();
  },
  async findBySlug(tx: Tx, slug: string): Promise<TenantRecord | undefined> {
    return tx.selectFrom('tenants').select(['id', 'slug', 'name']).where('slug', '=', slug).executeTakeFirst();
  },
  async findById(tx: Tx, id: string): Promise<TenantRecord | undefined> {
    return tx.selectFrom('tenants').select(['id', 'slug', 'name']).where('id', '=', id).executeTakeFirst();
  },
  async list(tx: Tx): Promise<TenantRecord[]> {
    return tx.selectFrom('tenants').select(['id', 'slug', 'name']).orderBy('slug').execute();
  },
  async settings(tx: Tx, id: string): Promise<TenantSettings | undefined> {
    const row = await tx.selectFrom('tenants').select(['mrn_pattern', 'clinicians_manage_care_team', 'break_glass_minutes']).where('id', '=', id).executeTakeFirst();
    return row && { mrnPattern: row.mrn_pattern, cliniciansManageCareTeam: row.clinicians_manage_care_team, breakGlassMinutes: row.break_glass_minutes };
  },
  async updateSettings(tx: Tx, id: string, s: TenantSettings): Promise<void> {
    await tx.updateTable('tenants').set({ mrn_pattern: s.mrnPattern, clinicians_manage_care_team: s.cliniciansManageCareTeam, break_glass_minutes: s.breakGlassMinutes }).where('id', '=', id).execute();
  },
};
