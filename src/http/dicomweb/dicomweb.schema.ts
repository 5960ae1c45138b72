import { z } from 'zod';
import { uid } from './uids.ts';

/** Path parameters: DICOM UIDs only (PS3.5 §9.1), so a malformed one is a 400 before any lookup. */
export const studyParams = z.strictObject({ study: uid });
export const seriesParams = z.strictObject({ study: uid, series: uid });
export const instanceParams = z.strictObject({ study: uid, series: uid, instance: uid });
export const framesParams = z.strictObject({ study: uid, series: uid, instance: uid, frames: z.string().max(10_000) });
/** One frame (rendered): the same parameter name as the frame list, as the router requires. */
export const frameParams = z.strictObject({ study: uid, series: uid, instance: uid, frames: z.string().regex(/^[1-9]\d{0,8}$/) });

/** QIDO-RS keys are attribute keywords or tags, checked by the planner (qido-query.ts). */
export const searchQuery = z.record(z.string(), z.union([z.string(), z.array(z.string())]));

/** Retrieve transactions take no parameters Clarus uses; unknown ones are ignored (PS3.18 §8.3). */
export const retrieveQuery = z.object({});

const decimal = z.string().regex(/^-?[0-9.]{1,16}$/).transform(Number).refine(Number.isFinite);

/**
 * Rendered resources (PS3.18 §8.3.5): `window=center,width[,function]` (only the linear function),
 * `viewport=width,height` (the longest side bounds the image; never enlarged), `quality` (ignored).
 */
export const renderedQuery = z.strictObject({
  window: z.string().max(64).optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      const [center, width, fn, extra] = value.split(',');
      const c = decimal.safeParse(center);
      const w = decimal.safeParse(width);
      if (extra !== undefined || !c.success || !w.success || w.data <= 0 || (fn !== undefined && fn.toLowerCase() !== 'linear')) {
        ctx.addIssue({ code: 'custom', message: 'window must be center,width with a positive width (linear function only).' });
        return z.NEVER;
      }
      return { center: c.data, width: w.data };
    }),
  viewport: z.string().max(32).optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      const sides = value.split(',');
      if (sides.length !== 2 || !sides.every((s) => /^[1-9]\d{0,4}$/.test(s))) {
        ctx.addIssue({ code: 'custom', message: 'viewport must be width,height in pixels.' });
        return z.NEVER;
      }
      return Math.min(4096, Math.max(...sides.map(Number)));
    }),
  quality: z.string().regex(/^\d{1,3}$/).optional(),
});
