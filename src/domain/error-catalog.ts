/**
 * The one catalog of errors a client can see (DESIGN.md "Where security lives" 6). Codes are
 * stable API: clients and tests match on them. Messages are safe: they never echo input, never
 * reveal whether an account exists, never name internals.
 */
import { fileErrorCatalog } from './ingest-refusals.ts';

export const errorCatalog = {
  ...fileErrorCatalog,
  CLARUS_ERR_VALIDATION: { status: 400, message: 'The request is not valid.' },
  CLARUS_ERR_MALFORMED_JSON: { status: 400, message: 'The request body is not valid JSON.' },
  CLARUS_ERR_BAD_REQUEST: { status: 400, message: 'The request cannot be processed.' },
  CLARUS_ERR_UNAUTHENTICATED: { status: 401, message: 'Sign in to continue.' },
  CLARUS_ERR_TOKEN_EXPIRED: { status: 401, message: 'The access token has expired; refresh it.' },
  CLARUS_ERR_SESSION_EXPIRED: { status: 401, message: 'Your session has ended. Sign in again.' },
  CLARUS_ERR_AUTH_FAILED: { status: 401, message: 'The e-mail address or password is not correct.' },
  CLARUS_ERR_MFA_FAILED: { status: 401, message: 'The code is not correct or was already used.' },
  CLARUS_ERR_FORBIDDEN: { status: 403, message: 'You do not have permission for this action.' },
  CLARUS_ERR_CSRF: { status: 403, message: 'The request is missing a valid CSRF token.' },
  CLARUS_ERR_STEP_UP_REQUIRED: { status: 403, message: 'Confirm with your second factor to continue.' },
  CLARUS_ERR_MFA_STAGE: { status: 403, message: 'Complete the second factor first.' },
  CLARUS_ERR_NOT_FOUND: { status: 404, message: 'Not found.' },
  CLARUS_ERR_ENROLMENT_INVALID: { status: 404, message: 'This enrolment link is not valid or has expired.' },
  CLARUS_ERR_CONFLICT: { status: 409, message: 'The request conflicts with the current state.' },
  CLARUS_ERR_MRN_TAKEN: { status: 409, message: 'Another patient of this organisation has this MRN.' },
  CLARUS_ERR_EMAIL_UNAVAILABLE: { status: 409, message: 'This e-mail address cannot be used.' },
  CLARUS_ERR_PASSWORD_WEAK: { status: 400, message: 'Choose a password of at least 12 characters that is not commonly used.' },
  CLARUS_ERR_PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  CLARUS_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'This content type is not accepted.' },
  CLARUS_ERR_RENDER_UNSUPPORTED: { status: 415, message: 'This image is stored but cannot be displayed (for example a compressed DICOM transfer syntax); download it instead.' },
  CLARUS_ERR_AUTH_LOCKED: { status: 429, message: 'Too many failed sign-in attempts. Try again later.' },
  CLARUS_ERR_RATE_LIMITED: { status: 429, message: 'Too many requests. Slow down.' },
  // Unmatched DICOM is held for reconciliation instead (202); this remains for files with no Patient ID to match by.
  CLARUS_ERR_PATIENT_UNMATCHED: { status: 422, message: 'The file cannot be matched to a patient of this organisation; choose the patient for this upload.' },
  CLARUS_ERR_PATIENT_MISMATCH: { status: 422, message: 'The image belongs to another patient than the one chosen.' },
  CLARUS_ERR_INSTANCE_CONFLICT: { status: 409, message: 'An image with this SOP Instance UID but different content exists.' },
  // DICOMweb (PS3.18): an Accept header that names no representation Clarus serves for the resource;
  // a STOW-RS instance that is not of the study named in the request URL (§10.5.1).
  CLARUS_ERR_NOT_ACCEPTABLE: { status: 406, message: 'None of the accepted media types can be served for this resource.' },
  CLARUS_ERR_STUDY_MISMATCH: { status: 409, message: 'The instance does not belong to the study named in the request.' },
  CLARUS_ERR_MULTIPART_MALFORMED: { status: 400, message: 'The multipart body is not well formed, or has more parts than allowed.' },
  // Issue 7 (PRIV-1, DEID-1, DEID-2): what keeps images from leaving de-identified.
  CLARUS_ERR_CONSENT_MISSING: { status: 409, message: 'A patient of this request has not granted consent for this purpose.' },
  CLARUS_ERR_PIXEL_REVIEW_PENDING: { status: 409, message: 'Some images may carry text in their pixels and wait for a reviewer to confirm or mask them.' },
  CLARUS_ERR_DEID_OPTION_REFUSED: { status: 400, message: 'This de-identification option keeps identifiers that a Safe Harbor export must remove.' },
  CLARUS_ERR_EXPORT_TOO_LARGE: { status: 422, message: 'The export is too large; choose fewer studies.' },
  CLARUS_ERR_EXPORT_NOT_READY: { status: 409, message: 'The export is not ready for download.' },
  // Resumable uploads (tus 1.0.0, docs/api-images.md): a PATCH at another offset than the server's
  // (§PATCH: 409), one while another request holds the upload (423, RFC 4918 §11.3), bytes beyond the
  // declared Upload-Length, and a Tus-Resumable version the server does not speak (§Tus-Resumable: 412).
  CLARUS_ERR_UPLOAD_OFFSET_MISMATCH: { status: 409, message: 'The Upload-Offset does not match what the server holds; ask for the current offset and resume from there.' },
  CLARUS_ERR_UPLOAD_LOCKED: { status: 423, message: 'Another request is writing to this upload; try again shortly.' },
  CLARUS_ERR_UPLOAD_LENGTH_EXCEEDED: { status: 413, message: 'The data goes beyond the declared length of the upload.' },
  CLARUS_ERR_TUS_VERSION: { status: 412, message: 'This version of the tus protocol is not supported; use 1.0.0.' },
  CLARUS_ERR_UPLOAD_LIMIT: { status: 429, message: 'Too many unfinished resumable uploads; finish or cancel some first.' },
  CLARUS_ERR_UPLOAD_CHUNKS: { status: 413, message: 'The upload was sent in too many pieces; start it again with larger chunks.' },
  CLARUS_ERR_SEARCH_TOO_BROAD: { status: 422, message: 'Too many patients match; type more of the name.' },
  CLARUS_ERR_DATA_INTEGRITY: { status: 500, message: 'Stored data could not be read safely. The incident was recorded; quote the request id to support.' },
  CLARUS_ERR_INTERNAL: { status: 500, message: 'Something went wrong. Quote the request id to support.' },
  CLARUS_ERR_UNAVAILABLE: { status: 503, message: 'A required service is unavailable.' },
  CLARUS_ERR_AUDIT_UNAVAILABLE: { status: 503, message: 'The audit log is unavailable, so this action cannot be recorded and was not done. Try again shortly.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalog;

export interface FieldProblem {
  path: string;
  message: string;
}

/** An expected failure that maps to one catalog entry; services throw it, the HTTP layer renders it. */
export class ClarusError extends Error {
  readonly status: number;
  constructor(readonly code: ErrorCode, readonly fields?: FieldProblem[]) {
    super(errorCatalog[code].message);
    this.status = errorCatalog[code].status;
  }
}
