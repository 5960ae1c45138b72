import type { Tx } from '../unit-of-work.ts';

export interface ServiceAccountRecord {
  id: string;
  name: string;
  role: string;
  patientIds: string[] | null;
  createdAt: Date;
}

export interface ApiKeyRecord {
  id: string;
  serviceAccountId: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

/** Service accounts and their API keys (ROLE-4); keys are stored as keyed hashes only. */
export const serviceAccountRepository = {
  async create(tx: Tx, tenantId: string, a: { id: string; name: string; role: string; patientIds: string[] | null; createdBy: string | null }): Promise<boolean> {
    const result = await tx.insertInto('service_accounts')
      .values({ id: a.id, tenant_id: tenantId, name: a.name, role: a.role, patient_ids: a.patientIds, created_by: a.createdBy })
      .onConflict((oc) => oc.columns(['tenant_id', 'name']).doNothing()).executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  },

  async addKey(tx: Tx, tenantId: string, k: { id: string; serviceAccountId: string; keyHash: string; expiresAt: Date }): Promise<void> {
    await tx.insertInto('api_keys').values({ id: k.id, tenant_id: tenantId, service_account_id: k.serviceAccountId, key_hash: k.keyHash, expires_at: k.expiresAt }).execute();
  },

  async list(tx: Tx): Promise<(ServiceAccountRecord & { keys: ApiKeyRecord[] })[]> {
    const accounts = await tx.selectFrom('service_accounts').select(['id', 'name', 'role', 'patient_ids', 'created_at']).orderBy('name').execute();
    const keys = await tx.selectFrom('api_keys').select(['id', 'service_account_id', 'created_at', 'expires_at', 'revoked_at', 'last_used_at']).orderBy('created_at').execute();
    return accounts.map((a) => ({
      id: a.id, name: a.name, role: a.role, patientIds: a.patient_ids, createdAt: a.created_at,
      keys: keys.filter((k) => k.service_account_id === a.id).map((k) => ({
        id: k.id, serviceAccountId: k.service_account_id, createdAt: k.created_at, expiresAt: k.expires_at, revokedAt: k.revoked_at, lastUsedAt: k.last_used_at,
      })),
    }));
  },

  /** The key and its account when the key is unrevoked and unexpired at `now`. */
  async findUsableKey(tx: Tx, keyHash: string, now: Date): Promise<{ keyId: string; account: ServiceAccountRecord; lastUsedAt: Date | null } | undefined> {
    const row = await tx.selectFrom('api_keys').innerJoin('service_accounts', 'service_accounts.id', 'api_keys.service_account_id')
      .select(['api_keys.id as key_id', 'api_keys.last_used_at', 'service_accounts.id', 'service_accounts.name', 'service_accounts.role', 'service_accounts.patient_ids', 'service_accounts.created_at'])
      .where('api_keys.key_hash', '=', keyHash).where('api_keys.revoked_at', 'is', null).where('api_keys.expires_at', '>', now).executeTakeFirst();
    return row && { keyId: row.key_id, lastUsedAt: row.last_used_at, account: { id: row.id, name: row.name, role: row.role, patientIds: row.patient_ids, createdAt: row.created_at } };
  },

  async touchKey(tx: Tx, keyId: string, now: Date): Promise<void> {
    await tx.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', keyId).execute();
  },

  async revokeKey(tx: Tx, keyId: string, now: Date): Promise<boolean> {
    const result = await tx.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', keyId).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },
};
