/**
 * Why an upload can be refused (ING-1, ING-3, ING-4): stable codes, safe messages and their HTTP
 * status. The validators in src/ingest answer with these codes; the error catalog turns each into
 * `CLARUS_ERR_FILE_<CODE>`, so the two never drift apart.
 *
 * 415: the bytes are not an accepted type or disagree with the declared Content-Type; 413: over a
 * size limit; 422: an accepted type whose content is refused; 503: the malware scanner cannot give a
 * verdict (fail closed, ING-3).
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
} as const satisfies Record<string, { status: number; message: string }>;

export type IngestRefusalCode = keyof typeof ingestRefusalCatalog;

/** Stable refusal codes: clients and tests match on them. */
export const ingestRefusalCodes = Object.keys(ingestRefusalCatalog) as IngestRefusalCode[];

/** The error-catalog entries of the refusals: `CLARUS_ERR_FILE_<CODE>`. */
export const fileErrorCatalog = Object.fromEntries(
  Object.entries(ingestRefusalCatalog).map(([code, entry]) => [`CLARUS_ERR_FILE_${code}`, entry]),
) as { [K in IngestRefusalCode as `CLARUS_ERR_FILE_${K}`]: (typeof ingestRefusalCatalog)[K] };
