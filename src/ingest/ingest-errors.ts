/**
 * Why an upload was refused (ING-1, ING-3, ING-4). Every validator in `ingest/` answers with an
 * {@link IngestResult}; the scanner rejects with an {@link IngestRefusal} subclass. The pipeline
 * maps the stable `code` onto the error catalog (`CLARUS_ERR_*`) and an HTTP status.
 *
 * Messages are safe to show to a client: they never contain file content, file names, tag values
 * or offsets. `detail` is for the server log only (it may name a tag or a parser's message, never
 * a value from the file).
 */

/** Stable refusal codes: clients and tests match on them. */
export const ingestRefusalCodes = [
  'UNSUPPORTED_TYPE',
  'TYPE_MISMATCH',
  'TRUNCATED',
  'MALFORMED',
  'TOO_DEEP',
  'TOO_LARGE',
  'DIMENSIONS',
  'DECOMPRESSION_BOMB',
  'NOT_DICOM_PART10',
  'MISSING_UID',
  'INVALID_UID',
  'UID_MISMATCH',
  'INFECTED',
  'SCANNER_UNAVAILABLE',
] as const;

export type IngestRefusalCode = (typeof ingestRefusalCodes)[number];

/**
 * The safe message and a suggested HTTP status for each code. 415: the bytes are not an accepted
 * type or disagree with the declared Content-Type; 413: over a size limit; 422: an accepted type
 * whose content is refused; 503: the malware scanner cannot give a verdict (fail closed, ING-3).
 */
export const ingestRefusalCatalog = {
  UNSUPPORTED_TYPE: { status: 415, message: 'This file type is not accepted.' },
  TYPE_MISMATCH: { status: 415, message: 'The declared content type does not match the file content.' },
  TRUNCATED: { status: 422, message: 'The file is incomplete: it ends before its declared content.' },
  MALFORMED: { status: 422, message: 'The file is not well formed.' },
  TOO_DEEP: { status: 422, message: 'The file nests sequences deeper than allowed.' },
  TOO_LARGE: { status: 413, message: 'The file is larger than allowed.' },
  DIMENSIONS: { status: 422, message: 'The image dimensions exceed the allowed limits.' },
  DECOMPRESSION_BOMB: { status: 422, message: 'The compressed content expands beyond the allowed limits.' },
  NOT_DICOM_PART10: { status: 415, message: 'The file is not a DICOM Part 10 file with a complete file meta information header.' },
  MISSING_UID: { status: 422, message: 'A required DICOM unique identifier is missing.' },
  INVALID_UID: { status: 422, message: 'A DICOM unique identifier is not valid.' },
  UID_MISMATCH: { status: 422, message: 'The file meta information does not agree with the data set.' },
  INFECTED: { status: 422, message: 'The file was refused by the malware scanner.' },
  SCANNER_UNAVAILABLE: { status: 503, message: 'The malware scanner is unavailable; the file was not accepted.' },
} as const satisfies Record<IngestRefusalCode, { status: number; message: string }>;

/** An expected refusal of an upload. `message` is safe for clients; `detail` is for the server log. */
export class IngestRefusal extends Error {
  readonly status: number;
  constructor(readonly code: IngestRefusalCode, readonly detail?: string) {
    super(ingestRefusalCatalog[code].message);
    this.name = 'IngestRefusal';
    this.status = ingestRefusalCatalog[code].status;
  }
}

/** The outcome of a validator: the parsed value, or the refusal. */
export type IngestResult<T> = { ok: true; value: T } | { ok: false; refusal: IngestRefusal };

/** An accepted result. */
export function accept<T>(value: T): IngestResult<T> {
  return { ok: true, value };
}

/** A refused result; `detail` goes to the server log only. */
export function refuse<T = never>(code: IngestRefusalCode, detail?: string): IngestResult<T> {
  return { ok: false, refusal: new IngestRefusal(code, detail) };
}

/** True for an {@link IngestRefusal} (including the scanner's subclass). */
export function isIngestRefusal(value: unknown): value is IngestRefusal {
  return value instanceof IngestRefusal;
}

/**
 * A short description of a thrown value for `detail`. Parser messages here (dicom-parser, zlib,
 * sharp) describe structure, never content; the length bound keeps logs small anyway.
 */
export function describeThrown(thrown: unknown): string {
  const text = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : typeof thrown === 'string' ? thrown : 'non-error value thrown';
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
