import type { PixelRegion } from '../../api/research';
import type { ViewState } from './viewerState';

/**
 * Where the image sits on the canvas: the canvas pixel of image pixel (0, 0) and canvas pixels per
 * image pixel. The painter and the mask tool both use it, so that a rectangle drawn on a zoomed and
 * panned image lands on the image pixels under the mouse.
 */
export interface Placement {
  /** Canvas pixels per image pixel across. */
  scale: number;
  /** Canvas pixels per image pixel down: `scale` unless the pixels are not square. */
  scaleY: number;
  left: number;
  top: number;
}

/** What the placement needs of an image; `pixelSpacing` (mm, NIfTI slices) makes non-square pixels. */
export interface PlacedImage {
  columns: number;
  rows: number;
  pixelSpacing?: { row: number; column: number } | null;
}

/** How tall a pixel is shown relative to its width: row spacing over column spacing (1 without spacing). */
export function pixelAspect(image: PlacedImage): number {
  const spacing = image.pixelSpacing;
  const aspect = spacing ? spacing.row / spacing.column : 1;
  return Number.isFinite(aspect) && aspect > 0 ? aspect : 1;
}

/** At zoom 1 the image fits the canvas, centred; zoom scales about the centre; pan moves it. */
export function placement(canvas: { width: number; height: number }, image: PlacedImage, view: Pick<ViewState, 'zoom' | 'pan'>): Placement {
  const aspect = pixelAspect(image);
  const scale = Math.min(canvas.width / image.columns, canvas.height / (image.rows * aspect)) * view.zoom;
  const scaleY = scale * aspect;
  return {
    scale,
    scaleY,
    left: canvas.width / 2 + view.pan.x - (image.columns * scale) / 2,
    top: canvas.height / 2 + view.pan.y - (image.rows * scaleY) / 2,
  };
}

/** The image position (fractional pixels, possibly outside the image) under a canvas point. */
export function toImagePoint(at: Placement, canvasX: number, canvasY: number): { x: number; y: number } {
  return { x: (canvasX - at.left) / at.scale, y: (canvasY - at.top) / at.scaleY };
}

/**
 * The whole image pixels a drag from `a` to `b` covers, clipped to the image (every pixel the
 * rectangle touches is included: a mask errs on the side of hiding more), or null when nothing of
 * the image is covered.
 */
export function regionBetween(a: { x: number; y: number }, b: { x: number; y: number }, image: { columns: number; rows: number }): PixelRegion | null {
  const clamp = (value: number, max: number): number => Math.min(max, Math.max(0, value));
  const x0 = clamp(Math.floor(Math.min(a.x, b.x)), image.columns);
  const y0 = clamp(Math.floor(Math.min(a.y, b.y)), image.rows);
  const x1 = clamp(Math.ceil(Math.max(a.x, b.x)), image.columns);
  const y1 = clamp(Math.ceil(Math.max(a.y, b.y)), image.rows);
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null;
}

/** A region clipped to the image, or null when it is empty or outside (typed-in numbers). */
export function clippedRegion(region: PixelRegion, image: { columns: number; rows: number }): PixelRegion | null {
  if (![region.x, region.y, region.width, region.height].every(Number.isInteger)) return null;
  return regionBetween({ x: region.x, y: region.y }, { x: region.x + region.width, y: region.y + region.height }, image);
}
