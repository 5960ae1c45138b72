/**
 * PNG and JPEG de-identification (DEID-3): decoded and re-encoded by sharp without any metadata —
 * EXIF (names, dates, device serials, GPS), XMP, IPTC, ICC profiles (their description text) and PNG
 * text chunks (tEXt, iTXt, zTXt) — through the ingest path's `reencodeWithoutMetadata`, which also
 * refuses decompression bombs and truncated files. Text burned into the pixels is not touched here
 * (that is the burned-in text gate's business, `pixel-text-risk.ts`).
 */
import { inspectImage, reencodeWithoutMetadata, type ImageLimits } from '../ingest/image-validate.ts';
import { refuseDeid, type DeidResult } from './deid-result.ts';

export interface ImageDeidReport {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
  /** Metadata blocks found in the input (PNG chunk types, JPEG APPn/COM), all dropped. */
  metadataDropped: string[];
}

export async function deidentifyImage(bytes: Buffer, limits: Partial<ImageLimits> = {}): Promise<DeidResult<ImageDeidReport>> {
  const inspected = inspectImage(bytes, limits);
  if (!inspected.ok) return refuseDeid(inspected.refusal.code === 'UNSUPPORTED_TYPE' ? 'UNSUPPORTED_TYPE' : 'UNREADABLE', inspected.refusal.message);
  const clean = await reencodeWithoutMetadata(bytes, limits);
  if (!clean.ok) return refuseDeid('UNREADABLE', clean.refusal.message);
  return {
    ok: true,
    bytes: clean.value.data,
    report: { format: clean.value.format, width: clean.value.width, height: clean.value.height, metadataDropped: inspected.value.metadata },
  };
}
