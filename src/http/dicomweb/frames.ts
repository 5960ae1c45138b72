import { inflateRawSync } from 'node:zlib';
import dicomParser from 'dicom-parser';
import type { DataSet, Element } from 'dicom-parser';
import { ClarusError } from '../../domain/error-catalog.ts';

/**
 * Frames of a stored instance for WADO-RS `…/frames/{list}` (PS3.18 §10.4; media types §8.7.3):
 * native Pixel Data as application/octet-stream in Explicit VR Little Endian byte order (big endian
 * values swapped), and encapsulated (compressed) frames passed through unchanged, only to a client
 * that accepts the stored transfer syntax. Nothing is decoded or transcoded here.
 */

const NATIVE = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99']);
const BIG_ENDIAN = '1.2.840.10008.1.2.2';
/** The Deflated transfer syntax (PS3.5 §A.5) is inflated with the cap ingest applied. */
const MAX_INFLATED_BYTES = 512 * 1024 * 1024;

export interface StoredFrames {
  transferSyntaxUid: string;
  native: boolean;
  count: number;
  /** The bytes of frame `n` (1-based), or undefined when there is no such frame. */
  frame(n: number): Buffer | undefined;
}

function parse(bytes: Buffer): DataSet {
  const inflater = (array: Uint8Array, position: number): Uint8Array => {
    const inflated = inflateRawSync(array.subarray(position), { maxOutputLength: MAX_INFLATED_BYTES });
    return Buffer.concat([array.subarray(0, position), inflated]);
  };
  return dicomParser.parseDicom(bytes, { inflater });
}

function pixelElement(ds: DataSet): Element | undefined {
  return ds.elements.x7fe00010 ?? ds.elements.x7fe00008 ?? ds.elements.x7fe00009;
}

function swapped(bytes: Buffer, bitsAllocated: number): Buffer {
  const copy = Buffer.from(bytes);
  if (bitsAllocated === 16) copy.swap16();
  else if (bitsAllocated === 32) copy.swap32();
  else if (bitsAllocated === 64) copy.swap64();
  return copy;
}

/** Reads where the frames of a stored Part 10 instance are; 404 when it has no pixel data. */
export function storedFrames(bytes: Buffer): StoredFrames {
  const ds = parse(bytes);
  const transferSyntaxUid = ds.string('x00020010')?.replace(/\0+$/, '').trim() ?? '';
  const pixels = pixelElement(ds);
  if (!pixels) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
  const count = Math.max(1, ds.intString('x00280008') ?? 1);
  const array = ds.byteArray as Uint8Array;
  const view = (offset: number, length: number) => Buffer.from(array.buffer, array.byteOffset + offset, length);
  if (NATIVE.has(transferSyntaxUid)) {
    const rows = ds.uint16('x00280010') ?? 0;
    const columns = ds.uint16('x00280011') ?? 0;
    const samples = ds.uint16('x00280002') ?? 1;
    const bitsAllocated = pixels.tag === 'x7fe00009' ? 64 : pixels.tag === 'x7fe00008' ? 32 : ds.uint16('x00280100') ?? 0;
    const photometric = ds.string('x00280004')?.trim();
    // YBR_FULL_422 in a native syntax: two pixels share one Cb and one Cr (PS3.3 §C.7.6.3.1.2).
    const perFrame = rows * columns * (samples === 3 && photometric?.endsWith('_422') ? 2 : samples);
    const frameBits = perFrame * bitsAllocated;
    // 1-bit frames that do not end on a byte boundary cannot be cut into whole bytes.
    if (frameBits % 8 !== 0 && count > 1) throw new ClarusError('CLARUS_ERR_NOT_ACCEPTABLE');
    const frameBytes = Math.ceil(frameBits / 8);
    return {
      transferSyntaxUid, native: true, count,
      frame(n) {
        if (!Number.isInteger(n) || n < 1 || n > count || frameBytes === 0 || n * frameBytes > pixels.length) return undefined;
        const bytesOfFrame = view(pixels.dataOffset + (n - 1) * frameBytes, frameBytes);
        return transferSyntaxUid === BIG_ENDIAN ? swapped(bytesOfFrame, bitsAllocated) : Buffer.from(bytesOfFrame);
      },
    };
  }
  const fragments = pixels.fragments ?? [];
  const offsets = pixels.basicOffsetTable ?? [];
  return {
    transferSyntaxUid, native: false, count,
    frame(n) {
      if (!Number.isInteger(n) || n < 1 || n > count) return undefined;
      let data: Uint8Array;
      // PS3.5 §A.4: with a Basic Offset Table frames are located by it; without, a single frame spans
      // all fragments, and several frames can only be told apart when each has one fragment.
      if (offsets.length === count) data = dicomParser.readEncapsulatedImageFrame(ds, pixels, n - 1);
      else if (count === 1) data = dicomParser.readEncapsulatedPixelDataFromFragments(ds, pixels, 0, fragments.length);
      else if (fragments.length === count) data = dicomParser.readEncapsulatedPixelDataFromFragments(ds, pixels, n - 1, 1);
      else throw new ClarusError('CLARUS_ERR_NOT_ACCEPTABLE');
      return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    },
  };
}

/** A frame list (`1,3,5`): positive integers, at most `max` of them, else a 400. */
export function parseFrameList(list: string, max = 1000): number[] {
  const parts = list.split(',');
  if (parts.length > max || !parts.every((p) => /^[1-9]\d{0,8}$/.test(p))) throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'frames', message: 'This field must be a comma-separated list of frame numbers.' }]);
  return parts.map(Number);
}
