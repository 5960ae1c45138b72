/**
 * PNG and JPEG uploads (ING-4): the structure is parsed far enough to know the dimensions BEFORE
 * anything decodes pixels, so a 30000 × 30000 header with a tiny body (a decompression bomb) is
 * refused without allocating; then the image is decoded and re-encoded with sharp, which drops
 * every metadata block (EXIF, XMP, ICC, PNG text chunks) where names, dates and device ids hide.
 */
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { accept, describeThrown, type IngestResult, refuse } from './ingest-errors.ts';

export interface ImageLimits {
  /** Most pixels (width × height) accepted; default 100 megapixels. */
  maxPixels: number;
}

export const defaultImageLimits: Readonly<ImageLimits> = { maxPixels: 100_000_000 };

export interface ImageInfo {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
  /** PNG: bit depth per sample (ISO 15948 §11.2.2). JPEG: sample precision P (T.81 §B.2.2). */
  bitDepth: number;
  /** PNG colour type (0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA); undefined for JPEG. */
  colorType?: number;
  /** JPEG number of components Nf; undefined for PNG. */
  components?: number;
  /** Metadata blocks seen (PNG chunk types, JPEG "APPn"/"COM"): informative, all are dropped on re-encode. */
  metadata: string[];
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** ISO 15948 §5.3: chunk lengths are at most 2^31 − 1; widths and heights likewise (§11.2.2). */
const PNG_MAX_UINT = 2 ** 31 - 1;
/** Allowed bit depths per colour type, ISO 15948 §11.2.2 Table 11.1. */
const pngBitDepths: ReadonlyMap<number, readonly number[]> = new Map([
  [0, [1, 2, 4, 8, 16]],
  [2, [8, 16]],
  [3, [1, 2, 4, 8]],
  [4, [8, 16]],
  [6, [8, 16]],
]);
const PNG_METADATA_CHUNKS = new Set(['eXIf', 'tEXt', 'iTXt', 'zTXt', 'iCCP', 'tIME', 'sPLT', 'gAMA', 'cHRM', 'sRGB', 'pHYs']);

function overPixelCap(width: number, height: number, limits: ImageLimits): boolean {
  return width * height > limits.maxPixels;
}

/** PNG structure: signature, IHDR first with a valid CRC, dimensions capped, every chunk whole, IEND. */
export function inspectPng(bytes: Buffer, limitsIn: Partial<ImageLimits> = {}): IngestResult<ImageInfo> {
  const limits = { ...defaultImageLimits, ...limitsIn };
  if (bytes.length < 8 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return refuse('UNSUPPORTED_TYPE', 'no PNG signature');
  if (bytes.length < 33) return refuse('TRUNCATED', 'file ends inside IHDR');
  // §5.6: IHDR shall be first; its data is 13 bytes; CRC over type and data (§5.3).
  if (bytes.readUInt32BE(8) !== 13 || bytes.toString('latin1', 12, 16) !== 'IHDR') return refuse('MALFORMED', 'IHDR is not the first chunk');
  if (crc32(bytes.subarray(12, 29)) !== bytes.readUInt32BE(29)) return refuse('MALFORMED', 'IHDR CRC mismatch');
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  const bitDepth = bytes.readUInt8(24);
  const colorType = bytes.readUInt8(25);
  const [compression, filter, interlace] = [bytes.readUInt8(26), bytes.readUInt8(27), bytes.readUInt8(28)];
  if (width < 1 || height < 1 || width > PNG_MAX_UINT || height > PNG_MAX_UINT) return refuse('MALFORMED', 'PNG width or height out of range');
  if (overPixelCap(width, height, limits)) return refuse('DIMENSIONS', `PNG over ${limits.maxPixels} pixels`);
  if (!(pngBitDepths.get(colorType) ?? []).includes(bitDepth)) return refuse('MALFORMED', 'PNG bit depth and colour type disagree');
  if (compression !== 0 || filter !== 0 || interlace > 1) return refuse('MALFORMED', 'PNG compression, filter or interlace method unknown');

  const metadata = new Set<string>();
  let offset = 33;
  let sawData = false;
  for (;;) {
    if (offset + 12 > bytes.length) return refuse('TRUNCATED', 'PNG ends before IEND');
    const length = bytes.readUInt32BE(offset);
    if (length > PNG_MAX_UINT) return refuse('MALFORMED', 'PNG chunk length out of range');
    const end = offset + 12 + length;
    if (end > bytes.length) return refuse('TRUNCATED', 'PNG chunk runs past the end of the file');
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    // §5.4: chunk types are four ASCII letters.
    if (!/^[A-Za-z]{4}$/.test(type)) return refuse('MALFORMED', 'PNG chunk type is not four letters');
    if (crc32(bytes.subarray(offset + 4, end - 4)) !== bytes.readUInt32BE(end - 4)) return refuse('MALFORMED', 'PNG chunk CRC mismatch');
    if (type === 'IHDR') return refuse('MALFORMED', 'second IHDR');
    if (type === 'IDAT') sawData = true;
    if (PNG_METADATA_CHUNKS.has(type)) metadata.add(type);
    offset = end;
    if (type === 'IEND') break;
  }
  if (!sawData) return refuse('MALFORMED', 'PNG without IDAT');
  return accept({ format: 'png', width, height, bitDepth, colorType, metadata: [...metadata] });
}

/** T.81 Table B.1: SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** JPEG structure up to the first scan (T.81 Annex B): SOI, whole marker segments, one SOF with dimensions, SOS, EOI. */
export function inspectJpeg(bytes: Buffer, limitsIn: Partial<ImageLimits> = {}): IngestResult<ImageInfo> {
  const limits = { ...defaultImageLimits, ...limitsIn };
  if (bytes.length < 2 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return refuse('UNSUPPORTED_TYPE', 'no JPEG SOI');
  const metadata = new Set<string>();
  let frame: { width: number; height: number; precision: number; components: number } | undefined;
  let offset = 2;
  for (;;) {
    if (offset >= bytes.length) return refuse('TRUNCATED', 'JPEG ends before its first scan');
    if (bytes[offset] !== 0xff) return refuse('MALFORMED', 'JPEG marker expected');
    // §B.1.1.2: any number of 0xFF fill bytes may precede a marker.
    while (offset < bytes.length && bytes[offset] === 0xff) offset += 1;
    if (offset >= bytes.length) return refuse('TRUNCATED', 'JPEG ends inside a marker');
    const marker = bytes[offset] as number;
    offset += 1;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // TEM, RSTn: no length
    if (marker === 0x00 || marker === 0xd8 || marker === 0xd9) return refuse('MALFORMED', 'JPEG marker out of place before the first scan');
    if (offset + 2 > bytes.length) return refuse('TRUNCATED', 'JPEG ends inside a segment length');
    const length = bytes.readUInt16BE(offset);
    if (length < 2) return refuse('MALFORMED', 'JPEG segment length below 2');
    if (offset + length > bytes.length) return refuse('TRUNCATED', 'JPEG segment runs past the end of the file');
    const segment = bytes.subarray(offset + 2, offset + length);
    if (marker >= 0xe0 && marker <= 0xef) metadata.add(`APP${marker - 0xe0}`);
    if (marker === 0xfe) metadata.add('COM');
    if (isStartOfFrame(marker)) {
      // §B.2.2: P, Y, X, Nf, then 3 bytes per component.
      if (frame !== undefined) return refuse('MALFORMED', 'second JPEG frame header');
      if (segment.length < 6 || segment.length !== 6 + 3 * (segment[5] as number)) return refuse('MALFORMED', 'JPEG frame header length');
      const height = segment.readUInt16BE(1);
      const width = segment.readUInt16BE(3);
      // Y = 0 defers the height to a DNL segment after the first scan (§B.2.5): not accepted.
      if (width === 0 || height === 0) return refuse('MALFORMED', 'JPEG width or height is zero');
      if (overPixelCap(width, height, limits)) return refuse('DIMENSIONS', `JPEG over ${limits.maxPixels} pixels`);
      frame = { width, height, precision: segment[0] as number, components: segment[5] as number };
    }
    offset += length;
    if (marker === 0xda) break; // SOS: entropy-coded data follows
  }
  if (frame === undefined) return refuse('MALFORMED', 'JPEG scan before a frame header');
  // §B.2.1: the image ends with EOI; without it the entropy-coded data was cut.
  if (bytes.lastIndexOf(Buffer.from([0xff, 0xd9])) < offset) return refuse('TRUNCATED', 'JPEG without EOI');
  return accept({ format: 'jpeg', width: frame.width, height: frame.height, bitDepth: frame.precision, components: frame.components, metadata: [...metadata] });
}

/** Structure check of a PNG or JPEG, chosen by signature. */
export function inspectImage(bytes: Buffer, limits: Partial<ImageLimits> = {}): IngestResult<ImageInfo> {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return inspectPng(bytes, limits);
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xd8) return inspectJpeg(bytes, limits);
  return refuse('UNSUPPORTED_TYPE', 'neither PNG nor JPEG');
}

export interface CleanImage {
  format: 'png' | 'jpeg';
  data: Buffer;
  width: number;
  height: number;
}

export interface ReencodeOptions extends ImageLimits {
  /** JPEG output quality (default 95); chroma is kept at 4:4:4. PNG output is lossless. */
  jpegQuality: number;
  /**
   * sharp's `failOn` (default 'warning', the strictest). With 'error' (or 'truncated') libjpeg only
   * warns "Corrupt JPEG data: premature end of data segment" for a JPEG whose entropy-coded data
   * was cut short before an EOI, and the missing rows come out grey: the silent padding ING-4
   * forbids. 'warning' refuses it; it also refuses JPEGs with stray bytes between markers.
   */
  failOn: 'warning' | 'error';
}

/** PNG output colour space that keeps grey as grey and 16-bit samples as 16-bit (sharp converts to 8-bit sRGB otherwise). */
function pngColourspace(info: ImageInfo): 'grey16' | 'b-w' | 'rgb16' | 'srgb' {
  const grey = info.colorType === 0 || info.colorType === 4;
  if (info.bitDepth === 16) return grey ? 'grey16' : 'rgb16';
  return grey ? 'b-w' : 'srgb';
}

/**
 * Checks the structure and dimensions, then decodes and re-encodes with sharp: no `withMetadata()`,
 * so EXIF, XMP, IPTC, ICC profiles and PNG text chunks are all dropped; the EXIF orientation is
 * applied to the pixels first (`autoOrient`) so the image looks as before, and pixels in a colour
 * profile are converted to sRGB (sharp's default) since the profile itself is dropped.
 * `limitInputPixels` and `failOn` (see {@link ReencodeOptions}) are the second wall behind the
 * header check.
 * PNG is re-encoded losslessly (same grey/colour, same 8/16-bit depth; palettes become RGB);
 * JPEG is re-encoded at `jpegQuality`.
 */
export async function reencodeWithoutMetadata(bytes: Buffer, options: Partial<ReencodeOptions> = {}): Promise<IngestResult<CleanImage>> {
  const limits = { ...defaultImageLimits, ...options };
  const inspected = inspectImage(bytes, limits);
  if (!inspected.ok) return inspected;
  const info = inspected.value;
  try {
    const input = sharp(bytes, { limitInputPixels: limits.maxPixels, failOn: options.failOn ?? 'warning', autoOrient: true, sequentialRead: true });
    const output = info.format === 'png'
      ? input.toColourspace(pngColourspace(info)).png({ compressionLevel: 6 })
      : input.jpeg({ quality: options.jpegQuality ?? 95, chromaSubsampling: '4:4:4' });
    const { data, info: written } = await output.toBuffer({ resolveWithObject: true });
    return accept({ format: info.format, data, width: written.width, height: written.height });
  } catch (thrown) {
    const detail = describeThrown(thrown);
    return refuse(/pixel limit/i.test(detail) ? 'DIMENSIONS' : /truncat|premature end/i.test(detail) ? 'TRUNCATED' : 'MALFORMED', detail);
  }
}
