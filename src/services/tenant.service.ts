import { randomUUID } from 'node:crypto';
import { ClarusError } from '../domain/error-catalog.ts';
import { tenantRepository, type TenantRecord } from '../data/repositories/tenant.repository.ts';
import { userRepository } from '../data/repositories/user.repository.ts';
import type { ServiceContext } from './context.ts';
import { issueEnrolmentLink, type EnrolmentLink } from './invitation-links.ts';
import { summariseUser, type UserAdminService, type UserSummary } from './user-admin.service.ts';
import type { Role } from '../domain/roles.ts';

/** Organisations (tenants) and their first Administrator; driven by the CLI and first start. */
export class TenantService {
  constructor(private readonly ctx: ServiceContext, private readonly users: UserAdminService) {}

  list(): Promise<TenantRecord[]> {
    return this.ctx.uow.read(null, (tx) => tenantRepository.list(tx));
  }

  /** Creates an organisation with an invited Administrator and returns the one-time enrolment link. */
  async create(slug: string, name: string, adminEmail: string): Promise<{ tenant: TenantRecord; link: EnrolmentLink }> {
    const tenant = { id: randomUUID(), slug, name };
    const existing = await this.ctx.uow.read(null, (tx) => tenantRepository.findBySlug(tx, slug));
    if (existing) throw new ClarusError('CLARUS_ERR_CONFLICT');
    // One transaction: the tenants table has no row-level security, the user tables take this tenant.
    const { link } = await this.ctx.uow.run(tenant.id, async (tx) => {
      await tenantRepository.create(tx, tenant);
      const invited = await this.users.invite(tx, tenant.id, { email: adminEmail, roles: ['Administrator'] }, null);
      await this.ctx.audit.record({ tenantId: tenant.id, kind: 'system', id: null }, { sourceAddress: null, requestId: null }, { action: 'user.invite', outcome: 'success', resourceType: 'user', resourceId: invited.userId, details: { roles: 'Administrator', via: 'operator' } });
      return invited;
    });
    return { tenant, link };
  }

  /**
   * First start of the embedded default: when no organisation exists, create one; while its first
   * Administrator has not enrolled, each start issues a fresh link (the old one is revoked).
   */
  async bootstrap(slug: string, adminEmail: string): Promise<EnrolmentLink | undefined> {
    const tenants = await this.list();
    if (tenants.length === 0) return (await this.create(slug, 'Clarus', adminEmail)).link;
    const tenant = tenants[0] as TenantRecord;
    if (tenants.length > 1 || tenant.slug !== slug) return undefined;
    return this.ctx.uow.run(tenant.id, async (tx) => {
      // Only the administrator this bootstrap created: a link printed by `clarus init` stays valid.
      const pending = (await userRepository.list(tx)).find((u) => u.email === adminEmail && u.status === 'invited' && u.roles.includes('Administrator') && !u.passwordHash);
      const anyActive = (await userRepository.countActiveAdministrators(tx)) > 0;
      return pending && !anyActive ? issueEnrolmentLink(this.ctx, tx, tenant.id, pending.id, null) : undefined;
    });
  }

  private async requireTenant(slug: string): Promise<TenantRecord> {
    const tenant = await this.ctx.uow.read(null, (tx) => tenantRepository.findBySlug(tx, slug));
    if (!tenant) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
    return tenant;
  }

  /** Operator (CLI) invitation of a user into an organisation. */
  async inviteUser(slug: string, email: string, roles: Role[]): Promise<EnrolmentLink> {
    const tenant = await this.requireTenant(slug);
    const { link } = await this.ctx.uow.run(tenant.id, async (tx) => {
      const invited = await this.users.invite(tx, tenant.id, { email, roles }, null);
      await this.ctx.audit.record({ tenantId: tenant.id, kind: 'system', id: null }, { sourceAddress: null, requestId: null }, { action: 'user.invite', outcome: 'success', resourceType: 'user', resourceId: invited.userId, details: { roles: roles.join(','), via: 'operator' } });
      return invited;
    });
    return link;
  }

  async listUsers(slug: string): Promise<UserSummary[]> {
    const tenant = await this.requireTenant(slug);
    return this.ctx.uow.read(tenant.id, async (tx) => (await userRepository.list(tx)).map(summariseUser));
  }
}
