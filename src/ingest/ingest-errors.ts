/**
 * Why an upload was refused (ING-1, ING-3, ING-4). Every validator in `ingest/` answers with an
 * {@link IngestResult}; the scanner rejects with an {@link IngestRefusal} subclass. The pipeline
 * maps the stable `code` onto the error catalog (`CLARUS_ERR_*`) and an HTTP status.
 *
 * Messages are safe to show to a client: they never contain file content, file names, tag values
 * or offsets. `detail` is for the server log only (it may name a tag or a parser's message, never
 * a value from the file).
 */

import { ingestRefusalCatalog, type IngestRefusalCode } from '../domain/ingest-refusals.ts';

export { ingestRefusalCatalog, ingestRefusalCodes, type IngestRefusalCode } from '../domain/ingest-refusals.ts';

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
