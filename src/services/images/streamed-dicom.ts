import { createHash } from 'node:crypto';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { validateDicomStream, type Unstreamable } from '../../ingest/dicom-stream-validate.ts';
import { createPreambleZeroer } from '../../ingest/dicom-validate.ts';
import { IngestRefusal } from '../../ingest/ingest-errors.ts';
import { contentTypeAgrees, sniffUploadHead } from '../../ingest/sniff-type.ts';
import type { MemoryBudget } from './memory-budget.ts';
import type { StreamedDicomFile } from './validate-upload.ts';

/**
 * DICOM larger than this is validated and stored from its staged object as a stream; smaller files
 * take the whole-file path (one buffer, dicom-parser over all of it), which is fast and holds little.
 */
export const STREAMING_MIN_BYTES = 8 * 1024 * 1024;

/** Most bytes of one file's data set (without its Pixel Data value) held while it is validated. */
export const MAX_HELD_HEADER_BYTES = 16 * 1024 * 1024;

/** Bytes the type is sniffed from (sniffUploadHead). */
const SNIFF_BYTES = 1024;

export type StagedDicomValidation =
  | { status: 'accepted'; file: StreamedDicomFile; sha256: string }
  /** Not DICOM: the other types are validated whole, as before. */
  | { status: 'not-dicom' }
  /** DICOM that cannot be validated as a stream: only the whole-file validator can decide. */
  | { status: 'unstreamable'; reason: Unstreamable };

/**
 * Streams the staged object once more for storage: the 128-byte preamble zeroed (CVE-2019-11687,
 * PS3.10 §7.1, as the whole-file path does in place), and the bytes checked against the size and
 * SHA-256 of the pass that validated them — a staged object that changed in between fails the write,
 * which then leaves no object (the blob store writes atomically).
 */
export async function openForStorage(open: () => Promise<Readable>, size: number, sha256: string): Promise<Readable> {
  const source = await open();
  const hash = createHash('sha256');
  let seen = 0;
  const verify = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      hash.update(chunk);
      seen += chunk.length;
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      callback(seen === size && hash.digest('hex') === sha256 ? null : new IngestRefusal('MALFORMED', 'the staged object changed between validation and storage'));
    },
  });
  return pipeline(source, verify, createPreambleZeroer(), () => undefined);
}

/**
 * Validates a staged DICOM object without holding it whole (dicom-stream-validate.ts): only the data
 * set before and after its Pixel Data value is held, taken from the ingest memory budget while it is.
 * The SHA-256 of every byte read is computed on the way (the caller compares it with the upload's).
 * Refusals throw an IngestRefusal; the type and the declared Content-Type are checked as
 * validateUpload checks them (ING-1).
 */
export async function validateStagedDicom(open: () => Promise<Readable>, size: number, declaredContentType: string | undefined, memory: MemoryBudget): Promise<StagedDicomValidation> {
  const releases: (() => void)[] = [];
  const hold = async (bytes: number): Promise<void> => {
    releases.push(await memory.acquire(bytes));
  };
  const source = await open();
  const hash = createHash('sha256');
  let read = 0;
  const chunks = (async function* hashed(): AsyncGenerator<Buffer> {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      hash.update(chunk);
      read += chunk.length;
      yield chunk;
    }
  })();
  try {
    const first: Buffer[] = [];
    let firstBytes = 0;
    while (firstBytes < SNIFF_BYTES) {
      const next = await chunks.next();
      if (next.done === true) break;
      first.push(next.value);
      firstBytes += next.value.length;
    }
    const head = Buffer.concat(first);
    const kind = await sniffUploadHead(head.subarray(0, SNIFF_BYTES));
    if (kind !== 'dicom') return { status: 'not-dicom' };
    if (!contentTypeAgrees(kind, declaredContentType)) throw new IngestRefusal('TYPE_MISMATCH', `declared ${declaredContentType ?? 'nothing'} for ${kind}`);
    const all = (async function* again(): AsyncGenerator<Buffer> {
      yield head;
      yield* chunks;
    })();
    const result = await validateDicomStream(all, size, { hold, limits: { maxHeldBytes: MAX_HELD_HEADER_BYTES } });
    if (!result.ok) {
      if (result.refusal !== undefined) throw result.refusal;
      return { status: 'unstreamable', reason: result.unstreamable };
    }
    if (read !== size) throw new IngestRefusal('TRUNCATED', 'the staged object is not the size that was received');
    const sha256 = hash.digest('hex');
    return { status: 'accepted', sha256, file: { kind: 'dicom', dicom: result.value, size, open: () => openForStorage(open, size, sha256) } };
  } finally {
    await chunks.return(undefined);
    source.destroy();
    for (const release of releases) release();
  }
}
