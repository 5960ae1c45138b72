import { imageRepository, type InstanceRow } from '../../data/repositories/image.repository.ts';
import { patientRepository } from '../../data/repositories/patient.repository.ts';
import { pixelReviewRepository } from '../../data/repositories/pixel-review.repository.ts';
import type { DeidOption } from '../../deid/deid-options.ts';
import { ClarusError } from '../../domain/error-catalog.ts';
import type { ConsentService } from '../consent.service.ts';
import type { Principal, RequestOrigin, ServiceContext } from '../context.ts';
import type { ImageQueryService } from '../images/image-query.service.ts';
import type { PatientProtection } from '../patient-protection.ts';
import type { DeidService } from './deid-keys.service.ts';
import type { DeidSettingsService } from './deid-settings.service.ts';
import type { DeidentifiedCopies, DeidentifiedCopy } from './deidentified-copies.ts';
import { awaitsReview, indexedPixelRisk } from './pixel-holds.ts';

/** What an AI worker is handed: the patient's pseudonym and de-identified files, nothing else. */
export interface DeidentifiedSeries {
  pseudonym: string;
  /** The files, de-identified one at a time as they are read (memory stays bounded by one instance). */
  files: AsyncIterable<Extract<DeidentifiedCopy, { ok: true }>>;
  count: number;
}

/**
 * The AI workers' only way to image data (DEID-1, DEID-2, PRIV-1; ROADMAP item 1): a series, checked
 * against the caller's reach, the patient's `clinical-ai` consent and the burned-in text gate, audited
 * (`image.deid-read`, fail-closed) before anything is read, then de-identified in memory. Identified
 * bytes never leave this call: a worker process receives only what `files` yields. Options default
 * to Retain Longitudinal Temporal Information with Modified Dates and Retain Patient Characteristics
 * (a model needs intervals, age and sex); results are re-linked inside the tenant through the pseudonym.
 */
export class DeidentifiedInputService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly images: ImageQueryService,
    private readonly protection: PatientProtection,
    private readonly consents: ConsentService,
    private readonly deidKeys: DeidService,
    private readonly settings: DeidSettingsService,
    private readonly copies: DeidentifiedCopies,
  ) {}

  async forSeries(principal: Principal, seriesId: string, origin: RequestOrigin, options: readonly DeidOption[] = ['retain-longitudinal-modified-dates', 'retain-patient-characteristics']): Promise<DeidentifiedSeries> {
    const tenantId = principal.tenantId;
    const prepared = await this.ctx.uow.read(tenantId, async (tx) => {
      const scope = await this.images.scopeOf(tx, principal);
      const rows = await imageRepository.instancesOfSeries(tx, scope, [seriesId]);
      const first = rows[0];
      if (!first) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
      const patient = await patientRepository.findVisible(tx, scope, first.patient_id);
      if (!patient) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
      const consent = (await this.consents.statusOf(tx, tenantId, [first.patient_id], 'clinical-ai')).get(first.patient_id) ?? 'unknown';
      if (consent !== 'granted') throw new ClarusError('CLARUS_ERR_CONSENT_MISSING', [{ path: 'seriesId', message: `clinical AI consent is ${consent}` }]);
      const series = await tx.selectFrom('series').select('modality').where('tenant_id', '=', tenantId).where('id', '=', seriesId).executeTakeFirst();
      const settings = await this.settings.effective(tx, tenantId);
      const reviews = await pixelReviewRepository.of(tx, tenantId, rows.map((r) => r.id));
      const held = rows.filter((r) => awaitsReview(indexedPixelRisk(r, series?.modality ?? null, settings.pixelPolicy), reviews.get(r.id)));
      if (held.length > 0 && (settings.pixelPolicy.masks ?? []).length === 0) throw new ClarusError('CLARUS_ERR_PIXEL_REVIEW_PENDING', [{ path: 'seriesId', message: `${held.length} image(s) wait for a pixel review` }]);
      const record = await this.protection.openStored(tx, tenantId, patient);
      return { rows, settings, reviews, identity: record.mrn, patientId: first.patient_id, patientKey: await this.protection.patientKey(tx, tenantId, first.patient_id, 1) };
    });
    const keys = await this.deidKeys.pseudonymsFor(tenantId);
    await this.ctx.audit.recordFor(principal, origin, { action: 'image.deid-read', outcome: 'success', resourceType: 'series', resourceId: seriesId, patientId: prepared.patientId, details: { instances: prepared.rows.length, purpose: 'clinical-ai', options: options.join(',') } });
    const plan = { tenantId, patientIdentity: prepared.identity, options, settings: prepared.settings, reviews: prepared.reviews, safeHarbor: false, patientKey: prepared.patientKey };
    const copies = this.copies;
    async function* files(rows: InstanceRow[]): AsyncGenerator<Extract<DeidentifiedCopy, { ok: true }>> {
      for (const row of rows) {
        const copy = await copies.copy(row, plan, keys);
        // A hold the index could not see (a configured device model) stops the series here: nothing
        // of a held image is handed out, and the caller learns why.
        if (!copy.ok) throw new ClarusError(copy.code === 'BURNED_IN_TEXT' ? 'CLARUS_ERR_PIXEL_REVIEW_PENDING' : 'CLARUS_ERR_DATA_INTEGRITY');
        yield copy;
      }
    }
    return { pseudonym: keys.patientPseudonym(prepared.identity), files: files(prepared.rows), count: prepared.rows.length };
  }
}
