import { ClarusError } from '../domain/error-catalog.ts';
import { generateRecoveryCodes, normaliseRecoveryCode } from '../crypto/opaque-tokens.ts';
import { base32Encode, generateTotpSecret, matchTotp, otpauthUri } from '../crypto/totp.ts';
import { secondFactorRepository } from '../data/repositories/second-factor.repository.ts';
import { userRepository, type UserRecord } from '../data/repositories/user.repository.ts';
import { sessionRepository } from '../data/repositories/session.repository.ts';
import type { Tx } from '../data/unit-of-work.ts';
import type { Principal, RequestOrigin, ServiceContext } from './context.ts';
import type { IssuedTokens, SessionService } from './session.service.ts';
import type { SignInThrottle } from './sign-in-throttle.ts';

const ISSUER = 'Clarus';

/**
 * The second factor (AUTH-2): TOTP enrolment at first sign-in, TOTP codes usable once, hashed
 * one-time recovery codes, and step-up for sensitive actions (AUTH-7). Wrong codes count towards
 * a lockout like wrong passwords, so six digits cannot be brute-forced.
 */
export class SecondFactorService {
  constructor(private readonly ctx: ServiceContext, private readonly sessions: SessionService, private readonly throttle: SignInThrottle) {}

  private sealingContext(user: { tenantId: string; id: string }): string {
    return `totp:${user.tenantId}:${user.id}`;
  }

  private async loadUser(tx: Tx, principal: Principal): Promise<UserRecord> {
    const user = await userRepository.findById(tx, principal.userId);
    if (!user) throw new ClarusError('CLARUS_ERR_SESSION_EXPIRED');
    return user;
  }

  /** Starts TOTP enrolment: a new secret, shown once as a QR code and as text. */
  async beginTotpEnrolment(principal: Principal): Promise<{ secret: string; otpauthUri: string }> {
    if (principal.stage !== 'enrol-totp') throw new ClarusError('CLARUS_ERR_MFA_STAGE');
    const secret = generateTotpSecret();
    const user = await this.ctx.uow.run(principal.tenantId, async (tx) => {
      const found = await this.loadUser(tx, principal);
      await userRepository.setPendingTotp(tx, found.id, this.ctx.secretBox.seal(secret, this.sealingContext(found)));
      return found;
    });
    return { secret: base32Encode(secret), otpauthUri: otpauthUri(secret, ISSUER, user.email) };
  }

  /** Confirms enrolment with a first code; returns the recovery codes (shown once) and full-session tokens. */
  async confirmTotpEnrolment(principal: Principal, code: string, origin: RequestOrigin): Promise<{ recoveryCodes: string[]; tokens: IssuedTokens }> {
    if (principal.stage !== 'enrol-totp') throw new ClarusError('CLARUS_ERR_MFA_STAGE');
    const subjects = this.throttle.subjectsFor('mfa', principal.userId, origin);
    await this.throttle.assertNotLocked(subjects);
    const recoveryCodes = generateRecoveryCodes();
    const result = await this.ctx.uow.run(principal.tenantId, async (tx) => {
      const user = await this.loadUser(tx, principal);
      if (!user.totpPendingSecret) return undefined;
      const secret = this.ctx.secretBox.open(user.totpPendingSecret, this.sealingContext(user));
      const step = matchTotp(secret, code.trim(), this.ctx.clock().getTime());
      if (step === undefined) return undefined;
      await userRepository.enableTotp(tx, user.id, user.totpPendingSecret, step, this.ctx.clock());
      await secondFactorRepository.replaceRecoveryCodes(tx, user.tenantId, user.id, recoveryCodes.map((c) => this.ctx.tokens.hash(normaliseRecoveryCode(c))));
      return this.sessions.promote(tx, principal);
    });
    if (!result) return this.fail(subjects, principal, origin);
    await this.ctx.audit.recordFor(principal, origin, { action: 'auth.enrolment', outcome: 'success', details: { step: 'totp' } });
    return { recoveryCodes, tokens: result };
  }

  /** Checks a TOTP code (each time step once) or a recovery code (each once) inside a transaction. */
  private async checkCode(tx: Tx, user: UserRecord, code: string, method: 'totp' | 'recovery'): Promise<boolean> {
    if (method === 'totp') {
      if (!user.totpSecret) return false;
      const secret = this.ctx.secretBox.open(user.totpSecret, this.sealingContext(user));
      const step = matchTotp(secret, code.trim(), this.ctx.clock().getTime());
      return step !== undefined && (await userRepository.consumeTotpStep(tx, user.id, step));
    }
    return secondFactorRepository.consumeRecoveryCode(tx, user.id, this.ctx.tokens.hash(normaliseRecoveryCode(code)), this.ctx.clock());
  }

  private async fail(subjects: string[], principal: Principal, origin: RequestOrigin): Promise<never> {
    await this.ctx.audit.recordFor(principal, origin, { action: 'auth.second-factor', outcome: 'failure' });
    const locked = await this.throttle.recordFailure(subjects, { tenantId: principal.tenantId, userId: principal.userId, ...origin });
    if (locked) await this.ctx.uow.run(principal.tenantId, (tx) => sessionRepository.revoke(tx, principal.sessionId, 'mfa-lockout', this.ctx.clock()));
    throw new ClarusError(locked ? 'CLARUS_ERR_AUTH_LOCKED' : 'CLARUS_ERR_MFA_FAILED');
  }

  /** Completes a sign-in that is waiting for its second factor. */
  async completeSignIn(principal: Principal, code: string, method: 'totp' | 'recovery', origin: RequestOrigin): Promise<IssuedTokens> {
    if (principal.stage !== 'mfa') throw new ClarusError('CLARUS_ERR_MFA_STAGE');
    const subjects = this.throttle.subjectsFor('mfa', principal.userId, origin);
    await this.throttle.assertNotLocked(subjects);
    const tokens = await this.ctx.uow.run(principal.tenantId, async (tx) => {
      const user = await this.loadUser(tx, principal);
      return (await this.checkCode(tx, user, code, method)) ? this.sessions.promote(tx, principal) : undefined;
    });
    if (!tokens) return this.fail(subjects, principal, origin);
    if (method === 'recovery') await this.recordRecoveryUse(principal, origin);
    await this.ctx.audit.recordFor(principal, origin, { action: 'auth.second-factor', outcome: 'success', details: { method } });
    return tokens;
  }

  /** AUTH-7: proves a fresh second factor on a full session. Six digits is TOTP, anything else a recovery code. */
  async stepUp(principal: Principal, code: string, origin: RequestOrigin): Promise<Date> {
    const method = /^\s*\d{6}\s*$/.test(code) ? 'totp' : 'recovery';
    const subjects = this.throttle.subjectsFor('mfa', principal.userId, origin);
    await this.throttle.assertNotLocked(subjects);
    const now = this.ctx.clock();
    const ok = await this.ctx.uow.run(principal.tenantId, async (tx) => {
      const user = await this.loadUser(tx, principal);
      if (!(await this.checkCode(tx, user, code, method))) return false;
      await sessionRepository.setStepUp(tx, principal.sessionId, now);
      return true;
    });
    if (!ok) return this.fail(subjects, principal, origin);
    if (method === 'recovery') await this.recordRecoveryUse(principal, origin);
    await this.ctx.audit.recordFor(principal, origin, { action: 'auth.step-up', outcome: 'success', details: { method } });
    return new Date(now.getTime() + this.ctx.settings.stepUpWindow * 1000);
  }

  private recordRecoveryUse(principal: Principal, origin: RequestOrigin): Promise<void> {
    return this.ctx.securityEvents.record({ kind: 'auth.recovery-code-used', tenantId: principal.tenantId, actorId: principal.userId, subjectId: principal.userId, ...origin });
  }

  /** New recovery codes replace all old ones (step-up is enforced by the route). */
  async regenerateRecoveryCodes(principal: Principal): Promise<string[]> {
    const codes = generateRecoveryCodes();
    await this.ctx.uow.run(principal.tenantId, (tx) =>
      secondFactorRepository.replaceRecoveryCodes(tx, principal.tenantId, principal.userId, codes.map((c) => this.ctx.tokens.hash(normaliseRecoveryCode(c)))));
    return codes;
  }
}
