/**
 * One entry point for any accepted file kind (ING-1): the type is decided from the bytes, never the
 * name, then the matching de-identifier runs. Used by the offline tool (`clarus deid`) and, later,
 * by the AI workers' input path and research exports.
 */
import { sniffUploadHead } from '../ingest/sniff-type.ts';
import { deidentifyDicom, type DeidKeys, type DicomDeidOptions, type DicomDeidReport } from './dicom-deidentify.ts';
import { refuseDeid, type DeidRefusalCode } from './deid-result.ts';
import { deidentifyImage, type ImageDeidReport } from './image-deidentify.ts';
import { deidentifyNifti, type NiftiDeidReport } from './nifti-deidentify.ts';

export type DeidFileReport =
  | { kind: 'dicom'; dicom: DicomDeidReport }
  | { kind: 'nifti'; nifti: NiftiDeidReport }
  | { kind: 'image'; image: ImageDeidReport };

export type DeidFileResult =
  | { ok: true; bytes: Buffer; extension: string; report: DeidFileReport; summary: string }
  | { ok: false; code: DeidRefusalCode; reason: string };

function counts(record: Partial<Record<string, number>>): string {
  return Object.entries(record).filter(([, n]) => (n ?? 0) > 0).map(([k, n]) => `${n} ${k}`).join(', ');
}

/** One line saying what was done to a DICOM instance (counts only, never values). */
export function summarizeDicom(report: DicomDeidReport): string {
  const parts = [`dicom: ${counts(report.actions)}`];
  const privateCounts = report.byClass.private;
  if (privateCounts) parts.push(`private: ${counts(privateCounts)}`);
  if (report.pixelText.hold) parts.push(report.pixelText.confirmedClean === true ? `pixels: ${report.pixelText.reason}, confirmed clean` : `pixels: ${report.pixelText.reason}, ${report.pixelText.masked ?? 0} region(s) masked`);
  else if ((report.pixelText.masked ?? 0) > 0) parts.push(`pixels: ${report.pixelText.masked ?? 0} region(s) masked by a reviewer`);
  return parts.join('; ');
}

/** De-identifies one file of any accepted kind held in memory. */
export async function deidentifyFile(bytes: Buffer, options: DicomDeidOptions, keys: DeidKeys): Promise<DeidFileResult> {
  const kind = await sniffUploadHead(bytes.subarray(0, 1024));
  switch (kind) {
    case 'dicom': {
      const result = deidentifyDicom(bytes, options, keys);
      if (!result.ok) return result;
      return { ok: true, bytes: result.bytes, extension: '.dcm', report: { kind: 'dicom', dicom: result.report }, summary: summarizeDicom(result.report) };
    }
    case 'nifti1':
    case 'nifti2':
    case 'nifti-gzip': {
      const result = await deidentifyNifti(bytes);
      if (!result.ok) return result;
      const r = result.report;
      const summary = `nifti-${r.version}: cleared ${r.clearedFields.length > 0 ? r.clearedFields.join(', ') : 'no text fields (all empty)'}; ${r.extensionsDropped} extension(s) dropped`;
      return { ok: true, bytes: result.bytes, extension: r.gzip ? '.nii.gz' : '.nii', report: { kind: 'nifti', nifti: r }, summary };
    }
    case 'png':
    case 'jpeg': {
      const result = await deidentifyImage(bytes);
      if (!result.ok) return result;
      const r = result.report;
      const summary = `${r.format}: re-encoded ${r.width}x${r.height}; metadata dropped: ${r.metadataDropped.length > 0 ? r.metadataDropped.join(', ') : 'none found'}`;
      return { ok: true, bytes: result.bytes, extension: r.format === 'png' ? '.png' : '.jpg', report: { kind: 'image', image: r }, summary };
    }
    case 'unknown':
      return refuseDeid('UNSUPPORTED_TYPE', 'neither DICOM, NIfTI, PNG nor JPEG');
  }
}
