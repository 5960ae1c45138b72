import { ClarusError } from '../domain/error-catalog.ts';
import { hashPassword, verifyAgainstDummy, verifyPassword } from '../crypto/password-hashing.ts';
import { passwordProblem } from '../crypto/password-policy.ts';
import { invitationRepository } from '../data/repositories/invitation.repository.ts';
import { userRepository } from '../data/repositories/user.repository.ts';
import { tenantRepository } from '../data/repositories/tenant.repository.ts';
import { secondFactorRepository } from '../data/repositories/second-factor.repository.ts';
import type { RequestOrigin, ServiceContext } from './context.ts';
import type { IssuedTokens, SessionService } from './session.service.ts';
import type { SignInThrottle } from './sign-in-throttle.ts';

export type SecondFactorMethod = 'totp' | 'recovery' | 'webauthn';

export interface SignInStep {
  next: 'mfa' | 'enrol-totp';
  methods: SecondFactorMethod[];
  tokens: IssuedTokens;
}

/** Canonical form of an e-mail address for lookup: trimmed, lower-cased. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Enrolment tokens carry their tenant id so they can be looked up under row-level security. */
function splitTenantToken(token: string): string | undefined {
  const tenantId = token.split('.')[0];
  return tenantId && /^[0-9a-f-]{36}$/.test(tenantId) ? tenantId : undefined;
}

/** The first factor: password sign-in and enrolment by one-time link (AUTH-1, AUTH-6). */
export class SignInService {
  constructor(private readonly ctx: ServiceContext, private readonly sessions: SessionService, private readonly throttle: SignInThrottle) {}

  async signIn(emailInput: string, password: string, origin: RequestOrigin): Promise<SignInStep> {
    const email = normaliseEmail(emailInput);
    const subjects = this.throttle.subjectsFor('email', email, origin);
    await this.throttle.assertNotLocked(subjects);
    const entry = await this.ctx.uow.run(null, (tx) => userRepository.findDirectoryEntry(tx, email));
    // Both branches run the same two transactions, so that timing does not tell the cases apart.
    const user = await this.ctx.uow.run(entry?.tenantId ?? null, async (tx) => (entry ? userRepository.findById(tx, entry.userId) : undefined));
    // Same work, same answer, for an unknown account, a disabled one, or one without a password yet.
    const valid = user?.passwordHash && user.status !== 'disabled'
      ? await verifyPassword(user.passwordHash, password)
      : await verifyAgainstDummy(password);
    if (!valid || !user) {
      await this.throttle.recordFailure(subjects, { tenantId: entry?.tenantId ?? null, userId: user?.id ?? null, ...origin });
      // AUD-1 every sign-in attempt; an unknown e-mail is recorded without it (no identifiers in the log).
      await this.ctx.audit.record({ tenantId: entry?.tenantId ?? null, kind: user ? 'user' : 'anonymous', id: user?.id ?? null }, origin, { action: 'auth.sign-in', outcome: 'failure', details: { factor: 'password' } });
      throw new ClarusError('CLARUS_ERR_AUTH_FAILED');
    }
    await this.ctx.audit.record({ tenantId: user.tenantId, kind: 'user', id: user.id }, origin, { action: 'auth.sign-in', outcome: 'success', details: { factor: 'password' } });
    await this.throttle.clear(subjects[0] as string);
    return this.ctx.uow.run(user.tenantId, async (tx) => {
      const next = user.totpEnabled ? 'mfa' : 'enrol-totp';
      const tokens = await this.sessions.create(tx, user.tenantId, user.id, next, origin);
      const passkeys = await secondFactorRepository.listPasskeys(tx, user.id);
      const methods: SecondFactorMethod[] = next === 'mfa' ? ['totp', 'recovery', ...(passkeys.length > 0 ? ['webauthn' as const] : [])] : [];
      return { next, methods, tokens };
    });
  }

  /** What an enrolment link is for (shown before the person chooses a password). */
  async inspectEnrolment(token: string): Promise<{ email: string; tenantName: string; expiresAt: Date }> {
    const tenantId = splitTenantToken(token);
    if (!tenantId) throw new ClarusError('CLARUS_ERR_ENROLMENT_INVALID');
    const found = await this.ctx.uow.run(tenantId, async (tx) => {
      const invitation = await invitationRepository.findUsable(tx, this.ctx.tokens.hash(token), this.ctx.clock());
      const user = invitation && (await userRepository.findById(tx, invitation.userId));
      const tenant = await tenantRepository.findById(tx, tenantId);
      return invitation && user && tenant && user.status !== 'disabled' ? { email: user.email, tenantName: tenant.name, expiresAt: invitation.expiresAt } : undefined;
    });
    if (!found) throw new ClarusError('CLARUS_ERR_ENROLMENT_INVALID');
    return found;
  }

  /** Sets the password from a one-time link and starts a session that must enrol a second factor. */
  async completeEnrolment(token: string, password: string, origin: RequestOrigin): Promise<SignInStep> {
    const { email } = await this.inspectEnrolment(token);
    const problem = passwordProblem(password, { email });
    if (problem) throw new ClarusError('CLARUS_ERR_PASSWORD_WEAK', [{ path: 'password', message: `Password ${problem}.` }]);
    const passwordHash = await hashPassword(password);
    const tenantId = splitTenantToken(token) as string;
    const now = this.ctx.clock();
    const step = await this.ctx.uow.run(tenantId, async (tx) => {
      const invitation = await invitationRepository.findUsable(tx, this.ctx.tokens.hash(token), now);
      if (!invitation || !(await invitationRepository.markUsed(tx, invitation.id, now))) return undefined;
      const user = await userRepository.findById(tx, invitation.userId);
      if (!user) return undefined;
      await userRepository.setPassword(tx, user.id, passwordHash, now);
      const next = user.totpEnabled ? 'mfa' as const : 'enrol-totp' as const;
      const tokens = await this.sessions.create(tx, tenantId, user.id, next, origin);
      return { next, methods: next === 'mfa' ? ['totp' as const, 'recovery' as const] : [], tokens, userId: user.id };
    });
    if (!step) throw new ClarusError('CLARUS_ERR_ENROLMENT_INVALID');
    await this.ctx.audit.record({ tenantId, kind: 'user', id: step.userId }, origin, { action: 'auth.enrolment', outcome: 'success', details: { step: 'password' } });
    return { next: step.next, methods: step.methods, tokens: step.tokens };
  }
}
