import { imageRepository, type InstanceRow } from '../../data/repositories/image.repository.ts';
import { pixelReviewRepository, type ReviewRegion } from '../../data/repositories/pixel-review.repository.ts';
import { userRepository } from '../../data/repositories/user.repository.ts';
import { readPixelTextFacts } from '../../deid/dicom-deidentify.ts';
import { findMaskRule, type PixelTextPolicy } from '../../deid/pixel-text-risk.ts';
import { ClarusError } from '../../domain/error-catalog.ts';
import type { Principal, RequestOrigin, ServiceContext } from '../context.ts';
import type { ImageQueryService } from '../images/image-query.service.ts';
import type { DeidentifiedCopies } from './deidentified-copies.ts';
import type { DeidSettingsService } from './deid-settings.service.ts';
import { indexedPixelRisk } from './pixel-holds.ts';

export type PixelDecision = { decision: 'confirmed-clean' } | { decision: 'masked'; regions: ReviewRegion[] };

export interface PixelReviewView {
  hold: boolean;
  reason: string | null;
  detail: string | null;
  configuredMask: boolean;
  decision: null | { decision: 'confirmed-clean' | 'masked'; regions: ReviewRegion[] | null; reviewedAt: Date; reviewedBy: { id: string; displayName: string | null } };
}

/** Transfer syntaxes whose pixel data rectangles can be blanked in place (PS3.5 §A.1–A.5). */
const NATIVE_SYNTAXES = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99']);

/**
 * The review of pixels that may carry text (DEID-2): whether an instance is held and why, and an
 * Administrator's or Radiologist's decision — confirmed clean, or regions to blank — recorded and
 * audited. Held instances leave for AI or export only after one (or when a configured mask covers them).
 */
export class PixelReviewService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly images: ImageQueryService,
    private readonly settings: DeidSettingsService,
    private readonly copies: DeidentifiedCopies,
  ) {}

  private async load(principal: Principal, instanceId: string): Promise<{ row: InstanceRow; modality: string | null; policy: PixelTextPolicy }> {
    return this.ctx.uow.read(principal.tenantId, async (tx) => {
      const scope = await this.images.scopeOf(tx, principal);
      const row = await imageRepository.instance(tx, scope, instanceId);
      if (!row) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
      const series = await tx.selectFrom('series').select('modality').where('tenant_id', '=', principal.tenantId).where('id', '=', row.series_id).executeTakeFirst();
      return { row, modality: series?.modality ?? null, policy: (await this.settings.effective(tx, principal.tenantId)).pixelPolicy };
    });
  }

  async get(principal: Principal, instanceId: string): Promise<PixelReviewView> {
    const { row, modality, policy } = await this.load(principal, instanceId);
    const risk = indexedPixelRisk(row, modality, policy);
    let configuredMask = false;
    if (risk.hold && row.kind === 'dicom' && (policy.masks ?? []).length > 0) {
      const facts = readPixelTextFacts(await this.copies.read(principal.tenantId, row));
      configuredMask = facts !== undefined && findMaskRule(facts, policy) !== undefined;
    }
    const decision = await this.ctx.uow.read(principal.tenantId, async (tx) => {
      const review = (await pixelReviewRepository.of(tx, principal.tenantId, [instanceId])).get(instanceId);
      if (!review) return null;
      const reviewer = await userRepository.findById(tx, review.reviewedBy);
      return { decision: review.decision, regions: review.regions, reviewedAt: review.reviewedAt, reviewedBy: { id: review.reviewedBy, displayName: reviewer?.displayName ?? null } };
    });
    return { hold: risk.hold, reason: risk.hold ? risk.reason : null, detail: risk.hold ? risk.detail : null, configuredMask, decision };
  }

  async decide(principal: Principal, instanceId: string, decision: PixelDecision, origin: RequestOrigin): Promise<PixelReviewView> {
    const { row } = await this.load(principal, instanceId);
    if (row.kind === 'nifti') throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'decision', message: 'NIfTI volumes are not reviewed for text in pixels' }]);
    if (decision.decision === 'masked') {
      if (row.kind === 'dicom' && !NATIVE_SYNTAXES.has(row.transfer_syntax_uid ?? '')) {
        throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'decision', message: 'compressed pixel data cannot be masked; confirm it clean or leave it held' }]);
      }
      const rows = row.rows ?? 0;
      const columns = row.columns ?? 0;
      const outside = decision.regions.findIndex((r) => r.x < 0 || r.y < 0 || r.width < 1 || r.height < 1 || r.x + r.width > columns || r.y + r.height > rows);
      if (outside >= 0) throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: `regions.${outside}`, message: `a rectangle inside the ${columns}×${rows} image` }]);
    }
    await this.ctx.uow.run(principal.tenantId, async (tx) => {
      await pixelReviewRepository.save(tx, principal.tenantId, {
        instanceId, decision: decision.decision, regions: decision.decision === 'masked' ? decision.regions : null, reviewedBy: principal.userId, reviewedAt: this.ctx.clock(),
      });
      await this.ctx.audit.recordFor(principal, origin, {
        action: 'image.pixel-review', outcome: 'success', resourceType: 'instance', resourceId: instanceId, patientId: row.patient_id,
        details: { decision: decision.decision, regions: decision.decision === 'masked' ? decision.regions.length : 0 },
      });
    });
    return this.get(principal, instanceId);
  }
}
