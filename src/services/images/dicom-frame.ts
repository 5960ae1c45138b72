/**
 * Decoding one frame of native (uncompressed) DICOM Pixel Data into pixel values (PS3.5 §8.1.1,
 * PS3.3 §C.7.6.3): Implicit/Explicit VR Little Endian, Explicit VR Big Endian, Deflated (inflated
 * with a cap); 8/16/32 bits allocated, signed or unsigned, Bits Stored and High Bit honoured;
 * MONOCHROME1/2, RGB (either planar configuration) and YBR_FULL (converted to RGB). Of the
 * encapsulated (compressed) transfer syntaxes (PS3.5 §8.2), RLE Lossless and 8-bit JPEG Baseline /
 * Extended are decoded (encapsulated-frame.ts); the others are refused with {@link UnsupportedRendering}.
 */
import { inflateRawSync } from 'node:zlib';
import dicomParser from 'dicom-parser';
import type { DataSet } from 'dicom-parser';
import { pixelEncodingOf } from '../../ingest/dicom-uid.ts';
import { decodeEncapsulatedFrame } from './encapsulated-frame.ts';
import { type DecodedFrame, FrameNotFound, type PixelArray, UnsupportedRendering } from './render-types.ts';

/** Largest inflated data set for the Deflated transfer syntax (PS3.5 §A.5); ingest applied the same cap. */
const MAX_INFLATED_BYTES = 512 * 1024 * 1024;
const BIG_ENDIAN = '1.2.840.10008.1.2.2';

/** Parses a stored Part 10 file (ingest validated it; a parser failure here means damaged storage). */
export function parseStoredDicom(bytes: Buffer): DataSet {
  const inflater = (array: Uint8Array, position: number): Uint8Array => {
    const inflated = inflateRawSync(array.subarray(position), { maxOutputLength: MAX_INFLATED_BYTES });
    const full = Buffer.allocUnsafe(position + inflated.length);
    full.set(array.subarray(0, position), 0);
    full.set(inflated, position);
    return full;
  };
  try {
    return dicomParser.parseDicom(bytes, { inflater });
  } catch (thrown) {
    const inner: unknown = typeof thrown === 'object' && thrown !== null && 'exception' in thrown ? thrown.exception : thrown;
    throw new Error(`stored DICOM does not parse: ${typeof inner === 'string' ? inner : inner instanceof Error ? inner.message : 'unknown'}`);
  }
}

/**
 * A value from the Enhanced multi-frame functional groups (PS3.3 §C.7.6.16): the frame's item of
 * Per-frame Functional Groups (5200,9230) first, then Shared Functional Groups (5200,9229).
 */
function functionalGroup(dataSet: DataSet, frameIndex: number, macroTag: string): DataSet | undefined {
  const perFrame = dataSet.elements.x52009230?.items?.[frameIndex]?.dataSet?.elements[macroTag]?.items?.[0]?.dataSet;
  return perFrame ?? dataSet.elements.x52009229?.items?.[0]?.dataSet?.elements[macroTag]?.items?.[0]?.dataSet;
}

function decimal(dataSet: DataSet | undefined, tag: string): number | undefined {
  const value = dataSet?.floatString(tag, 0);
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

/** Rescale (PS3.3 §C.11.1 / Pixel Value Transformation 0028,9145) and the first VOI window (§C.11.2 / 0028,9132). */
function transforms(dataSet: DataSet, frameIndex: number): Pick<DecodedFrame, 'rescaleSlope' | 'rescaleIntercept' | 'windowCenter' | 'windowWidth'> {
  const pixelTransform = functionalGroup(dataSet, frameIndex, 'x00289145');
  const voi = functionalGroup(dataSet, frameIndex, 'x00289132');
  const slope = decimal(pixelTransform, 'x00281053') ?? decimal(dataSet, 'x00281053') ?? 1;
  const intercept = decimal(pixelTransform, 'x00281052') ?? decimal(dataSet, 'x00281052') ?? 0;
  const center = decimal(voi, 'x00281050') ?? decimal(dataSet, 'x00281050');
  const width = decimal(voi, 'x00281051') ?? decimal(dataSet, 'x00281051');
  return {
    rescaleSlope: slope === 0 ? 1 : slope,
    rescaleIntercept: intercept,
    ...(center !== undefined && width !== undefined && width >= 1 ? { windowCenter: center, windowWidth: width } : {}),
  };
}

interface Layout {
  rows: number;
  columns: number;
  samples: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  signed: boolean;
  photometric: string;
  planar: boolean;
  frames: number;
  littleEndian: boolean;
}

function layoutOf(dataSet: DataSet, transferSyntax: string): Layout {
  const rows = dataSet.uint16('x00280010') ?? 0;
  const columns = dataSet.uint16('x00280011') ?? 0;
  const bitsAllocated = dataSet.uint16('x00280100') ?? 0;
  const bitsStored = dataSet.uint16('x00280101') ?? bitsAllocated;
  const frames = dataSet.intString('x00280008') ?? 1;
  if (rows === 0 || columns === 0) throw new UnsupportedRendering('no rows or columns');
  return {
    rows, columns, bitsAllocated, bitsStored,
    highBit: dataSet.uint16('x00280102') ?? bitsStored - 1,
    samples: dataSet.uint16('x00280002') ?? 1,
    signed: dataSet.uint16('x00280103') === 1,
    photometric: (dataSet.string('x00280004') ?? 'MONOCHROME2').trim(),
    planar: dataSet.uint16('x00280006') === 1,
    frames: Math.max(frames, 1),
    littleEndian: transferSyntax !== BIG_ENDIAN,
  };
}

/** A reader of one stored sample as an integer, per bits allocated and byte order. */
function sampleReader(view: DataView, layout: Layout): (offset: number) => number {
  const le = layout.littleEndian;
  switch (layout.bitsAllocated) {
    case 8: return (offset) => view.getUint8(offset);
    case 16: return (offset) => view.getUint16(offset, le);
    case 32: return (offset) => view.getUint32(offset, le);
    default: throw new UnsupportedRendering(`bits allocated ${layout.bitsAllocated}`);
  }
}

/** Stored value from the allocated bits: bits (highBit − bitsStored, highBit], sign-extended (PS3.5 §8.1.1). */
function valueOf(layout: Layout): (raw: number) => number {
  const shift = layout.highBit + 1 - layout.bitsStored;
  const bits = layout.bitsStored;
  const range = 2 ** bits;
  const half = range / 2;
  return (raw) => {
    const stored = Math.floor(raw / 2 ** shift) % range;
    return layout.signed && stored >= half ? stored - range : stored;
  };
}

function monochrome(view: DataView, start: number, layout: Layout): PixelArray {
  const count = layout.rows * layout.columns;
  const bytes = layout.bitsAllocated / 8;
  let out: PixelArray;
  if (layout.bitsAllocated === 32) out = new Float32Array(count);
  else if (layout.signed) out = new Int16Array(count);
  else if (layout.bitsAllocated === 8) out = new Uint8Array(count);
  else out = new Uint16Array(count);
  const read = sampleReader(view, layout);
  const value = valueOf(layout);
  for (let i = 0; i < count; i += 1) out[i] = value(read(start + i * bytes));
  return out;
}

/** 8-bit colour, interleaved RGB out; YBR_FULL converted with the PS3.3 §C.7.6.3.1.2 equations. */
function colour(view: DataView, start: number, layout: Layout): Uint8Array {
  if (layout.bitsAllocated !== 8) throw new UnsupportedRendering(`colour with ${layout.bitsAllocated} bits allocated`);
  const count = layout.rows * layout.columns;
  const out = new Uint8Array(count * 3);
  for (let i = 0; i < count; i += 1) {
    for (let s = 0; s < 3; s += 1) out[i * 3 + s] = view.getUint8(start + (layout.planar ? s * count + i : i * 3 + s));
  }
  if (layout.photometric === 'YBR_FULL') {
    const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
    for (let i = 0; i < out.length; i += 3) {
      const y = out[i] ?? 0;
      const cb = (out[i + 1] ?? 0) - 128;
      const cr = (out[i + 2] ?? 0) - 128;
      out[i] = clamp(y + 1.402 * cr);
      out[i + 1] = clamp(y - 0.344136 * cb - 0.714136 * cr);
      out[i + 2] = clamp(y + 1.772 * cb);
    }
  }
  return out;
}

/** Float Pixel Data (7FE0,0008, PS3.3 §C.7.6.24): 32-bit IEEE values. */
function floats(view: DataView, start: number, layout: Layout): Float32Array {
  const count = layout.rows * layout.columns;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 1) out[i] = view.getFloat32(start + i * 4, layout.littleEndian);
  return out;
}

/**
 * Decodes frame `frameIndex` (0-based) of a parsed data set: native Pixel Data where it lies; RLE
 * and 8-bit JPEG (encapsulated-frame.ts) decoded first into native little-endian bytes, which then
 * take the same path (bits stored, sign, MONOCHROME1/2, RGB, YBR_FULL).
 */
export async function decodeDicomDataSet(dataSet: DataSet, frameIndex: number): Promise<DecodedFrame> {
  const transferSyntax = dataSet.string('x00020010') ?? '';
  const encoding = pixelEncodingOf(transferSyntax);
  if (encoding === undefined) throw new UnsupportedRendering(`transfer syntax ${transferSyntax || 'missing'} is not a standard one`);
  const floatElement = dataSet.elements.x7fe00008;
  const element = dataSet.elements.x7fe00010 ?? floatElement;
  if (element === undefined) throw new UnsupportedRendering('no pixel data');
  const encapsulated = element.encapsulatedPixelData === true;
  // PS3.5 §A.4: encapsulated Pixel Data exactly under the encapsulated transfer syntaxes.
  if (encapsulated !== (encoding === 'encapsulated') || (encapsulated && element === floatElement)) throw new UnsupportedRendering(`${encoding} transfer syntax with ${encapsulated ? 'encapsulated' : 'native'} pixel data`);
  let layout = layoutOf(dataSet, transferSyntax);
  if (!Number.isInteger(frameIndex) || frameIndex < 0 || frameIndex >= layout.frames) throw new FrameNotFound();
  if (layout.bitsStored < 1 || layout.bitsStored > layout.bitsAllocated || layout.highBit >= layout.bitsAllocated || layout.highBit + 1 < layout.bitsStored) {
    throw new UnsupportedRendering('bits stored / high bit outside bits allocated');
  }

  let view: DataView;
  let start: number;
  if (encapsulated) {
    const decoded = await decodeEncapsulatedFrame(dataSet, element, transferSyntax, frameIndex, layout);
    view = new DataView(decoded.bytes.buffer, decoded.bytes.byteOffset, decoded.bytes.length);
    start = 0;
    // The decoders give little-endian samples, interleaved; JPEG colour is already RGB (jpeg-baseline.ts).
    layout = { ...layout, littleEndian: true, planar: false, photometric: decoded.photometric };
  } else {
    const frameBytes = (layout.rows * layout.columns * layout.samples * layout.bitsAllocated) / 8;
    start = element.dataOffset + frameIndex * frameBytes;
    const bytes = dataSet.byteArray;
    if (start + frameBytes > element.dataOffset + element.length || start + frameBytes > bytes.length) throw new Error('stored pixel data shorter than its frames');
    view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  const isColour = layout.samples === 3;
  if (isColour && layout.photometric !== 'RGB' && layout.photometric !== 'YBR_FULL') throw new UnsupportedRendering(`photometric ${layout.photometric}`);
  if (!isColour && (layout.samples !== 1 || (layout.photometric !== 'MONOCHROME1' && layout.photometric !== 'MONOCHROME2'))) {
    throw new UnsupportedRendering(`photometric ${layout.photometric} with ${layout.samples} samples`);
  }

  let pixels: PixelArray;
  if (element === floatElement) {
    if (layout.bitsAllocated !== 32 || isColour) throw new UnsupportedRendering('float pixel data other than 32-bit grey');
    pixels = floats(view, start, layout);
  } else {
    pixels = isColour ? colour(view, start, layout) : monochrome(view, start, layout);
  }
  return {
    rows: layout.rows,
    columns: layout.columns,
    samplesPerPixel: isColour ? 3 : 1,
    pixels,
    ...(isColour ? { rescaleSlope: 1, rescaleIntercept: 0 } : transforms(dataSet, frameIndex)),
    photometric: isColour ? 'RGB' : (layout.photometric as 'MONOCHROME1' | 'MONOCHROME2'),
    frames: layout.frames,
  };
}

/** Decodes frame `frameIndex` (0-based) of a stored DICOM Part 10 file. */
export async function decodeDicomFrame(bytes: Buffer, frameIndex: number): Promise<DecodedFrame> {
  return decodeDicomDataSet(parseStoredDicom(bytes), frameIndex);
}
