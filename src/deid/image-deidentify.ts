/**
 * PNG and JPEG de-identification (DEID-3): decoded and re-encoded by sharp without any metadata —
 * EXIF (names, dates, device serials, GPS), XMP, IPTC, ICC profiles (their description text) and PNG
 * text chunks (tEXt, iTXt, zTXt) — through the ingest path's `reencodeWithoutMetadata`, which also
 * refuses decompression bombs and truncated files. Text burned into the pixels is not touched here
 * (that is the burned-in text gate's business, `pixel-text-risk.ts`).
 */
import sharp from 'sharp';
import { inspectImage, reencodeWithoutMetadata, type ImageLimits } from '../ingest/image-validate.ts';
import type { PixelRegion } from './pixel-text-risk.ts';
import { refuseDeid, type DeidResult } from './deid-result.ts';

export interface ImageDeidReport {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
  /** Metadata blocks found in the input (PNG chunk types, JPEG APPn/COM), all dropped. */
  metadataDropped: string[];
}

/** Paints the regions black (DEID-2, a reviewer's mask); regions are clipped to the image. */
async function maskImage(bytes: Buffer, width: number, height: number, regions: readonly PixelRegion[]): Promise<Buffer> {
  const boxes = regions.flatMap((r) => {
    const left = Math.max(0, Math.floor(r.x));
    const top = Math.max(0, Math.floor(r.y));
    const w = Math.min(width, Math.floor(r.x + r.width)) - left;
    const h = Math.min(height, Math.floor(r.y + r.height)) - top;
    return w > 0 && h > 0 ? [{ input: { create: { width: w, height: h, channels: 3 as const, background: '#000000' } }, left, top }] : [];
  });
  if (boxes.length === 0) return bytes;
  return sharp(bytes, { limitInputPixels: width * height }).composite(boxes).png().toBuffer();
}

export async function deidentifyImage(bytes: Buffer, limits: Partial<ImageLimits> = {}, maskRegions: readonly PixelRegion[] = []): Promise<DeidResult<ImageDeidReport>> {
  const inspected = inspectImage(bytes, limits);
  if (!inspected.ok) return refuseDeid(inspected.refusal.code === 'UNSUPPORTED_TYPE' ? 'UNSUPPORTED_TYPE' : 'UNREADABLE', inspected.refusal.message);
  const source = maskRegions.length > 0 ? await maskImage(bytes, inspected.value.width, inspected.value.height, maskRegions) : bytes;
  const clean = await reencodeWithoutMetadata(source, limits);
  if (!clean.ok) return refuseDeid('UNREADABLE', clean.refusal.message);
  return {
    ok: true,
    bytes: clean.value.data,
    report: { format: clean.value.format, width: clean.value.width, height: clean.value.height, metadataDropped: inspected.value.metadata },
  };
}
