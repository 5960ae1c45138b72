import type { Tx } from '../unit-of-work.ts';

export interface TenantRecord {
  id: string;
  slug: string;
  name: string;
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
};
