/**
 * What the web viewer reads (DCM-3): raw pixel values of a DICOM frame or a PNG/JPEG (for
 * window/level in the browser), slices of NIfTI volumes, thumbnails, and the stored bytes a DICOM
 * tag panel is built from. Every answer goes through {@link ImageQueryService.open} with purpose
 * 'view', so it is audited (AUD-1) and reaches only what the caller may see (the same 404 for an
 * instance of another tenant, an unreachable patient, or none at all).
 *
 * Order: the instance is looked up first (404), then the request is checked against it (400 for a
 * frame or plane that is not one, 404 for an index outside the object), and only then is the view
 * recorded and the object decrypted.
 */
import type { Readable } from 'node:stream';
import sharp from 'sharp';
import { ClarusError } from '../../domain/error-catalog.ts';
import type { Principal, RequestOrigin } from '../context.ts';
import type { ImageQueryService, InstanceView } from './image-query.service.ts';
import { decodeDicomFrame } from './dicom-frame.ts';
import { loadNiftiVolume, type NiftiSlice, sliceOf } from './nifti-slice.ts';
import { type DecodedFrame, FrameNotFound, type NiftiPlane, niftiPlanes, UnsupportedRendering } from './render-types.ts';
import { renderFrame, type RenderOptions } from './render.ts';
import type { MemoryBudget } from './memory-budget.ts';

/** Longest side of a thumbnail, in pixels. */
export const THUMBNAIL_SIZE = 128;
/** Most pixels decoded from a stored PNG/JPEG (ingest capped uploads at the same). */
const MAX_IMAGE_PIXELS = 100_000_000;

/** A decoded NIfTI slice (with its pixel spacing) and the volume's voxel counts. */
export type NiftiSliceView = NiftiSlice & { dims: { x: number; y: number; z: number } };

/** A frame number as the URL gives it: 1-based (as DICOM frame numbers, PS3.18 §10.4.1.1.4). */
function frameNumber(text: string): number {
  if (!/^\d{1,6}$/.test(text)) throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'frame', message: 'a frame number from 1' }]);
  const frame = Number(text);
  if (frame < 1) throw new FrameNotFound();
  return frame;
}

function sliceIndex(text: string): number {
  if (!/^\d{1,6}$/.test(text)) throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'index', message: 'a slice index from 0' }]);
  return Number(text);
}

function planeOf(text: string): NiftiPlane {
  const plane = niftiPlanes.find((p) => p === text);
  if (plane === undefined) throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'plane', message: 'axial, coronal or sagittal' }]);
  return plane;
}

/** Reads a stored object, refusing one longer than the index says (a stored object never grows). */
async function readAll(stream: Readable, expected: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > expected) {
      stream.destroy();
      throw new Error('stored object longer than its index entry');
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts, total);
}

/** PNG/JPEG as 8-bit RGB pixel values (alpha flattened onto black), like a colour frame. */
async function imagePixels(bytes: Buffer): Promise<DecodedFrame> {
  const { data, info } = await sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS }).flatten().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new UnsupportedRendering(`image with ${info.channels} channels`);
  return {
    rows: info.height, columns: info.width, samplesPerPixel: 3, pixels: new Uint8Array(data.buffer, data.byteOffset, data.length),
    rescaleSlope: 1, rescaleIntercept: 0, photometric: 'RGB', frames: 1,
  };
}

/**
 * Bytes a decode may hold for one instance: the stored object, and per pixel of one frame up to 3
 * samples of 32 bits plus the copies conversion makes. NIfTI (no rows and columns in the index, and
 * maybe gzip) counts eight times its stored size. A rough bound, to keep concurrent decodes from
 * exhausting memory (an RLE frame can decode to 64 times its size); not an exact account.
 */
function decodeEstimate(instance: Pick<InstanceView, 'size' | 'rows' | 'columns' | 'kind'>): number {
  if (instance.kind === 'nifti') return instance.size * 8;
  return instance.size + (instance.rows ?? 0) * (instance.columns ?? 0) * 24;
}

export class ImageViewService {
  /** @param memory bounds what concurrent decodes hold together (a request larger than it runs alone). */
  constructor(private readonly images: ImageQueryService, private readonly memory: MemoryBudget) {}

  /**
   * The stored bytes of a reachable instance, after `check` accepted the request for it; the view
   * is recorded before the object is read.
   */
  async bytes(principal: Principal, instanceId: string, origin: RequestOrigin, check: (instance: InstanceView) => void = () => undefined): Promise<{ instance: InstanceView; bytes: Buffer }> {
    check(await this.images.instance(principal, instanceId));
    const { instance, stream } = await this.images.open(principal, instanceId, 'view', origin);
    return { instance, bytes: await readAll(stream, instance.size) };
  }

  /** Reads and decodes within the decode memory budget. */
  private async decoded<T>(principal: Principal, instanceId: string, origin: RequestOrigin, check: (instance: InstanceView) => void, decode: (instance: InstanceView, bytes: Buffer) => Promise<T>): Promise<T> {
    const found = await this.images.instance(principal, instanceId);
    check(found);
    const release = await this.memory.acquire(decodeEstimate(found));
    try {
      const { instance, stream } = await this.images.open(principal, instanceId, 'view', origin);
      return await decode(instance, await readAll(stream, instance.size));
    } finally {
      release();
    }
  }

  /** Pixel values of frame `frameText` (1-based) of a DICOM instance, or of a PNG/JPEG (frame 1). */
  async framePixels(principal: Principal, instanceId: string, frameText: string, origin: RequestOrigin): Promise<DecodedFrame> {
    let frame = 0;
    return this.decoded(principal, instanceId, origin, (found) => {
      frame = frameNumber(frameText);
      if (found.kind === 'nifti') throw new UnsupportedRendering('NIfTI volumes are read by plane and slice');
      if (found.frames !== null && frame > found.frames) throw new FrameNotFound();
    }, async (instance, bytes) => {
      switch (instance.kind) {
        case 'dicom': return decodeDicomFrame(bytes, frame - 1);
        case 'png':
        case 'jpeg':
          if (frame !== 1) throw new FrameNotFound();
          return imagePixels(bytes);
        case 'nifti': throw new UnsupportedRendering('NIfTI volumes are read by plane and slice');
      }
    });
  }

  /** Slice `indexText` (0-based) of a NIfTI volume in `planeText`. */
  async niftiSlice(principal: Principal, instanceId: string, planeText: string, indexText: string, origin: RequestOrigin): Promise<NiftiSliceView> {
    let plane: NiftiPlane = 'axial';
    let index = 0;
    return this.decoded(principal, instanceId, origin, (found) => {
      plane = planeOf(planeText);
      index = sliceIndex(indexText);
      if (found.kind !== 'nifti') throw new UnsupportedRendering('planes and slices are for NIfTI volumes');
    }, async (_instance, bytes) => {
      const volume = await loadNiftiVolume(bytes);
      return { ...sliceOf(volume, plane, index), dims: volume.dims };
    });
  }

  /** A small PNG: the first frame (DICOM), the middle axial slice (NIfTI), or the image itself. */
  async thumbnail(principal: Principal, instanceId: string, origin: RequestOrigin): Promise<Buffer> {
    return this.decoded(principal, instanceId, origin, () => undefined, (instance, bytes) => renderFrame({ kind: instance.kind, bytes }, { maxSize: THUMBNAIL_SIZE, format: 'png' }));
  }

  /** DICOMweb rendered and thumbnail resources (PS3.18 §8.3.5): a frame the caller already read, within the same budget. */
  async render(instance: InstanceView, bytes: Buffer, options: RenderOptions): Promise<Buffer> {
    const release = await this.memory.acquire(decodeEstimate(instance));
    try {
      return await renderFrame({ kind: 'dicom', bytes }, options);
    } finally {
      release();
    }
  }
}
