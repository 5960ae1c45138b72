import { z } from 'zod';
import { ClarusError } from '../../../domain/error-catalog.ts';
import { uploadMediaTypes } from '../images/images.schema.ts';

/** The only protocol version spoken (tus 1.0.0 §Tus-Resumable, §Tus-Version). */
export const TUS_VERSION = '1.0.0';
/** tus 1.0.0 §Protocol Extensions: what OPTIONS announces in Tus-Extension. */
export const TUS_EXTENSIONS = ['creation', 'termination', 'expiration'] as const;
/** tus 1.0.0 §PATCH: the one media type of a PATCH body. */
export const OFFSET_OCTET_STREAM = 'application/offset+octet-stream';

export const uploadParams = z.strictObject({ uploadId: z.uuid() });

const outcome = z.object({
  status: z.string(),
  code: z.string().optional(),
  instanceId: z.string().optional(),
  studyId: z.string().optional(),
  seriesId: z.string().optional(),
  patientId: z.string().optional(),
  reconciliationId: z.string().optional(),
  kind: z.string().optional(),
});

/** GET /api/uploads/{uploadId}: the session, and what it came to once complete (ids or a refusal code). */
export const uploadStatusReply = z.object({
  id: z.string(),
  length: z.number(),
  offset: z.number(),
  state: z.enum(['receiving', 'finishing', 'done']),
  expiresAt: z.date(),
  outcome: outcome.nullable(),
});

/** A non-negative integer header (Upload-Length, Upload-Offset, Content-Length: tus 1.0.0 §Headers); null when absent. */
export function integerHeader(value: string | string[] | undefined): number | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'headers', message: 'A length or offset header is not a non-negative integer.' }]);
  return Number(value);
}

/** tus 1.0.0 §Tus-Resumable: every request but OPTIONS names the version; another one is a 412. */
export function requireTusVersion(value: string | string[] | undefined): void {
  if (value !== TUS_VERSION) throw new ClarusError('CLARUS_ERR_TUS_VERSION');
}

export interface UploadMetadata {
  patientId: string | null;
  contentType: string;
}

const metadataKeys = new Set(['patientId', 'contentType']);
const uuid = z.uuid();

/**
 * Upload-Metadata (tus 1.0.0 §creation): comma-separated `key base64(value)` pairs, keys unique. Only
 * `patientId` (optional: without it DICOM is matched by Patient ID ↔ MRN) and `contentType` (the
 * declared media type, ING-1) are accepted; anything else — a file name above all — is refused, so
 * that nothing identifying is ever stored with a session or echoed in HEAD.
 */
export function parseUploadMetadata(header: string | string[] | undefined): UploadMetadata {
  const refuse = (message: string): never => {
    throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'Upload-Metadata', message }]);
  };
  if (header !== undefined && typeof header !== 'string') refuse('Send one Upload-Metadata header.');
  const values = new Map<string, string>();
  for (const pair of (typeof header === 'string' ? header : '').split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const [key = '', encoded = '', ...rest] = pair.split(' ');
    if (rest.length > 0 || !metadataKeys.has(key) || values.has(key)) refuse('Only patientId and contentType are accepted, once each.');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) refuse('A metadata value is not base64.');
    values.set(key, Buffer.from(encoded, 'base64').toString('utf8'));
  }
  const patientId = values.get('patientId') || null;
  if (patientId !== null && !uuid.safeParse(patientId).success) refuse('patientId is not a patient id.');
  const contentType = values.get('contentType')?.split(';')[0]?.trim().toLowerCase();
  if (!contentType) return refuse('contentType is required.');
  if (!uploadMediaTypes.includes(contentType)) throw new ClarusError('CLARUS_ERR_UNSUPPORTED_MEDIA_TYPE');
  return { patientId, contentType };
}

/** The stored metadata as the Upload-Metadata header of HEAD answers (tus 1.0.0 §creation: MUST be included). */
export function formatUploadMetadata(metadata: UploadMetadata): string {
  const b64 = (value: string) => Buffer.from(value, 'utf8').toString('base64');
  return [...(metadata.patientId ? [`patientId ${b64(metadata.patientId)}`] : []), `contentType ${b64(metadata.contentType)}`].join(',');
}
