/**
 * NIfTI de-identification (DEID-3): the header's free-text fields are cleared and every extension is
 * dropped (extensions carry whole DICOM headers, AFNI/XML notes, comments — ecodes 2, 4, 6… of
 * nifti1.h). Layouts: nifti1.h (348-byte header) and nifti2.h (540). The output is a single file
 * with the voxels right after the header and a zero extender: vox_offset 352 (NIfTI-1) or 544
 * (NIfTI-2); `.nii.gz` input gives `.nii.gz` output, compressed without a file name or time stamp
 * in the gzip header (RFC 1952 FNAME, MTIME), which could name or date the patient too.
 */
import { gzipSync } from 'node:zlib';
import { checkNiftiHeader, gunzipCapped, validateNifti, type NiftiHeader } from '../ingest/nifti-validate.ts';
import { isGzip, sniffGzipHead } from '../ingest/sniff-type.ts';
import { refuseDeid, type DeidResult } from './deid-result.ts';

export interface NiftiDeidLimits {
  /** Largest voxel data accepted (default 1 GiB, as ingest). */
  maxVoxelBytes: number;
  /** Most bytes inflated past the declared size of a .nii.gz, for trailing data (default 1 MiB). */
  inflateSlackBytes: number;
}

export interface NiftiDeidReport {
  version: 1 | 2;
  gzip: boolean;
  /** Header text fields that held something and were cleared. */
  clearedFields: string[];
  /** Extensions dropped, and bytes of extensions and trailing data not copied. */
  extensionsDropped: number;
  bytesDropped: number;
}

/** Text fields of each layout: name, offset, width (nifti1.h, nifti2.h). */
const textFields: Record<1 | 2, ReadonlyArray<readonly [string, number, number]>> = {
  1: [['data_type', 4, 10], ['db_name', 14, 18], ['descrip', 148, 80], ['aux_file', 228, 24], ['intent_name', 328, 16]],
  2: [['descrip', 240, 80], ['aux_file', 320, 24], ['intent_name', 508, 16], ['unused_str', 525, 15]],
};

function rebuild(bytes: Buffer, header: NiftiHeader): { out: Buffer; cleared: string[] } {
  const offset = header.headerBytes + 4;
  const out = Buffer.alloc(offset + header.voxelBytes);
  bytes.copy(out, 0, 0, header.headerBytes);
  const cleared: string[] = [];
  for (const [name, start, width] of textFields[header.version]) {
    if (out.subarray(start, start + width).some((b) => b !== 0)) cleared.push(name);
    out.fill(0, start, start + width);
  }
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  // vox_offset: float32 at 108 (NIfTI-1), int64 at 168 (NIfTI-2), in the file's byte order.
  if (header.version === 1) view.setFloat32(108, offset, header.littleEndian);
  else view.setBigInt64(168, BigInt(offset), header.littleEndian);
  // The extender (4 bytes after the header) stays zero: no extensions follow (nifti1.h).
  bytes.copy(out, offset, header.voxOffset, header.voxOffset + header.voxelBytes);
  return { out, cleared };
}

/** De-identifies a `.nii` or `.nii.gz` held in memory. */
export async function deidentifyNifti(bytes: Buffer, limitsIn: Partial<NiftiDeidLimits> = {}): Promise<DeidResult<NiftiDeidReport>> {
  const limits: NiftiDeidLimits = { maxVoxelBytes: 1024 * 1024 * 1024, inflateSlackBytes: 1024 * 1024, ...limitsIn };
  const gzip = isGzip(bytes);
  let plain = bytes;
  if (gzip) {
    // The inflated size is known from the header before inflating the rest (ING-4: no bombs).
    const head = checkNiftiHeader(await sniffGzipHead(bytes, 552), { limits: { maxVoxelBytes: limits.maxVoxelBytes } });
    if (!head.ok) return refuseDeid('UNREADABLE', head.refusal.message);
    const inflated = await gunzipCapped(bytes, { maxBytes: head.value.voxOffset + head.value.voxelBytes + limits.inflateSlackBytes, maxRatio: 1100 });
    if (!inflated.ok) return refuseDeid('UNREADABLE', inflated.refusal.message);
    plain = inflated.value;
  }
  const checked = validateNifti(plain, { maxVoxelBytes: limits.maxVoxelBytes });
  if (!checked.ok) return refuseDeid('UNREADABLE', checked.refusal.message);
  const header = checked.value;
  const { out, cleared } = rebuild(plain, header);
  return {
    ok: true,
    bytes: gzip ? gzipSync(out) : out,
    report: {
      version: header.version, gzip, clearedFields: cleared, extensionsDropped: header.extensions.length,
      bytesDropped: plain.length - out.length,
    },
  };
}
