import type { InstanceRow } from '../../data/repositories/image.repository.ts';
import type { PixelReviewRow } from '../../data/repositories/pixel-review.repository.ts';
import { assessPixelTextRisk, type PixelTextPolicy, type PixelTextRisk } from '../../deid/pixel-text-risk.ts';

/**
 * The burned-in text gate (DEID-2) from what the index knows of an instance: Burned In Annotation,
 * SOP class, modality and size. PNG and JPEG uploads are held like secondary captures: they are
 * photographs and screenshots, which show names on screen more often than not. Device-model rules
 * need the file's Manufacturer and Model Name, which the index does not keep: the de-identifier
 * applies them again on the file itself, so an instance they hold never leaves unreviewed.
 */
export function indexedPixelRisk(row: Pick<InstanceRow, 'kind' | 'sop_class_uid' | 'burned_in_annotation' | 'rows' | 'columns'>, modality: string | null, policy: PixelTextPolicy): PixelTextRisk {
  switch (row.kind) {
    case 'nifti':
      return { hold: false };
    case 'png':
    case 'jpeg':
      return { hold: true, reason: 'secondary-capture', detail: 'PNG and JPEG images are photographs or screenshots' };
    case 'dicom':
      return assessPixelTextRisk({
        sopClassUid: row.sop_class_uid ?? '', modality: modality ?? undefined, burnedInAnnotation: row.burned_in_annotation ?? undefined,
        rows: row.rows ?? undefined, columns: row.columns ?? undefined, hasPixels: row.rows !== null && row.columns !== null,
      }, policy);
  }
}

/** Held, and nobody has decided yet. */
export function awaitsReview(risk: PixelTextRisk, review: PixelReviewRow | undefined): boolean {
  return risk.hold && review === undefined;
}
