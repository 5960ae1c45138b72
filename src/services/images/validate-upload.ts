import { Readable } from 'node:stream';
import { validateDicom, type DicomSummary } from '../../ingest/dicom-validate.ts';
import { reencodeWithoutMetadata } from '../../ingest/image-validate.ts';
import { IngestRefusal, type IngestResult } from '../../ingest/ingest-errors.ts';
import { checkNiftiHeader, gunzipCapped, type NiftiHeader } from '../../ingest/nifti-validate.ts';
import { contentTypeAgrees, sniffUploadHead } from '../../ingest/sniff-type.ts';

export interface UploadLimits {
  maxBytes: number;
  /** NIfTI .nii.gz: the largest decompressed size and ratio accepted (decompression bombs). */
  maxInflatedBytes: number;
  maxInflateRatio: number;
  maxImagePixels: number;
}

/** A file that passed every check, in the form it is stored. */
export type AcceptedFile =
  | { kind: 'dicom'; bytes: Buffer; dicom: DicomSummary }
  | { kind: 'nifti'; bytes: Buffer; nifti: NiftiHeader }
  | { kind: 'png' | 'jpeg'; bytes: Buffer; width: number; height: number };

/**
 * A large DICOM file validated from its staged object as a stream (streamed-dicom.ts): its bytes
 * stay sealed there; `open` streams them once more, preamble zeroed, for storage.
 */
export interface StreamedDicomFile {
  kind: 'dicom';
  dicom: DicomSummary;
  size: number;
  open: () => Promise<Readable>;
}

/** A file that passed every check, held in memory or streamed. */
export type ValidatedFile = AcceptedFile | StreamedDicomFile;

/** Bytes of the file as it is stored. */
export function storedSizeOf(file: ValidatedFile): number {
  return 'bytes' in file ? file.bytes.length : file.size;
}

/** The file as it is stored, as a stream. */
export async function contentOf(file: ValidatedFile): Promise<Readable> {
  return 'bytes' in file ? Readable.from([file.bytes]) : file.open();
}

function unwrap<T>(result: IngestResult<T>): T {
  if (!result.ok) throw result.refusal;
  return result.value;
}

/**
 * ING-1 and ING-4: the type comes from the bytes, and the declared Content-Type must agree; each
 * type is then checked by its own hardened validator. `bytes` is the caller's to give away: DICOM is
 * changed in place. What is stored: DICOM with its preamble zeroed
 * (CVE-2019-11687), NIfTI as sent (its header checked before anything is allocated, gzip capped),
 * PNG and JPEG re-encoded without any metadata.
 */
export async function validateUpload(bytes: Buffer, declaredContentType: string | undefined, limits: UploadLimits): Promise<AcceptedFile> {
  const kind = await sniffUploadHead(bytes.subarray(0, 1024));
  if (kind === 'unknown') throw new IngestRefusal('UNSUPPORTED_TYPE');
  if (!contentTypeAgrees(kind, declaredContentType)) throw new IngestRefusal('TYPE_MISMATCH', `declared ${declaredContentType ?? 'nothing'} for ${kind}`);
  switch (kind) {
    case 'dicom': {
      const dicom = unwrap(validateDicom(bytes));
      // CVE-2019-11687: the preamble is zeroed in place (the buffer is this upload's own copy; a second
      // copy of a 100 MB file is what the memory budget is there to avoid).
      bytes.fill(0, 0, 128);
      return { kind: 'dicom', bytes, dicom };
    }
    case 'nifti1':
    case 'nifti2':
      return { kind: 'nifti', bytes, nifti: unwrap(checkNiftiHeader(bytes, { fileSize: bytes.length })) };
    case 'nifti-gzip': {
      const inflated = unwrap(await gunzipCapped(bytes, { maxBytes: limits.maxInflatedBytes, maxRatio: limits.maxInflateRatio }));
      return { kind: 'nifti', bytes, nifti: unwrap(checkNiftiHeader(inflated, { fileSize: inflated.length })) };
    }
    case 'png':
    case 'jpeg': {
      const clean = unwrap(await reencodeWithoutMetadata(bytes, { maxPixels: limits.maxImagePixels }));
      return { kind: clean.format, bytes: clean.data, width: clean.width, height: clean.height };
    }
    default: {
      const unexpected: never = kind;
      throw new IngestRefusal('UNSUPPORTED_TYPE', String(unexpected));
    }
  }
}
