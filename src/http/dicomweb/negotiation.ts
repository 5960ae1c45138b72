import { ClarusError } from '../../domain/error-catalog.ts';
import { parseAccept, type MediaType } from './multipart-related.ts';

/**
 * Content negotiation of DICOMweb answers (PS3.18 §8.7): which representation an Accept header
 * allows. A missing Accept accepts the default representation; none acceptable is a 406.
 */

const EXPLICIT_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

function wildcard(range: MediaType): boolean {
  return range.essence === '*/*';
}

function notAcceptable(): never {
  throw new ClarusError('CLARUS_ERR_NOT_ACCEPTABLE');
}

/** DICOM JSON (QIDO-RS results, metadata, STOW-RS answers): application/dicom+json, or plain JSON. */
export function requireJson(accept: string | undefined): void {
  const ranges = parseAccept(accept);
  if (ranges.length === 0) return;
  if (!ranges.some((r) => wildcard(r) || ['application/dicom+json', 'application/json', 'application/*'].includes(r.essence))) notAcceptable();
}

/**
 * Instances as `multipart/related; type="application/dicom"`. Clarus returns the stored bytes and
 * never transcodes: each part names its transfer syntax, as if `transfer-syntax=*` had been asked.
 */
export function requireDicomMultipart(accept: string | undefined): void {
  const ranges = parseAccept(accept);
  if (ranges.length === 0) return;
  const ok = ranges.some((r) => wildcard(r) || r.essence === 'multipart/*'
    || (r.essence === 'multipart/related' && ['application/dicom', undefined].includes(r.params.get('type')?.toLowerCase())));
  if (!ok) notAcceptable();
}

/**
 * Frames: native pixel data as `application/octet-stream` (the default); compressed frames only when
 * a range accepts the stored transfer syntax (`transfer-syntax=*` or its UID), passed through as is.
 * Returns the transfer syntax to name in each part.
 */
export function frameRepresentation(accept: string | undefined, stored: { native: boolean; transferSyntaxUid: string }): string {
  const ranges = parseAccept(accept);
  if (stored.native) {
    if (ranges.length === 0) return EXPLICIT_LITTLE_ENDIAN;
    const ok = ranges.some((r) => {
      if (wildcard(r) || r.essence === 'multipart/*') return true;
      if (r.essence !== 'multipart/related') return false;
      const type = r.params.get('type')?.toLowerCase();
      const syntax = r.params.get('transfer-syntax');
      return (type === undefined || type === 'application/octet-stream') && (syntax === undefined || syntax === '*' || syntax === EXPLICIT_LITTLE_ENDIAN);
    });
    if (!ok) notAcceptable();
    return EXPLICIT_LITTLE_ENDIAN;
  }
  const ok = ranges.some((r) => {
    if (r.essence !== 'multipart/related') return false;
    const syntax = r.params.get('transfer-syntax');
    return syntax === '*' || syntax === stored.transferSyntaxUid;
  });
  if (!ok) notAcceptable();
  return stored.transferSyntaxUid;
}

/** Rendered images (§10.4.1.1.3 and §8.7.4): PNG or JPEG; JPEG is the default for a single frame. */
export function renderedFormat(accept: string | undefined): 'png' | 'jpeg' {
  const ranges = parseAccept(accept);
  if (ranges.length === 0) return 'jpeg';
  for (const r of ranges) {
    if (r.essence === 'image/png') return 'png';
    if (r.essence === 'image/jpeg' || r.essence === 'image/*' || wildcard(r)) return 'jpeg';
  }
  return notAcceptable();
}
