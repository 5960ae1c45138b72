import { randomUUID } from 'node:crypto';
import { ClarusError } from '../domain/error-catalog.ts';
import { isRole, type Role } from '../domain/roles.ts';
import { randomToken } from '../crypto/opaque-tokens.ts';
import { serviceAccountRepository, type ApiKeyRecord, type ServiceAccountRecord } from '../data/repositories/service-account.repository.ts';
import { patientRepository } from '../data/repositories/patient.repository.ts';
import { tenantRepository } from '../data/repositories/tenant.repository.ts';
import type { Tx } from '../data/unit-of-work.ts';
import type { Principal, RequestOrigin, ServiceContext } from './context.ts';
import type { SignInThrottle } from './sign-in-throttle.ts';

/** API keys look like `clarus_<tenant id without dashes>_<256-bit secret>`: the tenant routes the lookup under RLS. */
const keyPattern = /^clarus_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

function tenantIdOf(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface NewServiceAccount {
  name: string;
  role: Role;
  patientIds: string[] | null;
  expiresDays: number;
}

/** Service accounts with scoped, expiring, revocable API keys (ROLE-4). Keys are shown once. */
export class ServiceAccountService {
  constructor(private readonly ctx: ServiceContext, private readonly throttle: SignInThrottle) {}

  private async createIn(tx: Tx, tenantId: string, input: NewServiceAccount, createdBy: string | null): Promise<{ account: ServiceAccountRecord; key: string; expiresAt: Date }> {
    if (input.patientIds) {
      // Only patients of this tenant may be named; a foreign or missing id is refused alike.
      const scope = { tenantId, actorId: createdBy ?? 'system', reach: { full: 'all' as const, minimal: [] } };
      for (const id of input.patientIds) {
        if (!(await patientRepository.existsInTenant(tx, scope, id))) throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'patientIds', message: 'A patient id does not exist in this organisation.' }]);
      }
    }
    const account = { id: randomUUID(), name: input.name, role: input.role, patientIds: input.patientIds, createdBy };
    if (!(await serviceAccountRepository.create(tx, tenantId, account))) throw new ClarusError('CLARUS_ERR_CONFLICT');
    const key = `clarus_${tenantId.replaceAll('-', '')}_${randomToken()}`;
    const expiresAt = new Date(this.ctx.clock().getTime() + input.expiresDays * 86_400_000);
    await serviceAccountRepository.addKey(tx, tenantId, { id: randomUUID(), serviceAccountId: account.id, keyHash: this.ctx.tokens.hash(key), expiresAt });
    return { account: { ...account, createdAt: this.ctx.clock() }, key, expiresAt };
  }

  async create(principal: Principal, input: NewServiceAccount, origin: RequestOrigin): Promise<{ account: ServiceAccountRecord; key: string; expiresAt: Date }> {
    const created = await this.ctx.uow.run(principal.tenantId, async (tx) => {
      const made = await this.createIn(tx, principal.tenantId, input, principal.userId);
      await this.ctx.audit.recordFor(principal, origin, { action: 'service-account.create', outcome: 'success', resourceType: 'service-account', resourceId: made.account.id, details: { role: input.role, patients: input.patientIds?.length ?? 0 } });
      return made;
    });
    await this.ctx.securityEvents.record({ kind: 'apikeys.created', tenantId: principal.tenantId, actorId: principal.userId, subjectId: created.account.id, details: { role: input.role }, ...origin });
    return created;
  }

  /** Operator (CLI) creation in an organisation named by its slug. */
  async createForTenant(slug: string, input: NewServiceAccount): Promise<{ account: ServiceAccountRecord; key: string; expiresAt: Date }> {
    const tenant = await this.ctx.uow.read(null, (tx) => tenantRepository.findBySlug(tx, slug));
    if (!tenant) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
    return this.ctx.uow.run(tenant.id, (tx) => this.createIn(tx, tenant.id, input, null));
  }

  async listForTenant(tenantId: string): Promise<(ServiceAccountRecord & { keys: ApiKeyRecord[] })[]> {
    return this.ctx.uow.read(tenantId, (tx) => serviceAccountRepository.list(tx));
  }

  async tenantIdOfSlug(slug: string): Promise<string> {
    const tenant = await this.ctx.uow.read(null, (tx) => tenantRepository.findBySlug(tx, slug));
    if (!tenant) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
    return tenant.id;
  }

  async revoke(tenantId: string, keyId: string, actorId: string | null, origin: RequestOrigin): Promise<void> {
    const revoked = await this.ctx.uow.run(tenantId, async (tx) => {
      const done = await serviceAccountRepository.revokeKey(tx, keyId, this.ctx.clock());
      if (done) await this.ctx.audit.record({ tenantId, kind: actorId ? 'user' : 'system', id: actorId }, origin, { action: 'api-key.revoke', outcome: 'success', resourceType: 'api-key', resourceId: keyId });
      return done;
    });
    if (!revoked) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
    await this.ctx.securityEvents.record({ kind: 'apikeys.revoked', tenantId, actorId, subjectId: keyId, ...origin });
  }

  /**
   * Authenticates an `X-API-Key` header; any failure is the same 401. Wrong keys count as sign-in
   * failures of the source address, so guessing keys ends in the same lockout as guessing passwords.
   */
  async authenticate(key: string, origin: RequestOrigin): Promise<Principal> {
    const subjects = this.throttle.addressSubjects(origin);
    const match = keyPattern.exec(key);
    const tenantId = match ? tenantIdOf(match[1] as string) : undefined;
    if (!tenantId) await this.throttle.assertNotLocked(subjects);
    const now = this.ctx.clock();
    const found = tenantId && await this.ctx.uow.run(tenantId, async (tx) => {
      // A locked address is refused before its key is looked at, in the same transaction (one
      // transaction per API-key request instead of two).
      await this.throttle.assertNotLockedIn(tx, subjects);
      const usable = await serviceAccountRepository.findUsableKey(tx, this.ctx.tokens.hash(key), now);
      // Record use at most once a minute: enough to show stale keys, cheap on the request path.
      if (usable && (!usable.lastUsedAt || now.getTime() - usable.lastUsedAt.getTime() > 60_000)) await serviceAccountRepository.touchKey(tx, usable.keyId, now);
      return usable;
    });
    if (!tenantId || !found || !isRole(found.account.role)) {
      await this.throttle.recordFailure(subjects, { tenantId: null, userId: null, ...origin }, true);
      throw new ClarusError('CLARUS_ERR_UNAUTHENTICATED');
    }
    return {
      kind: 'service', tenantId, userId: found.account.id, sessionId: '', stage: 'full', roles: [found.account.role],
      stepUpAt: null, patientRestriction: found.account.patientIds,
    };
  }
}
