/**
 * NIfTI-1 and NIfTI-2 header checks (ING-4), done on the header alone and before anything large
 * is allocated: sizeof_hdr and byte order, dim[0] in 1..7, every used dim ≥ 1, a known datatype
 * whose bitpix agrees, vox_offset at or after the header, and dims × bytes per voxel inside the
 * file and under a cap. Layouts: nifti1.h (NIfTI-1, 348-byte header) and nifti2.h (NIfTI-2, 540).
 */
import { accept, type IngestResult, refuse } from './ingest-errors.ts';

export interface NiftiLimits {
  /** Largest voxel data accepted, dims × bytes per voxel, in bytes. */
  maxVoxelBytes: number;
}

export const defaultNiftiLimits: Readonly<NiftiLimits> = { maxVoxelBytes: 1024 * 1024 * 1024 };

export interface NiftiExtension {
  /** ecode (nifti1.h "NIFTI_ECODE_*"): 2 DICOM, 4 AFNI, 6 comment, … — may hold PHI. */
  code: number;
  /** esize: bytes including the 8-byte esize/ecode prefix. */
  size: number;
}

export interface NiftiHeader {
  version: 1 | 2;
  littleEndian: boolean;
  /** sizeof_hdr: 348 or 540. */
  headerBytes: number;
  /** dim[1..dim[0]]. */
  dims: number[];
  datatype: number;
  datatypeName: string;
  bytesPerVoxel: number;
  /** pixdim[0..7]: pixdim[0] is qfac, pixdim[1..] the voxel sizes. */
  pixdim: number[];
  /** Where voxel data starts: vox_offset, but never before header + 4 extender bytes (nifti1.h). */
  voxOffset: number;
  /** dims × bytes per voxel. */
  voxelBytes: number;
  intentCode: number;
  qformCode: number;
  sformCode: number;
  xyztUnits: number;
  /** Free text fields: may contain PHI (de-identify before sharing). */
  descrip: string;
  auxFile: string;
  intentName: string;
  /** db_name: NIfTI-1 only (an unused ANALYZE field, but writers put names in it). */
  dbName?: string;
  /** The extender's first byte is non-zero: extensions follow the header (nifti1.h §extension). */
  hasExtensions: boolean;
  /** The extensions found between the header and vox_offset, as far as the given bytes reach. */
  extensions: NiftiExtension[];
}

/** NIfTI datatypes (nifti1.h "DT_*") with their bytes per voxel. DT_BINARY (1 bit) is not accepted. */
const datatypes: ReadonlyMap<number, { name: string; bytes: number }> = new Map([
  [2, { name: 'uint8', bytes: 1 }],
  [4, { name: 'int16', bytes: 2 }],
  [8, { name: 'int32', bytes: 4 }],
  [16, { name: 'float32', bytes: 4 }],
  [32, { name: 'complex64', bytes: 8 }],
  [64, { name: 'float64', bytes: 8 }],
  [128, { name: 'rgb24', bytes: 3 }],
  [256, { name: 'int8', bytes: 1 }],
  [512, { name: 'uint16', bytes: 2 }],
  [768, { name: 'uint32', bytes: 4 }],
  [1024, { name: 'int64', bytes: 8 }],
  [1280, { name: 'uint64', bytes: 8 }],
  [1536, { name: 'float128', bytes: 16 }],
  [1792, { name: 'complex128', bytes: 16 }],
  [2048, { name: 'complex256', bytes: 32 }],
  [2304, { name: 'rgba32', bytes: 4 }],
]);

/** A NUL-terminated fixed-width text field. */
function text(bytes: Buffer, offset: number, width: number): string {
  const field = bytes.subarray(offset, offset + width);
  const end = field.indexOf(0);
  return field.toString('latin1', 0, end === -1 ? field.length : end).trimEnd();
}

interface Layout {
  version: 1 | 2;
  headerBytes: number;
  view: DataView;
  littleEndian: boolean;
}

/** Byte order from sizeof_hdr, the only field with a known value (nifti1.h "needs_swapping"). */
function layoutOf(head: Buffer): Layout | undefined {
  if (head.length < 4) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.length);
  for (const headerBytes of [348, 540]) {
    for (const littleEndian of [true, false]) {
      if (view.getInt32(0, littleEndian) === headerBytes) return { version: headerBytes === 348 ? 1 : 2, headerBytes, view, littleEndian };
    }
  }
  return undefined;
}

/** The fields both versions share, read at their version's offsets; integers as bigint. */
function readFields(head: Buffer, { version, view, littleEndian: le }: Layout) {
  const int64 = (offset: number): bigint => view.getBigInt64(offset, le);
  if (version === 1) {
    return {
      magic: head.toString('latin1', 344, 348),
      dims: Array.from({ length: 8 }, (_, i) => BigInt(view.getInt16(40 + 2 * i, le))),
      datatype: view.getInt16(70, le), bitpix: view.getInt16(72, le),
      pixdim: Array.from({ length: 8 }, (_, i) => view.getFloat32(76 + 4 * i, le)),
      voxOffset: view.getFloat32(108, le),
      intentCode: view.getInt16(68, le), qformCode: view.getInt16(252, le), sformCode: view.getInt16(254, le), xyztUnits: view.getUint8(123),
      descrip: text(head, 148, 80), auxFile: text(head, 228, 24), intentName: text(head, 328, 16), dbName: text(head, 14, 18) as string | undefined,
    };
  }
  return {
    magic: head.toString('latin1', 4, 8),
    dims: Array.from({ length: 8 }, (_, i) => int64(16 + 8 * i)),
    datatype: view.getInt16(12, le), bitpix: view.getInt16(14, le),
    pixdim: Array.from({ length: 8 }, (_, i) => view.getFloat64(104 + 8 * i, le)),
    voxOffset: Number(int64(168)),
    intentCode: view.getInt32(504, le), qformCode: view.getInt32(344, le), sformCode: view.getInt32(348, le), xyztUnits: view.getInt32(500, le),
    descrip: text(head, 240, 80), auxFile: text(head, 320, 24), intentName: text(head, 508, 16), dbName: undefined as string | undefined,
  };
}

/**
 * The extension chain (nifti1.h): after the 4-byte extender, records of esize (a positive multiple
 * of 16, including its 8-byte prefix) and ecode, which must end at or before vox_offset.
 */
function readExtensions(head: Buffer, layout: Layout, voxOffset: number): IngestResult<NiftiExtension[]> {
  const extensions: NiftiExtension[] = [];
  let offset = layout.headerBytes + 4;
  while (offset < voxOffset && offset + 8 <= head.length) {
    const size = layout.view.getInt32(offset, layout.littleEndian);
    const code = layout.view.getInt32(offset + 4, layout.littleEndian);
    if (size < 16 || size % 16 !== 0 || offset + size > voxOffset) return refuse('MALFORMED', 'NIfTI extension size is not a multiple of 16 inside the header space');
    extensions.push({ code, size });
    offset += size;
  }
  return accept(extensions);
}

/**
 * Checks a NIfTI header. `head` is the start of the (inflated) file: the header at least, more to
 * read the extension list. Pass `fileSize` (the inflated size) when known: the voxel data must then
 * fit in it. Nothing here allocates in proportion to the declared dimensions.
 */
export function checkNiftiHeader(head: Buffer, options: { fileSize?: number; limits?: Partial<NiftiLimits> } = {}): IngestResult<NiftiHeader> {
  const limits: NiftiLimits = { ...defaultNiftiLimits, ...options.limits };
  const layout = layoutOf(head);
  if (layout === undefined) return refuse('UNSUPPORTED_TYPE', 'sizeof_hdr is neither 348 nor 540');
  if (head.length < layout.headerBytes) return refuse('TRUNCATED', 'file ends inside the NIfTI header');
  const fields = readFields(head, layout);
  const single = layout.version === 1 ? 'n+1\0' : 'n+2\0';
  const pair = layout.version === 1 ? 'ni1\0' : 'ni2\0';
  // A .hdr/.img pair keeps voxels in a second file; uploads are single files (ING-1: .nii, .nii.gz).
  if (fields.magic === pair) return refuse('UNSUPPORTED_TYPE', 'two-file NIfTI (.hdr/.img)');
  if (fields.magic !== single) return refuse('MALFORMED', 'NIfTI magic missing');

  const rank = fields.dims[0] ?? 0n;
  if (rank < 1n || rank > 7n) return refuse('MALFORMED', 'dim[0] outside 1..7');
  const dims = fields.dims.slice(1, 1 + Number(rank));
  if (dims.some((d) => d < 1n)) return refuse('MALFORMED', 'a used dim is below 1');
  const type = datatypes.get(fields.datatype);
  if (type === undefined) return refuse('UNSUPPORTED_TYPE', `NIfTI datatype ${fields.datatype} not accepted`);
  if (fields.bitpix !== type.bytes * 8) return refuse('MALFORMED', 'bitpix disagrees with datatype');

  if (!Number.isSafeInteger(fields.voxOffset) || fields.voxOffset < 0) return refuse('MALFORMED', 'vox_offset is not a non-negative integer');
  // nifti1.h: in a .nii file a vox_offset below 352 means 352 (544 for NIfTI-2): data never overlaps
  // the header or its 4 extender bytes.
  const voxOffset = Math.max(fields.voxOffset, layout.headerBytes + 4);

  // BigInt: seven int64 dims multiply far past 2^53.
  const voxelBytesBig = dims.reduce((product, d) => product * d, BigInt(type.bytes));
  if (voxelBytesBig > BigInt(limits.maxVoxelBytes)) return refuse('DIMENSIONS', `voxel data over ${limits.maxVoxelBytes} bytes`);
  const voxelBytes = Number(voxelBytesBig);
  if (options.fileSize !== undefined && voxOffset + voxelBytes > options.fileSize) return refuse('TRUNCATED', 'voxel data larger than the file');

  const hasExtensions = head.length > layout.headerBytes && head[layout.headerBytes] !== 0;
  const extensions = hasExtensions ? readExtensions(head, layout, voxOffset) : accept<NiftiExtension[]>([]);
  if (!extensions.ok) return extensions;

  return accept({
    version: layout.version,
    littleEndian: layout.littleEndian,
    headerBytes: layout.headerBytes,
    dims: dims.map(Number),
    datatype: fields.datatype,
    datatypeName: type.name,
    bytesPerVoxel: type.bytes,
    pixdim: fields.pixdim,
    voxOffset,
    voxelBytes,
    intentCode: fields.intentCode,
    qformCode: fields.qformCode,
    sformCode: fields.sformCode,
    xyztUnits: fields.xyztUnits,
    descrip: fields.descrip,
    auxFile: fields.auxFile,
    intentName: fields.intentName,
    ...(fields.dbName === undefined ? {} : { dbName: fields.dbName }),
    hasExtensions,
    extensions: extensions.value,
  });
}

/** Validates a whole (inflated) NIfTI file held in memory. */
export function validateNifti(bytes: Buffer, limits: Partial<NiftiLimits> = {}): IngestResult<NiftiHeader> {
  return checkNiftiHeader(bytes, { fileSize: bytes.length, limits });
}

export { gunzipCapped, type GunzipCaps } from './gunzip-capped.ts';
