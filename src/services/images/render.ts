/**
 * Rendering stored images for display (DCM-3, and WADO-RS /rendered and thumbnails, PS3.18 §9.5):
 * decode a frame or slice into pixel values ({@link decodeFrame}, {@link decodeNiftiSlice}), map
 * them through a VOI window to 8-bit grey (PS3.3 §C.11.2.1.2.1, linear), and encode PNG or JPEG
 * with sharp. No I/O and no database: callers open (and audit) the stored bytes first.
 *
 * Of the compressed DICOM transfer syntaxes, RLE Lossless and 8-bit JPEG Baseline/Extended are
 * decoded (encapsulated-frame.ts); the others throw {@link UnsupportedRendering}
 * (415, CLARUS_ERR_RENDER_UNSUPPORTED).
 */
import sharp, { type Sharp } from 'sharp';
import { decodeDicomFrame } from './dicom-frame.ts';
import { decodeNiftiSlice, loadNiftiVolume, sliceCount, sliceOf } from './nifti-slice.ts';
import type { DecodedFrame, ImageKind, NiftiPlane } from './render-types.ts';

export { decodeNiftiSlice, loadNiftiVolume, sliceCount, sliceOf } from './nifti-slice.ts';
export { FrameNotFound, niftiPlanes, pixelTypeOf, UnsupportedRendering } from './render-types.ts';
export type { DecodedFrame, ImageKind, NiftiPlane, PixelArray, PixelType } from './render-types.ts';

/** A VOI window in modality values (after rescale). */
export interface Window {
  center: number;
  width: number;
}

export interface RenderOptions {
  /** DICOM: the frame (0-based, default 0). NIfTI: the slice in `plane` (default the middle one). */
  frame?: number;
  /** NIfTI only (default axial). */
  plane?: NiftiPlane;
  /** Default: the file's first window, else the frame's minimum to maximum. Ignored for colour. */
  window?: Window;
  /** Longest side of the output in pixels; never enlarges. */
  maxSize?: number;
  format: 'png' | 'jpeg';
}

/** Pixels sharp may decode from a stored PNG/JPEG (ingest capped them already; this bounds rendering). */
const MAX_INPUT_PIXELS = 100_000_000;

/**
 * Frame `frameIndex` (0-based) of a stored DICOM file, or axial slice `frameIndex` of a NIfTI
 * volume, as pixel values. Throws {@link UnsupportedRendering} for compressed or unsupported
 * encodings and {@link FrameNotFound} for an index outside the object.
 */
export async function decodeFrame(bytes: Buffer, kind: 'dicom' | 'nifti', frameIndex: number): Promise<DecodedFrame> {
  if (kind === 'nifti') return decodeNiftiSlice(bytes, 'axial', frameIndex);
  return decodeDicomFrame(bytes, frameIndex);
}

/** Smallest and largest modality value of a grey frame. */
export function modalityRange(frame: DecodedFrame): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const value of frame.pixels) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  if (min === Infinity) return { min: 0, max: 0 };
  const a = min * frame.rescaleSlope + frame.rescaleIntercept;
  const b = max * frame.rescaleSlope + frame.rescaleIntercept;
  return { min: Math.min(a, b), max: Math.max(a, b) };
}

/** The window a frame shows with when none is asked for: the file's, else its full range. */
export function defaultWindow(frame: DecodedFrame): Window {
  if (frame.windowCenter !== undefined && frame.windowWidth !== undefined) return { center: frame.windowCenter, width: frame.windowWidth };
  const { min, max } = modalityRange(frame);
  return { center: (min + max) / 2, width: Math.max(max - min, 1) };
}

/**
 * 8-bit display values: grey frames through the linear VOI function of PS3.3 §C.11.2.1.2.1
 * (inverted for MONOCHROME1), colour frames unchanged.
 */
export function toDisplay(frame: DecodedFrame, window: Window = defaultWindow(frame)): Uint8Array {
  if (frame.samplesPerPixel === 3) return frame.pixels instanceof Uint8Array ? frame.pixels : Uint8Array.from(frame.pixels);
  const width = Math.max(window.width, 1);
  const low = window.center - 0.5 - (width - 1) / 2;
  const high = window.center - 0.5 + (width - 1) / 2;
  const invert = frame.photometric === 'MONOCHROME1';
  const out = new Uint8Array(frame.rows * frame.columns);
  const { rescaleSlope: slope, rescaleIntercept: intercept } = frame;
  for (let i = 0; i < out.length; i += 1) {
    const x = (frame.pixels[i] ?? 0) * slope + intercept;
    let y: number;
    if (x <= low) y = 0;
    else if (x > high) y = 255;
    else y = ((x - (window.center - 0.5)) / (width - 1 || 1) + 0.5) * 255;
    const v = Math.round(Math.min(255, Math.max(0, y)));
    out[i] = invert ? 255 - v : v;
  }
  return out;
}

function rawImage(frame: DecodedFrame, window: Window | undefined): Sharp {
  const display = toDisplay(frame, window ?? defaultWindow(frame));
  return sharp(display, { raw: { width: frame.columns, height: frame.rows, channels: frame.samplesPerPixel } });
}

async function decodedFor(source: { kind: 'dicom' | 'nifti'; bytes: Buffer }, options: RenderOptions): Promise<DecodedFrame> {
  if (source.kind === 'dicom') return decodeDicomFrame(source.bytes, options.frame ?? 0);
  const volume = await loadNiftiVolume(source.bytes);
  const plane = options.plane ?? 'axial';
  return sliceOf(volume, plane, options.frame ?? Math.floor(sliceCount(volume.dims, plane) / 2));
}

/**
 * A stored image (or one frame/slice of it) as PNG or JPEG bytes, windowed server-side.
 * PNG/JPEG sources are re-encoded (and resized); `window`, `frame` and `plane` do not apply to them.
 */
export async function renderFrame(
  source: { kind: ImageKind; bytes: Buffer },
  options: RenderOptions,
): Promise<Buffer> {
  let image: Sharp;
  switch (source.kind) {
    case 'png':
    case 'jpeg':
      image = sharp(source.bytes, { limitInputPixels: MAX_INPUT_PIXELS });
      break;
    case 'dicom':
    case 'nifti':
      image = rawImage(await decodedFor({ kind: source.kind, bytes: source.bytes }, options), options.window);
      break;
  }
  if (options.maxSize !== undefined) image = image.resize({ width: options.maxSize, height: options.maxSize, fit: 'inside', withoutEnlargement: true });
  return options.format === 'png' ? image.png().toBuffer() : image.flatten().jpeg({ quality: 90 }).toBuffer();
}
