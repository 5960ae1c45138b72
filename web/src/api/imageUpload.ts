import { currentCsrfToken, refreshSession, resetCsrfToken } from './client';
import { ApiError, ErrorCode, errorFromResponse } from './errors';
import type { ImageKind } from './images';

/** Where files go: a chosen patient (any kind), or DICOM matched by Patient ID ↔ MRN. */
export type UploadTarget = { patientId: string } | { matchByPatientId: true };

/**
 * What the server answers for an accepted file: 201 stored, 200 duplicate, or 202 for DICOM whose
 * Patient ID matches no MRN (kept in the reconciliation list until someone files it to a patient).
 */
export type UploadOutcome =
  | { status: 'stored' | 'duplicate'; instanceId: string; studyId: string; seriesId: string; patientId: string; kind: ImageKind }
  | { status: 'reconciliation'; reconciliationId: string; kind: 'dicom' };

/**
 * The Content-Type to declare, from the file name only as a hint (the server decides from the
 * bytes and refuses a disagreement): `.dcm` or no extension (DICOM files are often named by UID or
 * number) → DICOM, `.nii` → octet-stream, `.nii.gz`/`.gz` → gzip, `.png`, `.jpg`/`.jpeg`.
 */
export function contentTypeFor(name: string): string {
  const lower = name.toLowerCase();
  if (lower.endsWith('.gz')) return 'application/gzip';
  if (lower.endsWith('.nii')) return 'application/octet-stream';
  if (lower.endsWith('.png')) return 'image/png';
  if (lower.endsWith('.jpg') || lower.endsWith('.jpeg')) return 'image/jpeg';
  if (lower.endsWith('.dcm') || lower.endsWith('.dicom')) return 'application/dicom';
  // No extension, or a numeric one (1.2.840.…, IM0001.001): DICOM by convention.
  const dot = lower.lastIndexOf('.');
  if (dot === -1 || /^\.\d*$/u.test(lower.slice(dot))) return 'application/dicom';
  return 'application/octet-stream';
}

function targetUrl(target: UploadTarget): string {
  return 'patientId' in target ? `/api/patients/${encodeURIComponent(target.patientId)}/images` : '/api/images';
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** One XMLHttpRequest (fetch has no upload progress); the file name is never sent. */
function send(url: string, file: File, token: string, onProgress: (fraction: number) => void, signal: AbortSignal | undefined): Promise<UploadOutcome> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('content-type', contentTypeFor(file.name));
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('x-csrf-token', token);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      const body = parse(xhr.responseText);
      if (xhr.status === 200 || xhr.status === 201 || xhr.status === 202) resolve(body as UploadOutcome);
      else reject(errorFromResponse(xhr.status, body));
    };
    xhr.onerror = () => reject(new ApiError({ status: 0, code: ErrorCode.network, message: 'The upload was interrupted. Check your connection and try again.' }));
    xhr.onabort = () => reject(new ApiError({ status: 0, code: ErrorCode.client, message: 'The upload was cancelled.' }));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

/**
 * Uploads one file with progress (0..1), retrying once after a refreshed session or CSRF token.
 * @throws ApiError with the server's code and message when the file is refused.
 */
export async function uploadImage(target: UploadTarget, file: File, onProgress: (fraction: number) => void, signal?: AbortSignal): Promise<UploadOutcome> {
  const url = targetUrl(target);
  try {
    return await send(url, file, await currentCsrfToken(), onProgress, signal);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.code === ErrorCode.tokenExpired) await refreshSession();
    else if (error.code === ErrorCode.csrf) resetCsrfToken();
    else throw error;
    onProgress(0);
    return send(url, file, await currentCsrfToken(), onProgress, signal);
  }
}
