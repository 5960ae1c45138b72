import { deidSettingsRepository } from '../../data/repositories/deid-settings.repository.ts';
import type { Tx } from '../../data/unit-of-work.ts';
import { parseSafePrivate, type SafePrivateAttribute } from '../../deid/deid-options.ts';
import type { PixelTextPolicy } from '../../deid/pixel-text-risk.ts';
import { ClarusError } from '../../domain/error-catalog.ts';
import type { Principal, RequestOrigin, ServiceContext } from '../context.ts';

/** A tenant's de-identification settings as Administrators edit them (`deid.configure`). */
export interface DeidSettingsView {
  /** DEID-2: SOP classes and device models that carry text in pixels, and the masks that clean them. */
  pixelPolicy: PixelTextPolicy;
  /** Clean Descriptors / Structured Content / Graphics: free text kept only when it is one of these (exact, case-insensitive). */
  textAllowList: string[];
  /** Retain Safe Private: `CREATOR:gggg,xxee` entries. */
  safePrivate: string[];
  updatedAt: Date | null;
}

/** What a de-identification run of the tenant is given. */
export interface EffectiveDeidSettings {
  pixelPolicy: PixelTextPolicy;
  textAllowList: string[];
  safePrivate: SafePrivateAttribute[];
}

function policyOf(stored: unknown): PixelTextPolicy {
  // Stored by update() below from a validated body; anything else reads as "no extra rules".
  return stored !== null && typeof stored === 'object' ? stored : {};
}

/** The tenant's de-identification settings (DEID-1, DEID-2), audited when changed. */
export class DeidSettingsService {
  constructor(private readonly ctx: ServiceContext) {}

  async get(principal: Principal): Promise<DeidSettingsView> {
    const row = await this.ctx.uow.read(principal.tenantId, (tx) => deidSettingsRepository.get(tx, principal.tenantId));
    return { pixelPolicy: policyOf(row.pixelPolicy), textAllowList: row.textAllowList, safePrivate: row.safePrivate, updatedAt: row.updatedAt };
  }

  async update(principal: Principal, input: Omit<DeidSettingsView, 'updatedAt'>, origin: RequestOrigin): Promise<DeidSettingsView> {
    const bad = input.safePrivate.findIndex((entry) => parseSafePrivate(entry) === undefined);
    if (bad >= 0) throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: `safePrivate.${bad}`, message: 'CREATOR:gggg,xxee with an odd group' }]);
    const now = this.ctx.clock();
    await this.ctx.uow.run(principal.tenantId, async (tx) => {
      await deidSettingsRepository.save(tx, principal.tenantId, { ...input, updatedBy: principal.userId, updatedAt: now });
      await this.ctx.audit.recordFor(principal, origin, {
        action: 'deid.settings-change', outcome: 'success', resourceType: 'tenant', resourceId: principal.tenantId,
        details: { masks: input.pixelPolicy.masks?.length ?? 0, deviceModels: input.pixelPolicy.deviceModels?.length ?? 0, allowList: input.textAllowList.length, safePrivate: input.safePrivate.length },
      });
    });
    return { ...input, updatedAt: now };
  }

  async effective(tx: Tx, tenantId: string): Promise<EffectiveDeidSettings> {
    const row = await deidSettingsRepository.get(tx, tenantId);
    return {
      pixelPolicy: policyOf(row.pixelPolicy),
      textAllowList: row.textAllowList,
      safePrivate: row.safePrivate.map(parseSafePrivate).filter((s): s is SafePrivateAttribute => s !== undefined),
    };
  }
}
