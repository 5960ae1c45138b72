import { sql } from 'kysely';
import type { Tx } from '../unit-of-work.ts';

export interface PasskeyRecord {
  id: string;
  credentialId: string;
  publicKey: Buffer;
  counter: number;
  transports: string[];
  name: string;
  createdAt: Date;
}

/** Recovery codes (hashed, one use each) and WebAuthn credentials of users (AUTH-2). */
export const secondFactorRepository = {
  async replaceRecoveryCodes(tx: Tx, tenantId: string, userId: string, codeHashes: string[]): Promise<void> {
    await tx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    await tx.insertInto('recovery_codes')
      .values(codeHashes.map((code_hash) => ({ tenant_id: tenantId, user_id: userId, code_hash })))
      .execute();
  },

  /** Consumes a matching unused code; false when none matches. */
  async consumeRecoveryCode(tx: Tx, userId: string, codeHash: string, now: Date): Promise<boolean> {
    const result = await tx.updateTable('recovery_codes').set({ used_at: now })
      .where('user_id', '=', userId).where('code_hash', '=', codeHash).where('used_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows) >= 1;
  },

  async countUnusedRecoveryCodes(tx: Tx, userId: string): Promise<number> {
    const row = await tx.selectFrom('recovery_codes').select(sql<number>`count(*)::int`.as('n'))
      .where('user_id', '=', userId).where('used_at', 'is', null).executeTakeFirst();
    return row?.n ?? 0;
  },

  async addPasskey(tx: Tx, p: { tenantId: string; userId: string; credentialId: string; publicKey: Buffer; counter: number; transports: string[]; name: string }): Promise<string> {
    const row = await tx.insertInto('webauthn_credentials').values({
      tenant_id: p.tenantId, user_id: p.userId, credential_id: p.credentialId, public_key: p.publicKey,
      counter: p.counter, transports: p.transports, name: p.name,
    }).returning('id').executeTakeFirstOrThrow();
    return row.id;
  },

  async listPasskeys(tx: Tx, userId: string): Promise<PasskeyRecord[]> {
    const rows = await tx.selectFrom('webauthn_credentials')
      .select(['id', 'credential_id', 'public_key', 'counter', 'transports', 'name', 'created_at'])
      .where('user_id', '=', userId).orderBy('created_at').execute();
    return rows.map((r) => ({
      id: r.id, credentialId: r.credential_id, publicKey: r.public_key, counter: Number(r.counter),
      transports: r.transports, name: r.name, createdAt: r.created_at,
    }));
  },

  async updatePasskeyCounter(tx: Tx, id: string, counter: number): Promise<void> {
    await tx.updateTable('webauthn_credentials').set({ counter }).where('id', '=', id).execute();
  },

  async deletePasskey(tx: Tx, userId: string, id: string): Promise<boolean> {
    const result = await tx.deleteFrom('webauthn_credentials').where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  },
};
