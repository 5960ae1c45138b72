import { randomUUID } from 'node:crypto';
import { ClarusError } from '../domain/error-catalog.ts';
import { randomToken } from '../crypto/opaque-tokens.ts';
import { sessionRepository, type SessionRecord } from '../data/repositories/session.repository.ts';
import { userRepository } from '../data/repositories/user.repository.ts';
import type { Tx } from '../data/unit-of-work.ts';
import type { SessionStage } from '../data/schema.ts';
import type { Principal, RequestOrigin, ServiceContext } from './context.ts';

/** Tokens handed to the HTTP layer, which puts them in `__Host-` cookies and nowhere else. */
export interface IssuedTokens {
  accessToken: string;
  /** Only full sessions get a refresh token; a sign-in half-way through MFA does not. */
  refreshToken?: string;
}

/** A half-finished sign-in (password done, second factor not yet) lasts at most 10 minutes. */
const PENDING_STAGE_SECONDS = 600;

/**
 * Server-side sessions (AUTH-3, AUTH-4): every request is checked against the session row, so that
 * idle and absolute timeouts, sign-out, password and role changes take effect at once.
 */
export class SessionService {
  constructor(private readonly ctx: ServiceContext) {}

  async create(tx: Tx, tenantId: string, userId: string, stage: SessionStage, origin: RequestOrigin): Promise<IssuedTokens> {
    const now = this.ctx.clock();
    const id = randomUUID();
    await sessionRepository.create(tx, {
      id, tenantId, userId, stage, now,
      absoluteExpiresAt: new Date(now.getTime() + this.ctx.settings.absoluteTimeout * 1000),
      stageExpiresAt: stage === 'full' ? null : new Date(now.getTime() + PENDING_STAGE_SECONDS * 1000),
      sourceAddress: origin.sourceAddress,
    });
    return this.issue(tx, { tenantId, userId, sessionId: id }, stage);
  }

  /** Moves a pending session to full after a second factor, and gives it a refresh token. */
  async promote(tx: Tx, principal: Principal): Promise<IssuedTokens> {
    await sessionRepository.promote(tx, principal.sessionId, 'full', this.ctx.clock(), true);
    return this.issue(tx, principal, 'full');
  }

  private async issue(tx: Tx, who: { tenantId: string; userId: string; sessionId: string }, stage: SessionStage): Promise<IssuedTokens> {
    const accessToken = await this.ctx.signer.sign({ sub: who.userId, tid: who.tenantId, sid: who.sessionId }, this.ctx.clock().getTime());
    if (stage !== 'full') return { accessToken };
    // The refresh token names its tenant and session so that it can be found under row-level security.
    const refreshToken = `${who.tenantId}.${who.sessionId}.${randomToken()}`;
    await sessionRepository.addRefreshToken(tx, who.tenantId, who.sessionId, this.ctx.tokens.hash(refreshToken));
    return { accessToken, refreshToken };
  }

  /** Why a session can no longer be used at `now`, or undefined when it can. */
  private endReason(session: SessionRecord, now: Date): string | undefined {
    if (session.revokedAt) return 'revoked';
    if (session.absoluteExpiresAt <= now) return 'absolute-timeout';
    if (now.getTime() - session.lastSeenAt.getTime() > this.ctx.settings.idleTimeout * 1000) return 'idle-timeout';
    if (session.stageExpiresAt && session.stageExpiresAt <= now) return 'pending-timeout';
    return undefined;
  }

  /** Checks an access token and its session; answers the principal or throws a 401 from the catalog. */
  async authenticate(accessToken: string): Promise<Principal> {
    const now = this.ctx.clock();
    const check = await this.ctx.signer.verify(accessToken, now.getTime());
    if (!check.ok) throw new ClarusError(check.reason === 'expired' ? 'CLARUS_ERR_TOKEN_EXPIRED' : 'CLARUS_ERR_UNAUTHENTICATED');
    const { tid, sid, sub } = check.claims;
    const outcome = await this.ctx.uow.run(tid, async (tx) => {
      const session = await sessionRepository.findById(tx, sid);
      if (!session || session.userId !== sub) return undefined;
      const user = await userRepository.findById(tx, sub);
      const reason = this.endReason(session, now) ?? (user && user.status !== 'disabled' ? undefined : 'user-disabled');
      if (reason || !user) {
        if (!session.revokedAt) await sessionRepository.revoke(tx, sid, reason ?? 'user-missing', now);
        return undefined;
      }
      // Idle time is measured from real requests; writing at most every few seconds keeps it cheap.
      const touchEveryMs = Math.min(15_000, (this.ctx.settings.idleTimeout * 1000) / 4);
      if (now.getTime() - session.lastSeenAt.getTime() >= touchEveryMs) await sessionRepository.touch(tx, sid, now);
      const principal: Principal = { kind: 'user', tenantId: tid, userId: sub, sessionId: sid, stage: session.stage, roles: user.roles, stepUpAt: session.stepUpAt, patientRestriction: null };
      return principal;
    });
    if (!outcome) throw new ClarusError('CLARUS_ERR_SESSION_EXPIRED');
    return outcome;
  }

  /**
   * Rotates the refresh token (AUTH-3). A token used twice means it was copied: the whole family
   * (the session) is revoked and a High security event is recorded.
   */
  async refresh(refreshToken: string, origin: RequestOrigin): Promise<IssuedTokens> {
    const [tenantId, sessionId] = refreshToken.split('.');
    if (!tenantId || !sessionId || !/^[0-9a-f-]{36}$/.test(tenantId)) throw new ClarusError('CLARUS_ERR_UNAUTHENTICATED');
    const now = this.ctx.clock();
    const result = await this.ctx.uow.run(tenantId, async (tx) => {
      const stored = await sessionRepository.findRefreshToken(tx, this.ctx.tokens.hash(refreshToken));
      if (!stored || stored.sessionId !== sessionId) return { kind: 'unknown' as const };
      const session = await sessionRepository.findById(tx, sessionId);
      if (!session || session.stage !== 'full') return { kind: 'unknown' as const };
      if (!(await sessionRepository.useRefreshToken(tx, stored.id, now))) {
        await sessionRepository.revoke(tx, sessionId, 'refresh-token-reuse', now);
        return { kind: 'reuse' as const, userId: session.userId };
      }
      const user = await userRepository.findById(tx, session.userId);
      const reason = this.endReason(session, now) ?? (user?.status === 'active' ? undefined : 'user-disabled');
      if (reason) {
        await sessionRepository.revoke(tx, sessionId, reason, now);
        return { kind: 'ended' as const };
      }
      return { kind: 'ok' as const, tokens: await this.issue(tx, { tenantId, userId: session.userId, sessionId }, 'full') };
    });
    if (result.kind === 'reuse') {
      await this.ctx.audit.record({ tenantId, kind: 'user', id: result.userId }, origin, { action: 'auth.refresh-token-reuse', outcome: 'denied', resourceType: 'session', resourceId: sessionId });
      await this.ctx.securityEvents.record({ kind: 'auth.refresh-token-reuse', tenantId, subjectId: result.userId, details: { sessionId }, ...origin });
      throw new ClarusError('CLARUS_ERR_SESSION_EXPIRED');
    }
    if (result.kind === 'ended') throw new ClarusError('CLARUS_ERR_SESSION_EXPIRED');
    if (result.kind === 'unknown') throw new ClarusError('CLARUS_ERR_UNAUTHENTICATED');
    return result.tokens;
  }

  async signOut(principal: Principal, origin: RequestOrigin): Promise<void> {
    await this.ctx.uow.run(principal.tenantId, (tx) => sessionRepository.revoke(tx, principal.sessionId, 'sign-out', this.ctx.clock()));
    await this.ctx.audit.recordFor(principal, origin, { action: 'auth.sign-out', outcome: 'success', resourceType: 'session', resourceId: principal.sessionId });
  }

  async signOutEverywhere(principal: Principal, origin: RequestOrigin): Promise<void> {
    const count = await this.ctx.uow.run(principal.tenantId, (tx) =>
      sessionRepository.revokeAllForUser(tx, principal.userId, 'sign-out-everywhere', this.ctx.clock()));
    await this.ctx.audit.recordFor(principal, origin, { action: 'auth.sign-out-everywhere', outcome: 'success', details: { sessions: count } });
    await this.ctx.securityEvents.record({ kind: 'auth.sessions-revoked', tenantId: principal.tenantId, actorId: principal.userId, subjectId: principal.userId, details: { count }, ...origin });
  }

  /** True when the session proved a second factor within the step-up window (AUTH-7). */
  hasFreshStepUp(principal: Principal): boolean {
    return principal.stepUpAt !== null && this.ctx.clock().getTime() - principal.stepUpAt.getTime() <= this.ctx.settings.stepUpWindow * 1000;
  }
}
