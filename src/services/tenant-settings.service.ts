import { ClarusError } from '../domain/error-catalog.ts';
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
    try {
      // Only compiled here, to refuse a pattern that is not one.
      // eslint-disable-next-line security/detect-non-literal-regexp
      new RegExp(settings.mrnPattern, 'u');
    } catch {
      throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'mrnPattern', message: 'This is not a valid regular expression.' }]);
    }
    await this.ctx.uow.run(principal.tenantId, (tx) => tenantRepository.updateSettings(tx, principal.tenantId, settings));
    await this.ctx.securityEvents.record({ kind: 'tenant.settings-changed', tenantId: principal.tenantId, actorId: principal.userId, ...origin });
    return settings;
  }
}
