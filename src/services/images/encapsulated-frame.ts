/**
 * One frame of encapsulated (compressed) Pixel Data, decoded (PS3.5 §8.2, Annex A.4): the frame's
 * fragments are found, concatenated, and handed to the codec of the transfer syntax. Decoded today:
 *
 * - RLE Lossless, 1.2.840.10008.1.2.5 (Annex G; our own decoder, rle-decode.ts);
 * - JPEG Baseline (Process 1), 1.2.840.10008.1.2.4.50, and JPEG Extended (Processes 2 & 4),
 *   1.2.840.10008.1.2.4.51, when 8-bit (sharp/libjpeg-turbo, jpeg-baseline.ts).
 *
 * Every other encapsulated syntax (JPEG Lossless, JPEG-LS, JPEG 2000, HTJ2K, MPEG, HEVC, deflated
 * image frames, …) is refused with {@link UnsupportedRendering}, as is compressed data that does not
 * decode exactly to the frame the data set describes.
 */
import dicomParser from 'dicom-parser';
import type { DataSet, Element } from 'dicom-parser';
import { decodeJpegFrame } from './jpeg-baseline.ts';
import { UnsupportedRendering } from './render-types.ts';
import { decodeRleFrame } from './rle-decode.ts';

const RLE_LOSSLESS = '1.2.840.10008.1.2.5';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
const JPEG_EXTENDED = '1.2.840.10008.1.2.4.51';

/** Largest decoded frame we allocate for (256 MiB: e.g. 8192 × 8192 RGB, or 11 000² 16-bit grey). */
export const MAX_DECODED_FRAME_BYTES = 256 * 1024 * 1024;

/** The image pixel module values a compressed frame is checked against (PS3.3 §C.7.6.3). */
export interface CompressedFrameLayout {
  rows: number;
  columns: number;
  samples: number;
  bitsAllocated: number;
  bitsStored: number;
  photometric: string;
  frames: number;
}

/** A decoded frame: native bytes (little-endian, samples interleaved) and what they now are. */
export interface DecodedCompressedFrame {
  bytes: Uint8Array;
  /** The photometric interpretation of `bytes` (JPEG colour comes out of libjpeg as RGB). */
  photometric: string;
}

/** The transfer syntaxes this module decodes (documented in docs/api-images.md). */
export const decodableEncapsulatedSyntaxes: readonly string[] = [RLE_LOSSLESS, JPEG_BASELINE, JPEG_EXTENDED];

/** Photometric interpretations each codec may carry (PS3.5 §8.2.1 for JPEG, §8.2.2 for RLE). */
function acceptedPhotometric(codec: 'rle' | 'jpeg', layout: CompressedFrameLayout): boolean {
  if (layout.samples === 1) return layout.photometric === 'MONOCHROME1' || layout.photometric === 'MONOCHROME2';
  if (layout.samples !== 3) return false;
  if (codec === 'rle') return layout.photometric === 'RGB' || layout.photometric === 'YBR_FULL';
  return layout.photometric === 'RGB' || layout.photometric === 'YBR_FULL' || layout.photometric === 'YBR_FULL_422';
}

function parserMessage(thrown: unknown): string {
  if (typeof thrown === 'string') return thrown;
  return thrown instanceof Error ? thrown.message : 'unknown';
}

/**
 * The bytes of frame `frameIndex` (PS3.5 §A.4): with a Basic Offset Table, the fragments from the
 * frame's offset to the next frame's; without one, all fragments for a single frame, one fragment per
 * frame when there are as many as frames, or (JPEG) the fragments up to each end-of-image marker.
 */
function frameBytes(dataSet: DataSet, element: Element, frameIndex: number, frames: number, codec: 'rle' | 'jpeg'): Uint8Array {
  const fragments = element.fragments ?? [];
  const table = element.basicOffsetTable ?? [];
  if (fragments.length === 0) throw new UnsupportedRendering('encapsulated pixel data without fragments');
  try {
    if (table.length > 0) {
      // §A.4: one offset per frame, the first 0, increasing.
      if (table.length !== frames) throw new UnsupportedRendering(`basic offset table has ${table.length} entries for ${frames} frames`);
      if (table[0] !== 0 || table.some((offset, i) => i > 0 && offset <= (table[i - 1] ?? 0))) throw new UnsupportedRendering('basic offset table not increasing from 0');
      return dicomParser.readEncapsulatedImageFrame(dataSet, element, frameIndex);
    }
    if (frames === 1) return dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, element, 0, fragments.length);
    if (fragments.length === frames) return dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, element, frameIndex, 1);
    if (codec === 'jpeg') {
      const derived = dicomParser.createJPEGBasicOffsetTable(dataSet, element);
      if (derived.length !== frames) throw new UnsupportedRendering(`${derived.length} JPEG images in ${frames} frames`);
      return dicomParser.readEncapsulatedImageFrame(dataSet, element, frameIndex, derived);
    }
    throw new UnsupportedRendering(`${fragments.length} fragments for ${frames} frames and no offset table`);
  } catch (thrown) {
    if (thrown instanceof UnsupportedRendering) throw thrown;
    // dicom-parser throws strings: an offset that matches no fragment, and the like.
    throw new UnsupportedRendering(`fragments: ${parserMessage(thrown)}`);
  }
}

/**
 * Decodes frame `frameIndex` (0-based, already checked against `layout.frames`) of encapsulated
 * Pixel Data under `transferSyntax`, or refuses with {@link UnsupportedRendering}.
 */
export async function decodeEncapsulatedFrame(dataSet: DataSet, element: Element, transferSyntax: string, frameIndex: number, layout: CompressedFrameLayout): Promise<DecodedCompressedFrame> {
  let codec: 'rle' | 'jpeg';
  if (transferSyntax === RLE_LOSSLESS) codec = 'rle';
  else if (transferSyntax === JPEG_BASELINE || transferSyntax === JPEG_EXTENDED) codec = 'jpeg';
  else throw new UnsupportedRendering(`transfer syntax ${transferSyntax} is not decoded`);
  if (!acceptedPhotometric(codec, layout)) throw new UnsupportedRendering(`photometric ${layout.photometric} with ${layout.samples} samples under ${transferSyntax}`);
  if (![8, 16, 32].includes(layout.bitsAllocated)) throw new UnsupportedRendering(`bits allocated ${layout.bitsAllocated}`);
  const size = layout.rows * layout.columns * layout.samples * (layout.bitsAllocated / 8);
  if (size > MAX_DECODED_FRAME_BYTES) throw new UnsupportedRendering(`decoded frame of ${size} bytes is over the limit`);

  if (codec === 'rle') {
    const bytes = decodeRleFrame(frameBytes(dataSet, element, frameIndex, layout.frames, codec), {
      rows: layout.rows, columns: layout.columns, samples: layout.samples, bytesPerSample: layout.bitsAllocated / 8,
    });
    return { bytes, photometric: layout.photometric };
  }
  // JPEG Process 1 is 8-bit only; Process 2/4 (4.51) is rendered only when it is 8-bit too.
  if (layout.bitsAllocated !== 8 || layout.bitsStored > 8) throw new UnsupportedRendering(`JPEG with ${layout.bitsStored} bits stored in ${layout.bitsAllocated}`);
  const bytes = await decodeJpegFrame(frameBytes(dataSet, element, frameIndex, layout.frames, codec), layout, layout.photometric);
  return { bytes, photometric: layout.samples === 3 ? 'RGB' : layout.photometric };
}
