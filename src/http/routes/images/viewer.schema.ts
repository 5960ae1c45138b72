import { z } from 'zod';

/**
 * Viewer routes (DCM-3). Frame, plane and slice are plain strings here and checked by the service
 * after the instance is found: an instance the caller cannot reach answers the same 404 whatever
 * the rest of the URL says.
 */
export const frameParams = z.strictObject({ instanceId: z.uuid(), frame: z.string().max(64) });
export const sliceParams = z.strictObject({ instanceId: z.uuid(), plane: z.string().max(64), index: z.string().max(64) });
export const instanceParams = z.strictObject({ instanceId: z.uuid() });

/** The DICOM JSON model (PS3.18 Annex F.2) of the data set, and the dictionary keyword of each tag in it. */
export const tagsReply = z.object({
  dataSet: z.record(z.string(), z.unknown()),
  keywords: z.record(z.string(), z.string()),
});

/**
 * Response headers of the pixel endpoints (docs/api-images.md): the body is the frame's stored
 * values, little-endian, row by row, samples interleaved (RGB as R, G, B).
 */
export const pixelHeaders = {
  rows: 'x-clarus-rows',
  columns: 'x-clarus-columns',
  samples: 'x-clarus-samples',
  pixelType: 'x-clarus-pixel-type',
  rescaleSlope: 'x-clarus-rescale-slope',
  rescaleIntercept: 'x-clarus-rescale-intercept',
  windowCenter: 'x-clarus-window-center',
  windowWidth: 'x-clarus-window-width',
  photometric: 'x-clarus-photometric',
  frames: 'x-clarus-frames',
  dims: 'x-clarus-dims',
  pixelSpacing: 'x-clarus-pixel-spacing',
} as const;
