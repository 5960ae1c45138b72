/**
 * DICOM RLE Lossless (1.2.840.10008.1.2.5) decoding of one frame, written from PS3.5 Annex G:
 *
 * - §G.2: a frame is split into byte segments: for each sample (R, G, B or the one grey sample, in
 *   that order) one segment per byte of Bits Allocated, most significant byte first. Each segment
 *   holds one byte of every pixel, rows × columns bytes, row by row.
 * - §G.3.1: each segment is PackBits-coded. A header byte n: 0…127 copies the next n + 1 bytes
 *   literally; −1…−127 (129…255 unsigned) repeats the next byte −n + 1 times; −128 (128) does nothing.
 * - §G.5: the fragment starts with a 64-byte header of 16 little-endian 32-bit values: the number of
 *   segments (at most 15), then the offset of each segment from the start of the header; a segment
 *   ends where the next one starts, the last at the end of the fragment (segments are padded to an
 *   even length, so a segment may end with one unused byte).
 *
 * Strict: a header that does not match the frame (segment count, offsets outside the fragment or not
 * increasing), a run that would write past the segment's rows × columns bytes, a literal that runs
 * past its segment, or a segment that ends short are all refused with {@link UnsupportedRendering}.
 * Nothing larger than the frame itself is allocated, and nothing at all before every segment is known
 * to be able to produce its bytes (PackBits yields at most 128 bytes per 2 input bytes).
 */
import { UnsupportedRendering } from './render-types.ts';

/** Size of the RLE header (PS3.5 §G.5): 16 × UL. */
const HEADER_BYTES = 64;
/** §G.5: the header has room for 15 segment offsets. */
const MAX_SEGMENTS = 15;
/** Most bytes one PackBits pair (header byte + value) produces: a run of 128 (§G.3.1). */
const MAX_RUN = 128;

/** What one frame looks like once decoded. */
export interface RleFrameGeometry {
  rows: number;
  columns: number;
  /** Samples per pixel: 1 or 3. */
  samples: number;
  /** Bits Allocated / 8: 1, 2 or 4. */
  bytesPerSample: number;
}

function refuse(detail: string): never {
  throw new UnsupportedRendering(`RLE: ${detail}`);
}

/** Segment byte ranges [start, end) from the RLE header, checked against the fragment and the frame. */
function segmentRanges(fragment: Uint8Array, expectedSegments: number): Array<{ start: number; end: number }> {
  if (fragment.length < HEADER_BYTES) refuse('fragment shorter than its header');
  const view = new DataView(fragment.buffer, fragment.byteOffset, fragment.length);
  const count = view.getUint32(0, true);
  if (count < 1 || count > MAX_SEGMENTS) refuse(`${count} segments in the header`);
  // §G.2: samples × bytes per sample segments, no more and no fewer.
  if (count !== expectedSegments) refuse(`${count} segments where the frame needs ${expectedSegments}`);
  const starts: number[] = [];
  for (let i = 0; i < count; i += 1) starts.push(view.getUint32(4 + 4 * i, true));
  const ranges: Array<{ start: number; end: number }> = [];
  for (let i = 0; i < count; i += 1) {
    const start = starts[i] ?? 0;
    const end = i + 1 < count ? (starts[i + 1] ?? 0) : fragment.length;
    if (start < HEADER_BYTES || start >= fragment.length) refuse(`segment ${i + 1} starts outside the fragment`);
    if (end <= start || end > fragment.length) refuse(`segment ${i + 1} ends outside the fragment or before it starts`);
    ranges.push({ start, end });
  }
  return ranges;
}

/**
 * Decodes one PackBits segment (§G.3.1) into `out`, one byte every `stride` bytes from `first`,
 * exactly `count` bytes; refuses a segment that would produce more or fewer.
 */
function unpackSegment(input: Uint8Array, start: number, end: number, out: Uint8Array, first: number, stride: number, count: number, segment: number): void {
  let read = start;
  let written = 0;
  while (read < end) {
    const header = input[read] ?? 0;
    read += 1;
    if (header === 128) continue; // −128: no operation
    if (written === count && read === end) break; // the even-length pad byte after a full segment
    if (header < 128) {
      const length = header + 1;
      if (read + length > end) refuse(`segment ${segment} has a literal run past its end`);
      if (written + length > count) refuse(`segment ${segment} decodes to more than rows × columns bytes`);
      for (let i = 0; i < length; i += 1) out[first + (written + i) * stride] = input[read + i] ?? 0;
      read += length;
      written += length;
    } else {
      const length = 257 - header; // −n + 1 with n = header − 256
      if (read >= end) refuse(`segment ${segment} has a replicate run past its end`);
      if (written + length > count) refuse(`segment ${segment} decodes to more than rows × columns bytes`);
      const value = input[read] ?? 0;
      read += 1;
      for (let i = 0; i < length; i += 1) out[first + (written + i) * stride] = value;
      written += length;
    }
  }
  if (written !== count) refuse(`segment ${segment} decodes to ${written} bytes, not ${count}`);
}

/**
 * Decodes one RLE fragment into native little-endian bytes, samples interleaved (R, G, B per pixel),
 * `rows × columns × samples × bytesPerSample` bytes: the layout of Explicit VR Little Endian Pixel
 * Data with Planar Configuration 0 (PS3.5 §8.1.1, §8.2.2).
 */
export function decodeRleFrame(fragment: Uint8Array, geometry: RleFrameGeometry): Uint8Array {
  const { rows, columns, samples, bytesPerSample } = geometry;
  if (![1, 3].includes(samples) || ![1, 2, 4].includes(bytesPerSample)) refuse(`${samples} samples of ${bytesPerSample} bytes`);
  const pixels = rows * columns;
  const ranges = segmentRanges(fragment, samples * bytesPerSample);
  for (const [index, { start, end }] of ranges.entries()) {
    // Before allocating: every segment must be able to produce rows × columns bytes at all.
    if (Math.floor((end - start) / 2) * MAX_RUN < pixels) refuse(`segment ${index + 1} is too short for ${pixels} bytes`);
  }
  const stride = samples * bytesPerSample;
  const out = new Uint8Array(pixels * stride);
  for (const [index, { start, end }] of ranges.entries()) {
    const sample = Math.floor(index / bytesPerSample);
    const significance = index % bytesPerSample; // 0: most significant byte (§G.2)
    // Little-endian output: the most significant byte of a sample goes last.
    const first = sample * bytesPerSample + (bytesPerSample - 1 - significance);
    unpackSegment(fragment, start, end, out, first, stride, pixels, index + 1);
  }
  return out;
}
