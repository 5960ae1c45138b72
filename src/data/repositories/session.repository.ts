import type { Tx } from '../unit-of-work.ts';
import type { SessionStage } from '../schema.ts';

export interface SessionRecord {
  id: string;
  tenantId: string;
  userId: string;
  stage: SessionStage;
  lastSeenAt: Date;
  absoluteExpiresAt: Date;
  stageExpiresAt: Date | null;
  stepUpAt: Date | null;
  revokedAt: Date | null;
  webauthnChallenge: string | null;
  webauthnChallengeExpiresAt: Date | null;
}

const columns = ['id', 'tenant_id', 'user_id', 'stage', 'last_seen_at', 'absolute_expires_at', 'stage_expires_at',
  'step_up_at', 'revoked_at', 'webauthn_challenge', 'webauthn_challenge_expires_at'] as const;

/** Server-side sessions (AUTH-4) and their refresh-token family (AUTH-3). */
export const sessionRepository = {
  async create(tx: Tx, s: { id: string; tenantId: string; userId: string; stage: SessionStage; now: Date; absoluteExpiresAt: Date; stageExpiresAt: Date | null; sourceAddress: string | null }): Promise<void> {
    await tx.insertInto('sessions').values({
      id: s.id, tenant_id: s.tenantId, user_id: s.userId, stage: s.stage, last_seen_at: s.now,
      absolute_expires_at: s.absoluteExpiresAt, stage_expires_at: s.stageExpiresAt, source_address: s.sourceAddress,
    }).execute();
  },

  async findById(tx: Tx, id: string): Promise<SessionRecord | undefined> {
    const r = await tx.selectFrom('sessions').select(columns).where('id', '=', id).executeTakeFirst();
    return r && {
      id: r.id, tenantId: r.tenant_id, userId: r.user_id, stage: r.stage, lastSeenAt: r.last_seen_at,
      absoluteExpiresAt: r.absolute_expires_at, stageExpiresAt: r.stage_expires_at, stepUpAt: r.step_up_at,
      revokedAt: r.revoked_at, webauthnChallenge: r.webauthn_challenge, webauthnChallengeExpiresAt: r.webauthn_challenge_expires_at,
    };
  },

  async touch(tx: Tx, id: string, now: Date): Promise<void> {
    await tx.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
  },

  async promote(tx: Tx, id: string, stage: SessionStage, now: Date, stepUp: boolean): Promise<void> {
    await tx.updateTable('sessions')
      .set({ stage, stage_expires_at: null, last_seen_at: now, ...(stepUp ? { step_up_at: now } : {}) })
      .where('id', '=', id).execute();
  },

  async setStepUp(tx: Tx, id: string, now: Date): Promise<void> {
    await tx.updateTable('sessions').set({ step_up_at: now }).where('id', '=', id).execute();
  },

  async setChallenge(tx: Tx, id: string, challenge: string | null, expiresAt: Date | null): Promise<void> {
    await tx.updateTable('sessions').set({ webauthn_challenge: challenge, webauthn_challenge_expires_at: expiresAt }).where('id', '=', id).execute();
  },

  async revoke(tx: Tx, id: string, reason: string, now: Date): Promise<void> {
    await tx.updateTable('sessions').set({ revoked_at: now, revoked_reason: reason })
      .where('id', '=', id).where('revoked_at', 'is', null).execute();
  },

  /** Revokes every open session of a user, except one when given; returns how many. */
  async revokeAllForUser(tx: Tx, userId: string, reason: string, now: Date, except?: string): Promise<number> {
    let query = tx.updateTable('sessions').set({ revoked_at: now, revoked_reason: reason })
      .where('user_id', '=', userId).where('revoked_at', 'is', null);
    if (except) query = query.where('id', '!=', except);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows);
  },

  async addRefreshToken(tx: Tx, tenantId: string, sessionId: string, tokenHash: string): Promise<void> {
    await tx.insertInto('refresh_tokens').values({ tenant_id: tenantId, session_id: sessionId, token_hash: tokenHash }).execute();
  },

  async findRefreshToken(tx: Tx, tokenHash: string): Promise<{ id: string; sessionId: string; usedAt: Date | null } | undefined> {
    const r = await tx.selectFrom('refresh_tokens').select(['id', 'session_id', 'used_at']).where('token_hash', '=', tokenHash).executeTakeFirst();
    return r && { id: r.id, sessionId: r.session_id, usedAt: r.used_at };
  },

  /** Marks a refresh token used; false when it already was (a reuse, or a lost race). */
  async useRefreshToken(tx: Tx, id: string, now: Date): Promise<boolean> {
    const result = await tx.updateTable('refresh_tokens').set({ used_at: now }).where('id', '=', id).where('used_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },
};
