import { randomUUID } from 'node:crypto';
import { ClarusError } from '../domain/error-catalog.ts';
import type { Role } from '../domain/roles.ts';
import { userRepository, type UserRecord } from '../data/repositories/user.repository.ts';
import { sessionRepository } from '../data/repositories/session.repository.ts';
import { secondFactorRepository } from '../data/repositories/second-factor.repository.ts';
import type { Tx } from '../data/unit-of-work.ts';
import type { Principal, RequestOrigin, ServiceContext } from './context.ts';
import { issueEnrolmentLink, type EnrolmentLink } from './invitation-links.ts';
import { normaliseEmail } from './sign-in.service.ts';

export interface UserSummary {
  id: string;
  email: string;
  displayName: string | null;
  roles: string[];
  status: UserRecord['status'];
  mfaEnrolled: boolean;
  createdAt: Date;
}

export function summariseUser(user: UserRecord): UserSummary {
  return { id: user.id, email: user.email, displayName: user.displayName, roles: user.roles, status: user.status, mfaEnrolled: user.totpEnabled, createdAt: user.createdAt };
}

/** User administration within one tenant (Administrators; routes enforce the permission and step-up). */
export class UserAdminService {
  constructor(private readonly ctx: ServiceContext) {}

  list(principal: Principal): Promise<UserSummary[]> {
    return this.ctx.uow.read(principal.tenantId, async (tx) => (await userRepository.list(tx)).map(summariseUser));
  }

  /** Creates an invited user in a tenant and its enrolment link; used by the API and the CLI. */
  async invite(tx: Tx, tenantId: string, input: { email: string; displayName?: string | undefined; roles: Role[] }, createdBy: string | null): Promise<{ userId: string; link: EnrolmentLink }> {
    const userId = randomUUID();
    const created = await userRepository.create(tx, { id: userId, tenantId, email: normaliseEmail(input.email), displayName: input.displayName ?? null, roles: [...new Set(input.roles)] });
    if (!created) throw new ClarusError('CLARUS_ERR_EMAIL_UNAVAILABLE');
    return { userId, link: await issueEnrolmentLink(this.ctx, tx, tenantId, userId, createdBy) };
  }

  inviteAs(principal: Principal, input: { email: string; displayName?: string | undefined; roles: Role[] }, origin: RequestOrigin): Promise<{ userId: string; link: EnrolmentLink }> {
    return this.ctx.uow.run(principal.tenantId, async (tx) => {
      const invited = await this.invite(tx, principal.tenantId, input, principal.userId);
      await this.ctx.audit.recordFor(principal, origin, { action: 'user.invite', outcome: 'success', resourceType: 'user', resourceId: invited.userId, details: { roles: input.roles.join(',') } });
      return invited;
    });
  }

  private async change(principal: Principal, userId: string, apply: (tx: Tx, user: UserRecord) => Promise<void>): Promise<UserSummary> {
    return this.ctx.uow.run(principal.tenantId, async (tx) => {
      const user = await userRepository.findById(tx, userId);
      if (!user) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
      await apply(tx, user);
      // Losing the last active Administrator would lock the organisation out of its own administration.
      if ((await userRepository.countActiveAdministrators(tx)) === 0) throw new ClarusError('CLARUS_ERR_CONFLICT');
      const updated = await userRepository.findById(tx, userId);
      return summariseUser(updated as UserRecord);
    });
  }

  /** AUTH-4: a role change revokes the user's sessions at once. */
  async setRoles(principal: Principal, userId: string, roles: Role[], origin: RequestOrigin): Promise<UserSummary> {
    const result = await this.change(principal, userId, async (tx, user) => {
      await userRepository.setRoles(tx, user.id, [...new Set(roles)]);
      await sessionRepository.revokeAllForUser(tx, user.id, 'roles-changed', this.ctx.clock());
      await this.ctx.audit.recordFor(principal, origin, { action: 'user.roles-change', outcome: 'success', resourceType: 'user', resourceId: user.id, details: { roles: roles.join(',') } });
    });
    await this.ctx.securityEvents.record({ kind: 'users.roles-changed', tenantId: principal.tenantId, actorId: principal.userId, subjectId: userId, details: { roles: roles.join(',') }, ...origin });
    return result;
  }

  async setEnabled(principal: Principal, userId: string, enabled: boolean, origin: RequestOrigin): Promise<UserSummary> {
    const result = await this.change(principal, userId, async (tx, user) => {
      await this.ctx.audit.recordFor(principal, origin, { action: enabled ? 'user.enable' : 'user.disable', outcome: 'success', resourceType: 'user', resourceId: user.id });
      if (enabled) {
        await userRepository.setStatus(tx, user.id, user.totpEnabled ? 'active' : 'invited');
      } else {
        await userRepository.setStatus(tx, user.id, 'disabled');
        await sessionRepository.revokeAllForUser(tx, user.id, 'user-disabled', this.ctx.clock());
      }
    });
    if (!enabled) await this.ctx.securityEvents.record({ kind: 'users.disabled', tenantId: principal.tenantId, actorId: principal.userId, subjectId: userId, ...origin });
    return result;
  }

  async recoveryCodesRemaining(tx: Tx, userId: string): Promise<number> {
    return secondFactorRepository.countUnusedRecoveryCodes(tx, userId);
  }
}
