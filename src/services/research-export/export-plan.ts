import type { InstanceRow, StudyRow } from '../../data/repositories/image.repository.ts';
import { imageRepository } from '../../data/repositories/image.repository.ts';
import { pixelReviewRepository, type PixelReviewRow } from '../../data/repositories/pixel-review.repository.ts';
import type { Tx } from '../../data/unit-of-work.ts';
import { checkOptions, isDeidOption, type DeidOption } from '../../deid/deid-options.ts';
import type { PixelTextReason } from '../../deid/pixel-text-risk.ts';
import type { ConsentStatus } from '../../domain/consent.ts';
import { ClarusError } from '../../domain/error-catalog.ts';
import { safeHarborRefusedOptions } from '../../domain/safe-harbor.ts';
import type { ConsentService } from '../consent.service.ts';
import type { DeidSettingsService, EffectiveDeidSettings } from '../deid/deid-settings.service.ts';
import { awaitsReview, indexedPixelRisk } from '../deid/pixel-holds.ts';
import type { ImageScope } from '../../data/repositories/image.repository.ts';

export interface ExportRequest {
  studyIds: string[];
  purpose: string;
  options: string[];
}

export interface HeldInstance {
  instanceId: string;
  seriesId: string;
  reason: PixelTextReason;
}

export interface PlannedStudy {
  study: StudyRow;
  instances: InstanceRow[];
  consent: ConsentStatus;
  held: HeldInstance[];
}

export interface ExportPlan {
  options: DeidOption[];
  studies: PlannedStudy[];
  reviews: Map<string, PixelReviewRow>;
  settings: EffectiveDeidSettings;
  files: number;
  bytes: number;
}

/** The options of a research export: known, consistent, and none that Safe Harbor forbids. */
export function checkExportOptions(names: readonly string[]): DeidOption[] {
  const unknown = names.findIndex((n) => !isDeidOption(n));
  if (unknown >= 0) throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: `options.${unknown}`, message: 'not a de-identification option' }]);
  const options = [...new Set(names as DeidOption[])];
  const conflict = checkOptions(options);
  if (conflict !== undefined) throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'options', message: conflict }]);
  const refused = options.find((o) => Object.hasOwn(safeHarborRefusedOptions, o));
  if (refused !== undefined) throw new ClarusError('CLARUS_ERR_DEID_OPTION_REFUSED', [{ path: 'options', message: `${refused} ${safeHarborRefusedOptions[refused] ?? ''}` }]);
  return options;
}

/**
 * What an export of these studies would hold, read in one transaction: the studies the caller
 * reaches (any other id is the same 404 as a missing one), their instances, each patient's research
 * consent (PRIV-1), and the instances the burned-in text gate holds without a decision (DEID-2).
 */
export async function planExport(tx: Tx, scope: ImageScope, request: ExportRequest, consents: ConsentService, settingsService: DeidSettingsService): Promise<ExportPlan> {
  const options = checkExportOptions(request.options);
  const ids = [...new Set(request.studyIds)];
  const studies = await imageRepository.studiesByIds(tx, scope, ids);
  if (studies.length !== ids.length) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
  const series = await imageRepository.seriesOfStudies(tx, scope.tenantId, ids);
  const modality = new Map(series.map((s) => [s.id, s.modality]));
  const consent = await consents.statusOf(tx, scope.tenantId, [...new Set(studies.map((s) => s.patient_id))], 'research');
  const settings = await settingsService.effective(tx, scope.tenantId);
  const byStudy = new Map<string, InstanceRow[]>();
  for (const study of studies) byStudy.set(study.id, await imageRepository.instancesOfStudy(tx, scope, study.id));
  const reviews = await pixelReviewRepository.of(tx, scope.tenantId, [...byStudy.values()].flat().map((i) => i.id));
  let files = 0;
  let bytes = 0;
  const ordered = ids.map((id) => studies.find((s) => s.id === id) as StudyRow);
  const planned = ordered.map((study) => {
    const instances = byStudy.get(study.id) ?? [];
    files += instances.length;
    bytes += instances.reduce((sum, i) => sum + Number(i.size), 0);
    const held = instances.flatMap((i): HeldInstance[] => {
      const risk = indexedPixelRisk(i, modality.get(i.series_id) ?? null, settings.pixelPolicy);
      return risk.hold && awaitsReview(risk, reviews.get(i.id)) ? [{ instanceId: i.id, seriesId: i.series_id, reason: risk.reason }] : [];
    });
    return { study, instances, consent: consent.get(study.patient_id) ?? 'unknown', held };
  });
  return { options, studies: planned, reviews, settings, files, bytes };
}
