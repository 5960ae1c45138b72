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

/** The viewer of one series opened at one of its instances (a held instance a reviewer must decide on). */
export function instanceViewerPath(patientId: string, seriesId: string, instanceId: string): string {
  return `${seriesViewerPath(patientId, seriesId)}/instances/${encodeURIComponent(instanceId)}`;
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

/** The patient, series and (optional) instance ids of a `/patients/<id>/series/<seriesId>[/instances/<instanceId>]` path, or null. */
export function viewerIdsOf(path: string): { patientId: string; seriesId: string; instanceId: string | null } | null {
  const match = /^\/patients\/([^/]+)\/series\/([^/]+)(?:\/instances\/([^/]+))?$/u.exec(path);
  if (match?.[1] === undefined || match[2] === undefined) return null;
  return { patientId: decoded(match[1]), seriesId: decoded(match[2]), instanceId: match[3] === undefined ? null : decoded(match[3]) };
}
