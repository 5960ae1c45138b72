/**
 * Slices of a stored NIfTI-1/2 volume (`.nii` or `.nii.gz`) in the three anatomical planes. The
 * header is checked again with the ingest validator before anything is read; gzip is inflated with
 * node:zlib under a size cap (never nifti-reader-js's uncapped gunzip).
 *
 * Orientation (docs/api-images.md): the header's sform, else qform, else pixdim gives each voxel
 * axis's closest patient axis (nifti-orientation.ts). Axial slices are cut across the voxel axis
 * closest to S-I, coronal across A-P, sagittal across R-L, and drawn in radiological convention,
 * as standard DICOM axial, coronal and sagittal images are stored and the DICOM viewer shows them:
 * axial anterior up and patient right on screen left; coronal superior up, patient right on screen
 * left; sagittal superior up, anterior on screen left. Screen columns and rows therefore always run
 * toward patient left, posterior or inferior; slice indices toward right, anterior or superior
 * (index 0: the most inferior axial, most posterior coronal, most left sagittal slice). Oblique
 * volumes use the nearest permutation: nothing is resampled. First volume of a 4D series.
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { checkNiftiHeader, type NiftiHeader } from '../../ingest/nifti-validate.ts';
import { geometryFields, type NiftiOrientation, niftiOrientation, type PatientAxis } from './nifti-orientation.ts';
import { type DecodedFrame, FrameNotFound, type NiftiPlane, type PixelArray, UnsupportedRendering } from './render-types.ts';

const gunzipAsync = promisify(gunzip);

/** Largest inflated volume rendered: the inflation cap ingest applies to `.nii.gz` uploads (compose.ts). */
export const MAX_NIFTI_BYTES = 512 * 1024 * 1024;

/** Voxels along i, j, k (1 where the volume has fewer dimensions). */
export interface NiftiDims {
  x: number;
  y: number;
  z: number;
  /** Slices in each plane (the voxels along the axis closest to its normal); absent: i, j, k as sagittal, coronal, axial. */
  slices?: Record<NiftiPlane, number>;
}

export interface NiftiVolume {
  header: NiftiHeader;
  data: Buffer;
  dims: NiftiDims;
  orientation: NiftiOrientation;
  sclSlope: number;
  sclInter: number;
  calMin: number;
  calMax: number;
}

/** Inflates a gzip-wrapped volume (RFC 1952 magic 1F 8B) under the cap; a plain `.nii` passes through. */
async function inflated(bytes: Buffer): Promise<Buffer> {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  return gunzipAsync(bytes, { maxOutputLength: MAX_NIFTI_BYTES });
}

/** scl_slope, scl_inter, cal_max, cal_min (nifti1.h offsets 112/116/124/128; nifti2.h 176/184/192/200). */
function scaling(data: Buffer, header: NiftiHeader): Pick<NiftiVolume, 'sclSlope' | 'sclInter' | 'calMin' | 'calMax'> {
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  const le = header.littleEndian;
  const read = header.version === 1 ? (offset: number) => view.getFloat32(offset, le) : (offset: number) => view.getFloat64(offset, le);
  const [slope, inter, calMax, calMin] = header.version === 1 ? [read(112), read(116), read(124), read(128)] : [read(176), read(184), read(192), read(200)];
  // nifti1.h: scl_slope 0 (or not finite) means no scaling.
  const useScale = Number.isFinite(slope) && slope !== 0;
  return { sclSlope: useScale ? slope : 1, sclInter: useScale && Number.isFinite(inter) ? inter : 0, calMin: Number.isFinite(calMin) ? calMin : 0, calMax: Number.isFinite(calMax) ? calMax : 0 };
}

/**
 * The patient axes of each plane: the one it cuts across, and those its columns and rows run
 * along (each toward patient left, posterior or inferior: radiological convention).
 */
const planeAxes: Readonly<Record<NiftiPlane, { normal: PatientAxis; columns: PatientAxis; rows: PatientAxis }>> = {
  axial: { normal: 2, columns: 0, rows: 1 },
  coronal: { normal: 1, columns: 0, rows: 2 },
  sagittal: { normal: 0, columns: 1, rows: 2 },
};

/** The voxel axis (0 i, 1 j, 2 k) matched to a patient axis. */
function voxelAxisAlong(orientation: NiftiOrientation, axis: PatientAxis): number {
  return orientation.axes.findIndex((a) => a.axis === axis);
}

/** Loads a stored NIfTI volume: inflate (capped), check the header, read its scaling and orientation. */
export async function loadNiftiVolume(bytes: Buffer): Promise<NiftiVolume> {
  const data = await inflated(bytes);
  const checked = checkNiftiHeader(data, { fileSize: data.length });
  if (!checked.ok) throw new Error(`stored NIfTI does not validate: ${checked.refusal.code}`);
  const header = checked.value;
  const [x = 1, y = 1, z = 1] = header.dims;
  const orientation = niftiOrientation(geometryFields(data, header));
  const counts = [x, y, z];
  const slices = Object.fromEntries(Object.entries(planeAxes).map(([plane, { normal }]) => [plane, counts[voxelAxisAlong(orientation, normal)] ?? 1])) as Record<NiftiPlane, number>;
  return { header, data, dims: { x, y, z, slices }, orientation, ...scaling(data, header) };
}

/** Slices in a plane: the voxels along the axis closest to its normal (i, j, k for sagittal, coronal, axial without orientation). */
export function sliceCount(dims: NiftiDims, plane: NiftiPlane): number {
  if (dims.slices !== undefined) return dims.slices[plane];
  switch (plane) {
    case 'axial': return dims.z;
    case 'coronal': return dims.y;
    case 'sagittal': return dims.x;
  }
}

interface OutputType {
  samples: 1 | 3;
  create(count: number): PixelArray;
}

/** How each NIfTI datatype arrives in the browser; wide and fractional types become float32. */
function outputOf(datatypeName: string): OutputType {
  switch (datatypeName) {
    case 'uint8': return { samples: 1, create: (n) => new Uint8Array(n) };
    case 'int16': return { samples: 1, create: (n) => new Int16Array(n) };
    case 'uint16': return { samples: 1, create: (n) => new Uint16Array(n) };
    case 'int8': case 'int32': case 'uint32': case 'int64': case 'uint64': case 'float32': case 'float64':
      return { samples: 1, create: (n) => new Float32Array(n) };
    case 'rgb24': case 'rgba32': return { samples: 3, create: (n) => new Uint8Array(n * 3) };
    default: throw new UnsupportedRendering(`NIfTI datatype ${datatypeName}`);
  }
}

/** A reader of voxel number `index` (sample `sample` for colour) of the first volume. */
function voxelReader(volume: NiftiVolume): (index: number, sample: number) => number {
  const { header, data } = volume;
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  const le = header.littleEndian;
  const base = header.voxOffset;
  const size = header.bytesPerVoxel;
  switch (header.datatypeName) {
    case 'uint8': return (i) => view.getUint8(base + i);
    case 'int8': return (i) => view.getInt8(base + i);
    case 'int16': return (i) => view.getInt16(base + i * 2, le);
    case 'uint16': return (i) => view.getUint16(base + i * 2, le);
    case 'int32': return (i) => view.getInt32(base + i * 4, le);
    case 'uint32': return (i) => view.getUint32(base + i * 4, le);
    case 'int64': return (i) => Number(view.getBigInt64(base + i * 8, le));
    case 'uint64': return (i) => Number(view.getBigUint64(base + i * 8, le));
    case 'float32': return (i) => view.getFloat32(base + i * 4, le);
    case 'float64': return (i) => view.getFloat64(base + i * 8, le);
    // nifti1.h DT_RGB24 / DT_RGBA32: interleaved bytes per voxel.
    case 'rgb24': case 'rgba32': return (i, s) => view.getUint8(base + i * size + s);
    default: throw new UnsupportedRendering(`NIfTI datatype ${header.datatypeName}`);
  }
}

/** A spacing for display, to 6 significant digits (NIfTI-1's float32 0.8 reads 0.800000011920929). */
function displaySpacing(mm: number | undefined): number {
  return mm === undefined ? 1 : Number(mm.toPrecision(6));
}

/** A NIfTI slice with the distance between its rows and between its columns, in mm. */
export type NiftiSlice = DecodedFrame & { pixelSpacing: { row: number; column: number } };

/** Slice `index` of `plane` as a frame (rows top to bottom, see the orientation note above). */
export function sliceOf(volume: NiftiVolume, plane: NiftiPlane, index: number): NiftiSlice {
  const { orientation } = volume;
  const counts = [volume.dims.x, volume.dims.y, volume.dims.z];
  const strides = [1, volume.dims.x, volume.dims.x * volume.dims.y];
  const frames = sliceCount(volume.dims, plane);
  if (!Number.isInteger(index) || index < 0 || index >= frames) throw new FrameNotFound();
  const output = outputOf(volume.header.datatypeName);
  const axes = planeAxes[plane];
  /** A voxel axis with its count, stride and whether a higher index runs toward R, A or S. */
  const along = (patient: PatientAxis) => {
    const voxelAxis = voxelAxisAlong(orientation, patient);
    return { voxelAxis, count: counts[voxelAxis] ?? 1, stride: strides[voxelAxis] ?? 0, positive: orientation.axes[voxelAxis]?.sign === 1 };
  };
  const [normal, across, down] = [along(axes.normal), along(axes.columns), along(axes.rows)];
  const [columns, rows] = [across.count, down.count];
  // Slice indices run toward R, A, S; screen columns and rows toward L, P, I.
  const sliceVoxel = normal.positive ? index : normal.count - 1 - index;
  const base = sliceVoxel * normal.stride;
  const columnStart = across.positive ? (columns - 1) * across.stride : 0;
  const columnStep = across.positive ? -across.stride : across.stride;
  const rowStart = down.positive ? (rows - 1) * down.stride : 0;
  const rowStep = down.positive ? -down.stride : down.stride;
  const read = voxelReader(volume);
  const pixels = output.create(rows * columns);
  for (let r = 0; r < rows; r += 1) {
    const rowVoxel = base + rowStart + r * rowStep;
    for (let c = 0; c < columns; c += 1) {
      const v = rowVoxel + columnStart + c * columnStep;
      for (let s = 0; s < output.samples; s += 1) pixels[(r * columns + c) * output.samples + s] = read(v, s);
    }
  }
  const grey = output.samples === 1;
  const window = grey && volume.calMax > volume.calMin ? { windowCenter: (volume.calMax + volume.calMin) / 2, windowWidth: volume.calMax - volume.calMin } : {};
  return {
    rows, columns, samplesPerPixel: output.samples, pixels,
    rescaleSlope: grey ? volume.sclSlope : 1, rescaleIntercept: grey ? volume.sclInter : 0,
    ...window,
    photometric: grey ? 'MONOCHROME2' : 'RGB',
    frames,
    pixelSpacing: { row: displaySpacing(orientation.spacing[down.voxelAxis]), column: displaySpacing(orientation.spacing[across.voxelAxis]) },
  };
}

/**
 * Slice `index` (0-based) of a stored NIfTI volume in `plane`, with the volume's dimensions.
 * Throws {@link FrameNotFound} for an index outside the plane.
 */
export async function decodeNiftiSlice(bytes: Buffer, plane: NiftiPlane, index: number): Promise<NiftiSlice & { dims: NiftiDims }> {
  const volume = await loadNiftiVolume(bytes);
  return { ...sliceOf(volume, plane, index), dims: volume.dims };
}
