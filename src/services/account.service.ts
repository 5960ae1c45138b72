import { ClarusError } from '../domain/error-catalog.ts';
import { hashPassword, verifyPassword } from '../crypto/password-hashing.ts';
import { passwordProblem } from '../crypto/password-policy.ts';
import { userRepository } from '../data/repositories/user.repository.ts';
import { tenantRepository } from '../data/repositories/tenant.repository.ts';
import { sessionRepository } from '../data/repositories/session.repository.ts';
import { secondFactorRepository } from '../data/repositories/second-factor.repository.ts';
import type { Principal, RequestOrigin, ServiceContext } from './context.ts';
import type { SignInThrottle } from './sign-in-throttle.ts';
import { normaliseEmail } from './sign-in.service.ts';

export interface AccountView {
  stage: Principal['stage'];
  user: { id: string; email: string; displayName: string | null; roles: string[]; tenant: { id: string; slug: string; name: string } };
  session: { idleTimeoutSeconds: number; absoluteExpiresAt: Date; stepUpValidUntil: Date | null };
  mfa: { totp: boolean; passkeys: number; recoveryCodesRemaining: number };
}

/** The signed-in person's own account: who am I, change my password. */
export class AccountService {
  constructor(private readonly ctx: ServiceContext, private readonly throttle: SignInThrottle) {}

  async me(principal: Principal): Promise<AccountView> {
    return this.ctx.uow.read(principal.tenantId, async (tx) => {
      const user = await userRepository.findById(tx, principal.userId);
      const tenant = await tenantRepository.findById(tx, principal.tenantId);
      const session = await sessionRepository.findById(tx, principal.sessionId);
      if (!user || !tenant || !session) throw new ClarusError('CLARUS_ERR_SESSION_EXPIRED');
      const stepUpValidUntil = session.stepUpAt ? new Date(session.stepUpAt.getTime() + this.ctx.settings.stepUpWindow * 1000) : null;
      return {
        stage: principal.stage,
        user: { id: user.id, email: user.email, displayName: user.displayName, roles: user.roles, tenant },
        session: { idleTimeoutSeconds: this.ctx.settings.idleTimeout, absoluteExpiresAt: session.absoluteExpiresAt, stepUpValidUntil },
        mfa: {
          totp: user.totpEnabled,
          passkeys: (await secondFactorRepository.listPasskeys(tx, user.id)).length,
          recoveryCodesRemaining: await secondFactorRepository.countUnusedRecoveryCodes(tx, user.id),
        },
      };
    });
  }

  /** AUTH-4: a password change revokes every other session of the user at once. */
  async changePassword(principal: Principal, currentPassword: string, newPassword: string, origin: RequestOrigin): Promise<void> {
    const user = await this.ctx.uow.read(principal.tenantId, (tx) => userRepository.findById(tx, principal.userId));
    if (!user) throw new ClarusError('CLARUS_ERR_SESSION_EXPIRED');
    // Guessing the current password with a stolen session counts like guessing it at sign-in (AUTH-6).
    const subjects = this.throttle.subjectsFor('email', normaliseEmail(user.email), origin);
    await this.throttle.assertNotLocked(subjects);
    if (!user.passwordHash || !(await verifyPassword(user.passwordHash, currentPassword))) {
      await this.throttle.recordFailure(subjects, { tenantId: principal.tenantId, userId: user.id, ...origin });
      throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'currentPassword', message: 'The current password is not correct.' }]);
    }
    const problem = passwordProblem(newPassword, { email: user.email });
    if (problem) throw new ClarusError('CLARUS_ERR_PASSWORD_WEAK', [{ path: 'newPassword', message: `Password ${problem}.` }]);
    const hash = await hashPassword(newPassword);
    const now = this.ctx.clock();
    await this.ctx.uow.run(principal.tenantId, async (tx) => {
      await userRepository.setPassword(tx, user.id, hash, now);
      await sessionRepository.revokeAllForUser(tx, user.id, 'password-changed', now, principal.sessionId);
    });
    await this.ctx.audit.recordFor(principal, origin, { action: 'auth.password-change', outcome: 'success', resourceType: 'user', resourceId: user.id });
    await this.ctx.securityEvents.record({ kind: 'auth.password-changed', tenantId: principal.tenantId, actorId: user.id, subjectId: user.id, ...origin });
  }
}
