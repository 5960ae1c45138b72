import type { PixelFrame } from '../../api/images';

/** A VOI window in modality values (after rescale slope and intercept). */
export interface Window {
  center: number;
  width: number;
}

/** Modality value of stored value `v` (PS3.3 §C.11.1). */
function modality(frame: PixelFrame, v: number): number {
  return v * frame.rescaleSlope + frame.rescaleIntercept;
}

/** The window a frame opens with: its file's, else its whole range of modality values. */
export function defaultWindow(frame: PixelFrame): Window {
  if (frame.window !== null && frame.window.width > 0) return frame.window;
  let min = Infinity;
  let max = -Infinity;
  for (const v of frame.pixels) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity) return { center: 0, width: 1 };
  const a = modality(frame, min);
  const b = modality(frame, max);
  return { center: (a + b) / 2, width: Math.max(Math.abs(b - a), Number.EPSILON) };
}

/**
 * Paints a frame into RGBA `out` (rows × columns × 4): grey through a linear window (inverted for
 * MONOCHROME1), colour unchanged. The window is applied here, in the browser, so dragging it
 * needs no request.
 */
export function paint(frame: PixelFrame, window: Window, out: Uint8ClampedArray): void {
  const count = frame.rows * frame.columns;
  const { pixels } = frame;
  if (frame.samples === 3) {
    for (let i = 0; i < count; i += 1) {
      out[i * 4] = pixels[i * 3] ?? 0;
      out[i * 4 + 1] = pixels[i * 3 + 1] ?? 0;
      out[i * 4 + 2] = pixels[i * 3 + 2] ?? 0;
      out[i * 4 + 3] = 255;
    }
    return;
  }
  const width = Math.max(window.width, Number.EPSILON);
  const low = window.center - width / 2;
  // Stored value → display value in one multiply-add: ((v·slope + intercept) − low) · 255 / width.
  const scale = (frame.rescaleSlope * 255) / width;
  const offset = ((frame.rescaleIntercept - low) * 255) / width;
  const invert = frame.photometric === 'MONOCHROME1';
  for (let i = 0; i < count; i += 1) {
    // Uint8ClampedArray rounds and clamps to 0..255.
    const y = (pixels[i] ?? 0) * scale + offset;
    const v = invert ? 255 - y : y;
    const o = i * 4;
    out[o] = v;
    out[o + 1] = v;
    out[o + 2] = v;
    out[o + 3] = 255;
  }
}
