/**
 * What the renderer decodes (a frame of pixel values, before any display mapping) and how it
 * refuses what it cannot draw. Shared by the DICOM and NIfTI decoders, the renderer and the
 * viewer routes.
 */
import { ClarusError } from '../../domain/error-catalog.ts';

/** The kinds of stored image objects (as in the instance index). */
export type ImageKind = 'dicom' | 'nifti' | 'png' | 'jpeg';

/** Anatomical planes of a NIfTI volume (cut across the voxel axis closest to S-I, A-P, R-L: nifti-slice.ts). */
export type NiftiPlane = 'axial' | 'coronal' | 'sagittal';

export const niftiPlanes: readonly NiftiPlane[] = ['axial', 'coronal', 'sagittal'];

/** Pixel arrays the decoders produce; the name travels to the browser with the raw pixels. */
export type PixelArray = Int16Array | Uint16Array | Uint8Array | Float32Array;
export type PixelType = 'int16' | 'uint16' | 'uint8' | 'float32';

/**
 * One decoded frame (or slice): stored values, row by row, samples interleaved (RGB as R,G,B).
 * Modality values are `pixel × rescaleSlope + rescaleIntercept` (PS3.3 §C.7.6.3.1.7 / C.11.1).
 */
export interface DecodedFrame {
  rows: number;
  columns: number;
  samplesPerPixel: 1 | 3;
  pixels: PixelArray;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** The first window of (0028,1050)/(0028,1051) (or NIfTI cal_min/cal_max), in modality values. */
  windowCenter?: number;
  windowWidth?: number;
  /** MONOCHROME1 (inverted grey), MONOCHROME2, or RGB (YBR_FULL is converted to RGB). */
  photometric: 'MONOCHROME1' | 'MONOCHROME2' | 'RGB';
  /** Frames in the instance (DICOM) or slices in the plane (NIfTI). */
  frames: number;
}

/** The name of a pixel array's element type. */
export function pixelTypeOf(pixels: PixelArray): PixelType {
  if (pixels instanceof Int16Array) return 'int16';
  if (pixels instanceof Uint16Array) return 'uint16';
  if (pixels instanceof Uint8Array) return 'uint8';
  return 'float32';
}

/**
 * An image Clarus stores but cannot render: a compressed (encapsulated) DICOM transfer syntax, a
 * photometric interpretation or bit depth the decoder does not handle. 415 with a stable code;
 * `detail` (for the server log) says which.
 */
export class UnsupportedRendering extends ClarusError {
  constructor(readonly detail: string) {
    super('CLARUS_ERR_RENDER_UNSUPPORTED');
    this.name = 'UnsupportedRendering';
  }
}

/** A frame or slice index outside the object: the same 404 as a missing instance. */
export class FrameNotFound extends ClarusError {
  constructor() {
    super('CLARUS_ERR_NOT_FOUND');
    this.name = 'FrameNotFound';
  }
}
