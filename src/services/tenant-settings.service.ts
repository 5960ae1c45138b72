import { ClarusError } from '../domain/error-catalog.ts';
import { mrnPatternProblem } from '../domain/mrn-pattern.ts';
import { tenantRepository, type TenantSettings } from '../data/repositories/tenant.repository.ts';
import type { Principal, RequestOrigin, ServiceContext } from './context.ts';

/** Per-tenant patient settings: MRN format, Clinicians managing care teams, break-the-glass duration. */
export class TenantSettingsService {
  constructor(private readonly ctx: ServiceContext) {}

  async get(principal: Principal): Promise<TenantSettings> {
    const settings = await this.ctx.uow.read(principal.tenantId, (tx) => tenantRepository.settings(tx, principal.tenantId));
    if (!settings) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
    return settings;
  }

  async update(principal: Principal, settings: TenantSettings, origin: RequestOrigin): Promise<TenantSettings> {
    const problem = mrnPatternProblem(settings.mrnPattern);
    if (problem) throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'mrnPattern', message: problem }]);
    await this.ctx.uow.run(principal.tenantId, async (tx) => {
      await tenantRepository.updateSettings(tx, principal.tenantId, settings);
      await this.ctx.audit.recordFor(principal, origin, { action: 'tenant.settings-change', outcome: 'success', resourceType: 'tenant', resourceId: principal.tenantId });
    });
    await this.ctx.securityEvents.record({ kind: 'tenant.settings-changed', tenantId: principal.tenantId, actorId: principal.userId, ...origin });
    return settings;
  }
}
