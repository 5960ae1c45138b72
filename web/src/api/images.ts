import { get, getFile } from './client';
import { ApiError, ErrorCode } from './errors';

/** The kinds of stored image objects. */
export type ImageKind = 'dicom' | 'nifti' | 'png' | 'jpeg';

export interface InstanceSummary {
  id: string;
  seriesId: string;
  studyId: string;
  patientId: string;
  sopInstanceUid: string;
  kind: ImageKind;
  instanceNumber: number | null;
  rows: number | null;
  columns: number | null;
  /** Frames (DICOM), or NIfTI voxels along k (columns × rows × frames are its voxel counts i × j × k). */
  frames: number | null;
  transferSyntaxUid: string | null;
}

export interface SeriesSummary {
  id: string;
  studyId: string;
  seriesInstanceUid: string;
  modality: string | null;
  seriesNumber: number | null;
  description: string | null;
  instances: InstanceSummary[];
}

export interface StudySummary {
  id: string;
  patientId: string;
  studyInstanceUid: string;
  accessionNumber: string | null;
  studyDate: string | null;
  description: string | null;
  modalities: string[];
  series: SeriesSummary[];
}

const instancePath = (id: string): string => `/api/images/instances/${encodeURIComponent(id)}`;

/** A patient's studies with their series and instances, newest first (GET /api/patients/:id/studies). */
export async function listStudies(patientId: string): Promise<StudySummary[]> {
  return (await get<{ studies: StudySummary[] }>(`/api/patients/${encodeURIComponent(patientId)}/studies?limit=200`)).studies;
}

/** A small PNG of an instance (audited as a view). */
export async function getThumbnail(instanceId: string): Promise<Blob> {
  return (await getFile(`${instancePath(instanceId)}/thumbnail`)).blob;
}

export type PixelType = 'int16' | 'uint16' | 'uint8' | 'float32';
export type Photometric = 'MONOCHROME1' | 'MONOCHROME2' | 'RGB';
export type Plane = 'axial' | 'coronal' | 'sagittal';

/** Stored pixel values of one frame or slice, as the server describes them (docs/api-images.md). */
export interface PixelFrame {
  rows: number;
  columns: number;
  samples: 1 | 3;
  pixels: Int16Array | Uint16Array | Uint8Array | Float32Array;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** The file's window, in modality values, when it has one. */
  window: { center: number; width: number } | null;
  photometric: Photometric;
  /** Frames of the instance, or slices in the plane. */
  frames: number;
  /** NIfTI slices: mm between rows and between columns (`x-clarus-pixel-spacing`), for the aspect ratio; else null. */
  pixelSpacing: { row: number; column: number } | null;
}

/** `row,column` in mm, both positive; anything else is ignored (square pixels). */
function spacingHeader(headers: Headers): PixelFrame['pixelSpacing'] {
  const [row, column, ...rest] = (headers.get('x-clarus-pixel-spacing') ?? '').split(',').map(Number);
  return row !== undefined && column !== undefined && rest.length === 0 && row > 0 && column > 0 && Number.isFinite(row) && Number.isFinite(column) ? { row, column } : null;
}

function numberHeader(headers: Headers, name: string): number | null {
  const value = headers.get(name);
  if (value === null || value === '') return null;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : null;
}

function badPixels(): ApiError {
  return new ApiError({ status: 200, code: ErrorCode.badResponse, message: 'The server sent pixels that could not be read.' });
}

/** Wraps the little-endian body in the typed array its `x-clarus-pixel-type` names (browsers are little-endian). */
function typed(buffer: ArrayBuffer, type: string | null): PixelFrame['pixels'] {
  switch (type) {
    case 'int16': return new Int16Array(buffer);
    case 'uint16': return new Uint16Array(buffer);
    case 'uint8': return new Uint8Array(buffer);
    case 'float32': return new Float32Array(buffer);
    case null:
    default: throw badPixels();
  }
}

async function readPixels(path: string): Promise<PixelFrame> {
  const { blob, headers } = await getFile(path);
  const rows = numberHeader(headers, 'x-clarus-rows');
  const columns = numberHeader(headers, 'x-clarus-columns');
  const samples = numberHeader(headers, 'x-clarus-samples');
  const photometric = headers.get('x-clarus-photometric');
  if (rows === null || columns === null || (samples !== 1 && samples !== 3)) throw badPixels();
  if (photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2' && photometric !== 'RGB') throw badPixels();
  const pixels = typed(await blob.arrayBuffer(), headers.get('x-clarus-pixel-type'));
  if (pixels.length < rows * columns * samples) throw badPixels();
  const center = numberHeader(headers, 'x-clarus-window-center');
  const width = numberHeader(headers, 'x-clarus-window-width');
  return {
    rows, columns, samples, pixels, photometric,
    rescaleSlope: numberHeader(headers, 'x-clarus-rescale-slope') ?? 1,
    rescaleIntercept: numberHeader(headers, 'x-clarus-rescale-intercept') ?? 0,
    window: center !== null && width !== null ? { center, width } : null,
    frames: numberHeader(headers, 'x-clarus-frames') ?? 1,
    pixelSpacing: spacingHeader(headers),
  };
}

/** Frame `frame` (1-based) of a DICOM instance, or a PNG/JPEG (frame 1), as pixel values. */
export function getFramePixels(instanceId: string, frame: number): Promise<PixelFrame> {
  return readPixels(`${instancePath(instanceId)}/frames/${frame}/pixels`);
}

/** Slice `index` (0-based) of a NIfTI volume in a plane. */
export function getSlicePixels(instanceId: string, plane: Plane, index: number): Promise<PixelFrame> {
  return readPixels(`${instancePath(instanceId)}/nifti/${plane}/${index}/pixels`);
}

/** One attribute in the DICOM JSON model (PS3.18 Annex F.2). */
export interface DicomJsonElement {
  vr: string;
  Value?: unknown[];
  InlineBinary?: string;
}
export type DicomJson = Record<string, DicomJsonElement>;

/** The DICOM data set of an instance, for the tag panel (Administrators, Radiologists). */
export function getTags(instanceId: string): Promise<{ dataSet: DicomJson; keywords: Record<string, string> }> {
  return get(`${instancePath(instanceId)}/tags`);
}
