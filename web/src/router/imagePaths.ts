import { patientPath } from './paths';

/** Images pages: uploads (to a patient, or DICOM matched by Patient ID) and the series viewer. */
export const uploadDicomPath = '/images/upload';

/** Upload images to one patient. */
export function patientUploadPath(patientId: string): string {
  return `${patientPath(patientId)}/upload`;
}

/** The viewer of one series of a patient. */
export function seriesViewerPath(patientId: string, seriesId: string): string {
  return `${patientPath(patientId)}/series/${encodeURIComponent(seriesId)}`;
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The patient id of a `/patients/<id>/upload` path, or null. */
export function uploadPatientIdOf(path: string): string | null {
  const match = /^\/patients\/([^/]+)\/upload$/u.exec(path);
  return match?.[1] === undefined ? null : decoded(match[1]);
}

/** The patient and series ids of a `/patients/<id>/series/<seriesId>` path, or null. */
export function viewerIdsOf(path: string): { patientId: string; seriesId: string } | null {
  const match = /^\/patients\/([^/]+)\/series\/([^/]+)$/u.exec(path);
  if (match?.[1] === undefined || match[2] === undefined) return null;
  return { patientId: decoded(match[1]), seriesId: decoded(match[2]) };
}
