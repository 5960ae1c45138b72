/**
 * Pixel Data checks (ING-4): frames and decoded size bounded before anything decodes them, and
 * native Pixel Data at least as long as the Image Pixel Module says (PS3.3 §C.7.6.3). A short
 * native value is refused as TRUNCATED: never zero-padded.
 */
import type { DataSet, Element } from 'dicom-parser';
import type { DicomReader } from './dicom-reader.ts';
import { requiresPixelData } from './dicom-sop-classes.ts';
import type { PixelEncoding } from './dicom-uid.ts';
import { accept, type IngestResult, refuse } from './ingest-errors.ts';

export interface PixelSummary {
  /** Whether the instance has Pixel Data, and how it is encoded. */
  pixelData: 'none' | PixelEncoding;
  rows?: number;
  columns?: number;
  /** Number of Frames (0028,0008); 1 when absent on an instance with pixel data. */
  numberOfFrames?: number;
  samplesPerPixel?: number;
  photometricInterpretation?: string;
  bitsAllocated?: number;
  bitsStored?: number;
  pixelRepresentation?: number;
  /** Decoded size of all frames, in bytes (rows × columns × frames × samples × bits allocated / 8). */
  decodedPixelBytes?: number;
}

export interface PixelLimits {
  maxFrames: number;
  maxPixelBytes: number;
}

/** Pixel Data (7FE0,0010), Float Pixel Data (7FE0,0008, 32-bit) and Double Float Pixel Data (7FE0,0009, 64-bit). */
function pixelElement(dataSet: DataSet): { element: Element; requiredBits?: number } | undefined {
  const candidates: Array<[string, number | undefined]> = [['x7fe00010', undefined], ['x7fe00008', 32], ['x7fe00009', 64]];
  for (const [tag, requiredBits] of candidates) {
    const element = dataSet.elements[tag];
    if (element !== undefined) return requiredBits === undefined ? { element } : { element, requiredBits };
  }
  return undefined;
}

/**
 * Samples stored per frame. With YBR_FULL_422 / YBR_PARTIAL_422 in a native transfer syntax two
 * horizontally adjacent pixels share one Cb and one Cr sample (PS3.3 §C.7.6.3.1.2), so a frame
 * holds rows × columns × 2 samples instead of × 3.
 */
function samplesPerFrame(rows: number, columns: number, samples: number, photometric: string | undefined, encoding: PixelEncoding): number {
  if (encoding === 'native' && samples === 3 && (photometric === 'YBR_FULL_422' || photometric === 'YBR_PARTIAL_422')) return rows * columns * 2;
  return rows * columns * samples;
}

/** Checks Pixel Data against the Image Pixel Module and the limits. */
export function checkPixelData(dataSet: DataSet, reader: DicomReader, sopClassUid: string, encoding: PixelEncoding, limits: PixelLimits): IngestResult<PixelSummary> {
  const rows = reader.uint16('x00280010');
  const columns = reader.uint16('x00280011');
  const bitsAllocated = reader.uint16('x00280100');
  const samplesPerPixel = reader.uint16('x00280002');
  const photometricInterpretation = reader.string('x00280004');
  const framesText = reader.string('x00280008');
  const numberOfFrames = framesText === undefined ? undefined : reader.integerString('x00280008');
  // IS, PS3.5 §6.2: a Number of Frames that is not an integer cannot size anything.
  if (framesText !== undefined && (numberOfFrames === undefined || numberOfFrames < 1)) return refuse('MALFORMED', 'number of frames (0028,0008) is not a positive integer');
  if (numberOfFrames !== undefined && numberOfFrames > limits.maxFrames) return refuse('DIMENSIONS', `more than ${limits.maxFrames} frames`);

  const described: PixelSummary = {
    pixelData: 'none', rows, columns, numberOfFrames, samplesPerPixel, photometricInterpretation, bitsAllocated,
    bitsStored: reader.uint16('x00280101'), pixelRepresentation: reader.uint16('x00280103'),
  };
  const pixels = pixelElement(dataSet);
  if (pixels === undefined) {
    // Rows, Columns and Bits Allocated are the Image Pixel Module, whose Pixel Data is Type 1:
    // without it the file most likely lost its tail at an element boundary.
    if (rows !== undefined && columns !== undefined && bitsAllocated !== undefined) return refuse('TRUNCATED', 'image pixel module without pixel data');
    if (requiresPixelData(sopClassUid)) return refuse('TRUNCATED', 'image SOP class without pixel data');
    return accept(described);
  }

  if (rows === undefined || columns === undefined || bitsAllocated === undefined) return refuse('MALFORMED', 'pixel data without rows, columns or bits allocated');
  if (rows === 0 || columns === 0) return refuse('MALFORMED', 'zero rows or columns');
  // PS3.5 §8.1.1: Bits Allocated is 1 or a multiple of 8; float pixel data fixes it to 32 or 64.
  if (bitsAllocated > 64 || (bitsAllocated !== 1 && bitsAllocated % 8 !== 0)) return refuse('MALFORMED', 'bits allocated is not 1 or a multiple of 8');
  if (pixels.requiredBits !== undefined && bitsAllocated !== pixels.requiredBits) return refuse('MALFORMED', 'float pixel data with the wrong bits allocated');
  const samples = samplesPerPixel ?? 1;
  if (samples < 1 || samples > 4) return refuse('MALFORMED', 'samples per pixel outside 1..4');

  const frames = numberOfFrames ?? 1;
  const sampleCount = samplesPerFrame(rows, columns, samples, photometricInterpretation, encoding) * frames;
  // At most 65535² × 2 × 10⁴-ish samples × 64 bits: well inside 2^53, so Number arithmetic is exact.
  const decodedPixelBytes = Math.ceil((sampleCount * bitsAllocated) / 8);
  if (decodedPixelBytes > limits.maxPixelBytes) return refuse('DIMENSIONS', `decoded pixel data over ${limits.maxPixelBytes} bytes`);

  const encapsulated = pixels.element.encapsulatedPixelData === true;
  if (encoding === 'encapsulated' && !encapsulated && pixels.requiredBits === undefined) {
    // PS3.5 §A.4: under an encapsulating transfer syntax Pixel Data has undefined length.
    return refuse('MALFORMED', 'native pixel data under an encapsulated transfer syntax');
  }
  // Native values may carry one padding byte to an even length (PS3.5 §7.1.1) or more trailing
  // bytes; fewer than declared means the file was cut.
  if (!encapsulated && pixels.element.length < decodedPixelBytes) return refuse('TRUNCATED', 'native pixel data shorter than rows × columns × frames × samples × bits');

  return accept({ ...described, pixelData: encapsulated ? 'encapsulated' : 'native', numberOfFrames: frames, samplesPerPixel: samples, decodedPixelBytes });
}
