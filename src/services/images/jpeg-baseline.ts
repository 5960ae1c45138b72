/**
 * JPEG Baseline (Process 1, 1.2.840.10008.1.2.4.50) and 8-bit JPEG Extended (Processes 2 & 4,
 * 1.2.840.10008.1.2.4.51) decoding of one frame with sharp (libjpeg-turbo), into 8-bit grey or
 * interleaved RGB samples.
 *
 * Before sharp sees the bytes, the frame header is read here (ITU-T T.81 §B.2.2): only SOF0
 * (baseline) and SOF1 (extended sequential, Huffman) with 8-bit precision are decoded, and its
 * lines, samples per line and components must equal Rows, Columns and Samples per Pixel — so a small
 * stream cannot make sharp allocate more than the frame (sharp is also capped at rows × columns).
 *
 * Colour (PS3.5 §8.2.1; PS3.3 §C.7.6.3.1.2): libjpeg converts YCbCr to RGB by the stream's own
 * markers — JFIF APP0 means YCbCr, an Adobe APP14 marker says by its transform flag, component ids
 * 'R', 'G', 'B' mean RGB — and otherwise assumes YCbCr. So the result is RGB whatever the header's
 * YBR_FULL / YBR_FULL_422 says, and must not be converted again. Only a stream without any of these
 * markers is ambiguous: there the data set's Photometric Interpretation decides — RGB means the
 * components were not transformed (an Adobe transform-0 marker is inserted so that libjpeg leaves
 * them), unless the chrominance is subsampled, which only YCbCr may be (YBR_FULL_422, §8.2.1).
 */
import sharp, { type OutputInfo } from 'sharp';
import { UnsupportedRendering } from './render-types.ts';

export interface JpegFrameGeometry {
  rows: number;
  columns: number;
  /** 1 (grey) or 3 (colour). */
  samples: number;
}

/** What the markers before the first scan say (T.81 Annex B; JFIF 1.02; Adobe TN 5116). */
interface JpegHeader {
  process: number;
  precision: number;
  lines: number;
  samplesPerLine: number;
  componentIds: number[];
  subsampled: boolean;
  jfif: boolean;
  adobe: boolean;
}

function refuse(detail: string): never {
  throw new UnsupportedRendering(`JPEG: ${detail}`);
}

const SOI = 0xd8;
const SOS = 0xda;
const EOI = 0xd9;
const APP0 = 0xe0;
const APP14 = 0xee;

/** SOFn markers (T.81 Table B.1): C0–CF except DHT (C4), JPG (C8) and DAC (CC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Reads the marker segments up to the first scan, with every length checked against the stream. */
function readHeader(jpeg: Uint8Array): JpegHeader {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== SOI) refuse('no start-of-image marker');
  let position = 2;
  let frame: Omit<JpegHeader, 'jfif' | 'adobe'> | undefined;
  let jfif = false;
  let adobe = false;
  while (position + 4 <= jpeg.length) {
    if (jpeg[position] !== 0xff) refuse('marker expected');
    const marker = jpeg[position + 1] ?? 0;
    if (marker === 0xff) { position += 1; continue; } // fill byte (T.81 §B.1.1.2)
    if (marker === SOS || marker === EOI) break;
    const length = ((jpeg[position + 2] ?? 0) << 8) | (jpeg[position + 3] ?? 0);
    const body = position + 4;
    const end = position + 2 + length;
    if (length < 2 || end > jpeg.length) refuse('marker segment past the end of the stream');
    if (isStartOfFrame(marker)) {
      if (frame !== undefined) refuse('two frame headers');
      if (length < 8) refuse('short frame header');
      const components = jpeg[body + 5] ?? 0;
      if (length !== 8 + 3 * components) refuse('frame header length');
      const ids: number[] = [];
      const factors: number[] = [];
      for (let c = 0; c < components; c += 1) {
        ids.push(jpeg[body + 6 + 3 * c] ?? 0);
        factors.push(jpeg[body + 7 + 3 * c] ?? 0);
      }
      const first = factors[0] ?? 0;
      frame = {
        process: marker - 0xc0,
        precision: jpeg[body] ?? 0,
        lines: ((jpeg[body + 1] ?? 0) << 8) | (jpeg[body + 2] ?? 0),
        samplesPerLine: ((jpeg[body + 3] ?? 0) << 8) | (jpeg[body + 4] ?? 0),
        componentIds: ids,
        subsampled: factors.some((f) => f !== first),
      };
    } else if (marker === APP0 && length >= 7 && String.fromCharCode(...jpeg.subarray(body, body + 5)) === 'JFIF\0') {
      jfif = true;
    } else if (marker === APP14 && length >= 14 && String.fromCharCode(...jpeg.subarray(body, body + 5)) === 'Adobe') {
      adobe = true;
    }
    position = end;
  }
  if (frame === undefined) refuse('no frame header before the first scan');
  return { ...frame, jfif, adobe };
}

/** An Adobe APP14 segment with transform 0: "components are not colour-transformed" (RGB). */
const ADOBE_NO_TRANSFORM = Buffer.from([0xff, APP14, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00]);

/** Whether libjpeg would take three unmarked components as YCbCr where the data set says RGB. */
function needsRgbHint(header: JpegHeader, photometric: string): boolean {
  if (header.componentIds.length !== 3 || header.jfif || header.adobe) return false;
  const [a, b, c] = header.componentIds;
  if (a === 0x52 && b === 0x47 && c === 0x42) return false; // 'R', 'G', 'B': libjpeg keeps RGB
  return photometric === 'RGB' && !header.subsampled;
}

/**
 * Decodes one JPEG frame into `rows × columns × samples` bytes (grey, or interleaved RGB). Refuses
 * other processes, other precisions, a header that disagrees with the data set, and any stream
 * libjpeg warns about (truncated or corrupt data).
 */
export async function decodeJpegFrame(jpeg: Uint8Array, geometry: JpegFrameGeometry, photometric: string): Promise<Uint8Array> {
  const header = readHeader(jpeg);
  if (header.process !== 0 && header.process !== 1) refuse(`SOF${header.process} (only baseline and extended sequential Huffman)`);
  if (header.precision !== 8) refuse(`${header.precision}-bit samples`);
  if (header.lines !== geometry.rows || header.samplesPerLine !== geometry.columns || header.componentIds.length !== geometry.samples) {
    refuse(`stream is ${header.samplesPerLine}×${header.lines}×${header.componentIds.length}, data set says ${geometry.columns}×${geometry.rows}×${geometry.samples}`);
  }
  const input = needsRgbHint(header, photometric)
    ? Buffer.concat([jpeg.subarray(0, 2), ADOBE_NO_TRANSFORM, jpeg.subarray(2)])
    : jpeg;
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    // Stored values, not colour-managed ones: an embedded ICC profile is not applied. sharp's output
    // is sRGB unless told otherwise, so grey is asked for as grey (one band, values unchanged).
    const image = sharp(input, { limitInputPixels: geometry.rows * geometry.columns, failOn: 'warning', ignoreIcc: true });
    decoded = await (geometry.samples === 1 ? image.toColourspace('b-w') : image).raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    refuse(`libjpeg: ${error instanceof Error ? error.message : 'failed'}`);
  }
  const { data, info } = decoded;
  const expected = geometry.rows * geometry.columns * geometry.samples;
  if (info.width !== geometry.columns || info.height !== geometry.rows || info.channels !== geometry.samples || data.length !== expected) {
    refuse(`decoded ${info.width}×${info.height}×${info.channels}, expected ${geometry.columns}×${geometry.rows}×${geometry.samples}`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}
