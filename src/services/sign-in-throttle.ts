import { ClarusError } from '../domain/error-catalog.ts';
import { loginThrottleRepository } from '../data/repositories/login-throttle.repository.ts';
import type { Tx } from '../data/unit-of-work.ts';
import type { RequestOrigin, ServiceContext } from './context.ts';

/**
 * AUTH-6: failures are counted per account (by keyed hash of the e-mail, whether or not the account
 * exists, so a lockout reveals nothing) and per source address. Reaching the limit within the window
 * locks that subject for the lockout period and records a Medium security event.
 */
export class SignInThrottle {
  constructor(private readonly ctx: ServiceContext) {}

  subjectsFor(kind: 'email' | 'mfa', key: string, origin: RequestOrigin): string[] {
    const subjects = [this.ctx.throttleKeys.hash(`${kind}:${key}`)];
    if (origin.sourceAddress) subjects.push(this.ctx.throttleKeys.hash(`address:${origin.sourceAddress}`));
    return subjects;
  }

  /** Only the source address (API keys name no account). */
  addressSubjects(origin: RequestOrigin): string[] {
    return origin.sourceAddress ? [this.ctx.throttleKeys.hash(`address:${origin.sourceAddress}`)] : [];
  }

  async assertNotLocked(subjects: string[]): Promise<void> {
    await this.ctx.uow.run(null, (tx) => this.assertNotLockedIn(tx, subjects));
  }

  /**
   * The same check inside the caller's transaction, whatever its tenant: lockouts are not tenant rows
   * (no row-level security), so an API-key request checks its address and its key in one transaction.
   */
  async assertNotLockedIn(tx: Tx, subjects: string[]): Promise<void> {
    const until = await loginThrottleRepository.lockedUntil(tx, subjects, this.ctx.clock());
    if (until) throw new ClarusError('CLARUS_ERR_AUTH_LOCKED');
  }

  /**
   * Counts a failure for each subject; returns true when one of them has just been locked. The first
   * subject is an account unless `addressOnly` (then every subject is an address).
   */
  async recordFailure(subjects: string[], event: { tenantId: string | null; userId: string | null } & RequestOrigin, addressOnly = false): Promise<boolean> {
    const { maxFailures, failureWindow, lockout } = this.ctx.settings;
    const now = this.ctx.clock();
    const locked = await this.ctx.uow.run(null, async (tx) => {
      const newlyLocked: number[] = [];
      for (const [index, subject] of subjects.entries()) {
        const count = await loginThrottleRepository.recordFailure(tx, subject, now, new Date(now.getTime() - failureWindow * 1000));
        if (count >= maxFailures) {
          await loginThrottleRepository.lock(tx, subject, new Date(now.getTime() + lockout * 1000));
          newlyLocked.push(index);
        }
      }
      return newlyLocked;
    });
    for (const index of locked) {
      const account = index === 0 && !addressOnly;
      await this.ctx.securityEvents.record({
        kind: account ? 'auth.lockout' : 'auth.address-throttled',
        tenantId: account ? event.tenantId : null,
        subjectId: account ? event.userId : null,
        sourceAddress: event.sourceAddress,
        requestId: event.requestId,
        details: { failures: maxFailures, windowSeconds: failureWindow, lockoutSeconds: lockout },
      });
    }
    return locked.length > 0;
  }

  async clear(subject: string): Promise<void> {
    await this.ctx.uow.run(null, (tx) => loginThrottleRepository.clearFailures(tx, subject));
  }
}
