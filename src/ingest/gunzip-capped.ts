/**
 * gzip decompression with a size and a ratio cap (ING-4, `.nii.gz`): streaming through node:zlib,
 * it stops as soon as the output passes either cap, so a decompression bomb costs at most the cap
 * in memory and never inflates further. nifti-reader-js's own gunzip has no cap: never use it on
 * uploads.
 */
import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { accept, describeThrown, type IngestResult, refuse } from './ingest-errors.ts';

export interface GunzipCaps {
  /** Most output bytes accepted. For NIfTI, vox_offset + voxel bytes from the inflated header is exact. */
  maxBytes: number;
  /**
   * Most output bytes per input byte. Deflate cannot exceed about 1032:1; real NIfTI volumes compress
   * 2–20:1, sparse label masks up to a few hundred. Applied once the output passes `ratioFloorBytes`.
   */
  maxRatio: number;
  /** Output size below which the ratio is not checked (default 8 MiB), so small files never trip it. */
  ratioFloorBytes?: number;
}

/** Input slices: the ratio is measured against what was fed so far, not the whole buffer. */
const SLICE_BYTES = 64 * 1024;

function* slices(buffer: Buffer): Generator<Buffer> {
  for (let offset = 0; offset < buffer.length; offset += SLICE_BYTES) yield buffer.subarray(offset, offset + SLICE_BYTES);
}

class CapExceeded extends Error {}

/**
 * Inflates a gzip stream (all members, RFC 1952) into one buffer, refusing with
 * DECOMPRESSION_BOMB past the caps, TRUNCATED when the stream ends early and MALFORMED when it is
 * not valid gzip. Errors of the input stream itself (a client abort) are rethrown.
 */
export async function gunzipCapped(input: Buffer | Readable | AsyncIterable<Buffer>, caps: GunzipCaps): Promise<IngestResult<Buffer>> {
  const ratioFloor = caps.ratioFloorBytes ?? 8 * 1024 * 1024;
  const parts: Buffer[] = [];
  let inBytes = 0;
  let outBytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
      inBytes += chunk.length;
      callback(null, chunk);
    },
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
      outBytes += chunk.length;
      if (outBytes > caps.maxBytes) return callback(new CapExceeded(`output over ${caps.maxBytes} bytes`));
      if (outBytes > ratioFloor && outBytes > caps.maxRatio * Math.max(inBytes, 1)) return callback(new CapExceeded(`ratio over ${caps.maxRatio}:1`));
      parts.push(chunk);
      callback();
    },
  });
  const source = Buffer.isBuffer(input) ? Readable.from(slices(input)) : input;
  try {
    await pipeline(source, counter, createGunzip(), sink);
  } catch (thrown) {
    if (thrown instanceof CapExceeded) return refuse('DECOMPRESSION_BOMB', thrown.message);
    const code = (thrown as NodeJS.ErrnoException).code;
    if (code === 'Z_BUF_ERROR') return refuse('TRUNCATED', describeThrown(thrown));
    if (typeof code === 'string' && code.startsWith('Z_')) return refuse('MALFORMED', describeThrown(thrown));
    throw thrown;
  }
  return accept(Buffer.concat(parts, outBytes));
}
