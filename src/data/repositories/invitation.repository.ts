import type { Tx } from '../unit-of-work.ts';

export interface InvitationRecord {
  id: string;
  tenantId: string;
  userId: string;
  expiresAt: Date;
}

/** One-time enrolment links, stored as keyed token hashes only. */
export const invitationRepository = {
  async create(tx: Tx, invitation: InvitationRecord & { tokenHash: string; createdBy: string | null }): Promise<void> {
    await tx.insertInto('invitations').values({
      id: invitation.id, tenant_id: invitation.tenantId, user_id: invitation.userId,
      token_hash: invitation.tokenHash, expires_at: invitation.expiresAt, created_by: invitation.createdBy,
    }).execute();
  },

  /** The invitation if it is unused, unrevoked and unexpired at `now`. */
  async findUsable(tx: Tx, tokenHash: string, now: Date): Promise<InvitationRecord | undefined> {
    const row = await tx.selectFrom('invitations').select(['id', 'tenant_id', 'user_id', 'expires_at'])
      .where('token_hash', '=', tokenHash).where('used_at', 'is', null).where('revoked_at', 'is', null)
      .where('expires_at', '>', now).executeTakeFirst();
    return row && { id: row.id, tenantId: row.tenant_id, userId: row.user_id, expiresAt: row.expires_at };
  },

  /** Marks it used; false when another request used it first. */
  async markUsed(tx: Tx, id: string, now: Date): Promise<boolean> {
    const result = await tx.updateTable('invitations').set({ used_at: now })
      .where('id', '=', id).where('used_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  async revokeOpenForUser(tx: Tx, userId: string, now: Date): Promise<void> {
    await tx.updateTable('invitations').set({ revoked_at: now })
      .where('user_id', '=', userId).where('used_at', 'is', null).where('revoked_at', 'is', null).execute();
  },
};
