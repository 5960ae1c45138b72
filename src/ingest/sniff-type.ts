/**
 * The type of an upload decided from its bytes only (ING-1): magic numbers and a little structure,
 * never the file name. The client's Content-Type must then agree ({@link contentTypeAgrees});
 * a disagreement is the caller's 415.
 */
import { createGunzip } from 'node:zlib';

export type SniffedKind = 'dicom' | 'nifti1' | 'nifti2' | 'nifti-gzip' | 'png' | 'jpeg' | 'unknown';

/** How many leading bytes the caller should buffer before sniffing (NIfTI-2 needs 540 + 8). */
export const SNIFF_HEAD_BYTES = 1024;

/** PNG signature, ISO/IEC 15948 (RFC 2083) §5.2 / §12.12. */
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** NIfTI-2 magic: "n+2\0" then "\r\n\032\n" (nifti2.h), which catches text-mode transfer damage. */
const NIFTI2_MAGIC_TAIL = Buffer.from([0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * DICOM Part 10 (PS3.10 §7.1): a 128-byte preamble, the four bytes "DICM", then the File Meta
 * Information, which always starts with a group 0002 element in Explicit VR Little Endian.
 */
function isDicomPart10(head: Buffer): boolean {
  if (head.length < 132 || head.toString('latin1', 128, 132) !== 'DICM') return false;
  return head.length < 134 || head.readUInt16LE(132) === 0x0002;
}

/** sizeof_hdr in either byte order (the NIfTI headers have no byte-order mark but this field). */
function headerSizeIs(head: Buffer, size: number): boolean {
  return head.length >= 4 && (head.readInt32LE(0) === size || head.readInt32BE(0) === size);
}

/** NIfTI-1 (nifti1.h): sizeof_hdr = 348 and magic "n+1\0" (single file) or "ni1\0" (.hdr/.img pair) at 344. */
function isNifti1(head: Buffer): boolean {
  if (head.length < 348 || !headerSizeIs(head, 348)) return false;
  const magic = head.toString('latin1', 344, 348);
  return magic === 'n+1\0' || magic === 'ni1\0';
}

/** NIfTI-2 (nifti2.h): sizeof_hdr = 540 and the 8-byte magic "n+2\0\r\n\032\n" (or "ni2\0…") at 4. */
function isNifti2(head: Buffer): boolean {
  if (head.length < 540 || !headerSizeIs(head, 540)) return false;
  const magic = head.toString('latin1', 4, 8);
  return (magic === 'n+2\0' || magic === 'ni2\0') && head.subarray(8, 12).equals(NIFTI2_MAGIC_TAIL);
}

/** PNG: the 8-byte signature, and IHDR must be the first chunk with length 13 (ISO 15948 §5.6, §11.2.2). */
function isPng(head: Buffer): boolean {
  return head.length >= 16 && head.subarray(0, 8).equals(PNG_SIGNATURE) && head.readUInt32BE(8) === 13 && head.toString('latin1', 12, 16) === 'IHDR';
}

/** JPEG (ITU-T T.81 Annex B.2): SOI (FFD8) followed by the 0xFF that starts the next marker. */
function isJpeg(head: Buffer): boolean {
  return head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
}

/** gzip member header (RFC 1952 §2.3.1): ID1 ID2 = 1f 8b, CM = 8 (deflate). */
export function isGzip(head: Buffer): boolean {
  return head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08;
}

/**
 * The kind of a file from its first bytes ({@link SNIFF_HEAD_BYTES} suffice). A gzip stream is
 * 'nifti-gzip' only when the caller passes the inflated head (see {@link sniffGzipHead}) and that
 * head is NIfTI; any other gzip content is 'unknown'.
 *
 * DICOM is tested first: its preamble is free-form (PS3.10 §7.1), so a file with "DICM" at 128 is
 * treated as DICOM whatever its first bytes say; validation then decides, and the stored copy has
 * its preamble zeroed (CVE-2019-11687).
 */
export function sniffType(firstBytes: Buffer, gunzippedHead?: Buffer): SniffedKind {
  if (isDicomPart10(firstBytes)) return 'dicom';
  if (isNifti2(firstBytes)) return 'nifti2';
  if (isNifti1(firstBytes)) return 'nifti1';
  if (isPng(firstBytes)) return 'png';
  if (isJpeg(firstBytes)) return 'jpeg';
  if (isGzip(firstBytes) && gunzippedHead !== undefined && (isNifti1(gunzippedHead) || isNifti2(gunzippedHead))) return 'nifti-gzip';
  return 'unknown';
}

/**
 * Inflates at most `maxBytes` (default 1 KiB) from the start of a gzip stream, for sniffing. It
 * never inflates more than one small output chunk past the limit (the inflater is destroyed as soon
 * as enough bytes arrived), so a decompression bomb costs nothing here. A damaged or truncated
 * stream yields whatever was inflated before the damage (possibly an empty buffer).
 */
export async function sniffGzipHead(compressed: Buffer, maxBytes = SNIFF_HEAD_BYTES): Promise<Buffer> {
  return new Promise((resolve) => {
    const inflater = createGunzip({ chunkSize: Math.max(64, maxBytes) });
    const parts: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      inflater.destroy();
      resolve(Buffer.concat(parts, total).subarray(0, maxBytes));
    };
    inflater.on('data', (chunk: Buffer) => {
      if (done) return;
      parts.push(chunk);
      total += chunk.length;
      if (total >= maxBytes) finish();
    });
    inflater.on('end', finish);
    inflater.on('error', finish);
    inflater.on('close', finish);
    inflater.end(compressed);
  });
}

/** {@link sniffType} for an upload's head, inflating the head of a gzip stream when needed. */
export async function sniffUploadHead(firstBytes: Buffer): Promise<SniffedKind> {
  if (!isGzip(firstBytes)) return sniffType(firstBytes);
  return sniffType(firstBytes, await sniffGzipHead(firstBytes));
}

/**
 * The media types accepted for each kind (RFC 6838 names; PS3.18 §8.7.3 for application/dicom).
 * application/octet-stream is accepted for DICOM and NIfTI because browsers and tools send it for
 * files without a registered type (NIfTI has none).
 */
const acceptedMediaTypes: Record<SniffedKind, readonly string[]> = {
  dicom: ['application/dicom', 'application/octet-stream'],
  nifti1: ['application/octet-stream'],
  nifti2: ['application/octet-stream'],
  'nifti-gzip': ['application/gzip', 'application/x-gzip', 'application/octet-stream'],
  png: ['image/png'],
  jpeg: ['image/jpeg'],
  unknown: [],
};

/** The media types a kind may be declared as. */
export function acceptedContentTypes(kind: SniffedKind): readonly string[] {
  return acceptedMediaTypes[kind];
}

/**
 * Whether the client's declared Content-Type agrees with the sniffed kind. Parameters (`; charset=…`)
 * and case are ignored (media types are case-insensitive, RFC 9110 §8.3.1). A missing declaration
 * never agrees; 'unknown' agrees with nothing.
 */
export function contentTypeAgrees(kind: SniffedKind, declaredContentType: string | undefined): boolean {
  if (declaredContentType === undefined) return false;
  const essence = (declaredContentType.split(';')[0] ?? '').trim().toLowerCase();
  return acceptedMediaTypes[kind].includes(essence);
}
