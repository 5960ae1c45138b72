import type { KeyHandle } from '../../crypto/keys/key-material.ts';
import type { InstanceRow } from '../../data/repositories/image.repository.ts';
import type { PixelReviewRow } from '../../data/repositories/pixel-review.repository.ts';
import type { TenantPseudonyms } from '../../crypto/pseudonyms.ts';
import { summarizeDicom } from '../../deid/deid-file.ts';
import type { DeidOption } from '../../deid/deid-options.ts';
import { refuseDeid, type DeidRefusalCode } from '../../deid/deid-result.ts';
import { deidentifyDicom } from '../../deid/dicom-deidentify.ts';
import { deidentifyImage } from '../../deid/image-deidentify.ts';
import { deidentifyNifti } from '../../deid/nifti-deidentify.ts';
import type { PatientObjects } from '../patient-objects.ts';
import type { EffectiveDeidSettings } from './deid-settings.service.ts';
import { readExactly } from '../read-exactly.ts';

/** One instance de-identified in memory, or why it could not be. Never identified bytes. */
export type DeidentifiedCopy =
  | { ok: true; instanceId: string; kind: InstanceRow['kind']; bytes: Buffer; extension: string; summary: string; sopInstanceUid: string | null }
  | { ok: false; instanceId: string; kind: InstanceRow['kind']; code: DeidRefusalCode; reason: string };

export interface CopyPlan {
  tenantId: string;
  /** The tenant's identity of the patient (the MRN): pseudonym and date shift come from it (DEID-4). */
  patientIdentity: string;
  options: readonly DeidOption[];
  settings: EffectiveDeidSettings;
  reviews: ReadonlyMap<string, PixelReviewRow>;
  safeHarbor: boolean;
  /** The patient's data key when the caller has it open already (saves a transaction per file). */
  patientKey?: KeyHandle;
}


/**
 * Makes de-identified copies of stored instances (DEID-1..4) for the AI input path and research
 * exports: each object is decrypted into memory, de-identified with the tenant's keys, settings and
 * the reviewers' pixel decisions, and only the result leaves this class. Callers check access,
 * consent and holds first and audit what they hand out.
 */
export class DeidentifiedCopies {
  constructor(private readonly objects: PatientObjects) {}

  /** The stored (identified) bytes, for checks that never leave this process (e.g. pixel-text facts). */
  async read(tenantId: string, row: InstanceRow, patientKey?: KeyHandle): Promise<Buffer> {
    return readExactly(await this.objects.open(tenantId, row.id, patientKey), Number(row.size), (found) => new Error(`stored object ${found} than its index entry`));
  }

  async copy(row: InstanceRow, plan: CopyPlan, keys: TenantPseudonyms): Promise<DeidentifiedCopy> {
    const bytes = await this.read(plan.tenantId, row, plan.patientKey);
    const review = plan.reviews.get(row.id);
    const regions = review?.decision === 'masked' ? review.regions ?? [] : [];
    const refused = (r: { code: DeidRefusalCode; reason: string }): DeidentifiedCopy => ({ ok: false, instanceId: row.id, kind: row.kind, code: r.code, reason: r.reason });
    switch (row.kind) {
      case 'dicom': {
        const result = deidentifyDicom(bytes, {
          options: plan.options, textAllowList: plan.settings.textAllowList, safePrivate: plan.settings.safePrivate, patientIdentity: plan.patientIdentity,
          safeHarbor: plan.safeHarbor,
          pixelText: { policy: plan.settings.pixelPolicy, confirmedClean: review?.decision === 'confirmed-clean', ...(regions.length > 0 ? { reviewerRegions: regions } : {}) },
        }, keys);
        if (!result.ok) return refused(result);
        return { ok: true, instanceId: row.id, kind: row.kind, bytes: result.bytes, extension: '.dcm', summary: summarizeDicom(result.report), sopInstanceUid: result.report.sopInstanceUid };
      }
      case 'png':
      case 'jpeg': {
        // Held as screenshots (pixel-holds.ts): they leave only after a reviewer's decision.
        if (review === undefined) return refused(refuseDeid('BURNED_IN_TEXT', 'PNG and JPEG images wait for a reviewer'));
        const result = await deidentifyImage(bytes, {}, regions);
        if (!result.ok) return refused(result);
        const r = result.report;
        return { ok: true, instanceId: row.id, kind: row.kind, bytes: result.bytes, extension: r.format === 'png' ? '.png' : '.jpg', summary: `${r.format}: re-encoded without metadata${regions.length > 0 ? `, ${regions.length} region(s) masked` : ''}`, sopInstanceUid: null };
      }
      case 'nifti': {
        const result = await deidentifyNifti(bytes);
        if (!result.ok) return refused(result);
        return { ok: true, instanceId: row.id, kind: row.kind, bytes: result.bytes, extension: result.report.gzip ? '.nii.gz' : '.nii', summary: `nifti-${result.report.version}: header text cleared, ${result.report.extensionsDropped} extension(s) dropped`, sopInstanceUid: null };
      }
    }
  }
}
