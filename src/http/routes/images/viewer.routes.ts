import { createRequire } from 'node:module';
import { endianness } from 'node:os';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Services } from '../../../compose.ts';
import { type DecodedFrame, pixelTypeOf } from '../../../services/images/render.ts';
import { type DicomJson, instanceMetadata } from '../../dicomweb/dicom-json.ts';
import { originOf, principalOf } from '../../route-access.ts';
import * as s from './viewer.schema.ts';

interface DcmjsDictionary {
  data: { DicomMetaDictionary: { dictionary: Record<string, { name?: string } | undefined> } };
}
let dictionary: DcmjsDictionary['data']['DicomMetaDictionary']['dictionary'] | undefined;

/** The PS3.6 keyword of a tag (`GGGGEEEE`), from dcmjs's data dictionary; private tags have none. */
function keywordOf(tag: string): string | undefined {
  dictionary ??= (createRequire(import.meta.url)('dcmjs') as DcmjsDictionary).data.DicomMetaDictionary.dictionary;
  return dictionary[`(${tag.slice(0, 4)},${tag.slice(4)})`]?.name;
}

/** Keywords of every tag in a data set, nested sequences included. */
function keywordsOf(dataSet: DicomJson, into: Record<string, string> = {}): Record<string, string> {
  for (const [tag, element] of Object.entries(dataSet)) {
    const keyword = keywordOf(tag);
    if (keyword !== undefined) into[tag] = keyword;
    if (element.vr === 'SQ') for (const item of element.Value ?? []) if (item !== null && typeof item === 'object' && !('Alphabetic' in item)) keywordsOf(item, into);
  }
  return into;
}

/** The pixel values as little-endian bytes (the wire format, whatever this machine's byte order). */
function littleEndian(frame: DecodedFrame): Buffer {
  const { pixels } = frame;
  const bytes = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  if (endianness() === 'LE' || pixels.BYTES_PER_ELEMENT === 1) return bytes;
  const copy = Buffer.from(bytes);
  if (pixels.BYTES_PER_ELEMENT === 2) copy.swap16();
  else copy.swap32();
  return copy;
}

/** NIfTI slices also carry the volume's voxel counts and the slice's pixel spacing (row, column, mm). */
interface SliceFacts {
  dims: { x: number; y: number; z: number };
  pixelSpacing: { row: number; column: number };
}

function sendPixels(reply: FastifyReply, frame: DecodedFrame, slice?: SliceFacts): FastifyReply {
  const h = s.pixelHeaders;
  void reply
    .header('content-type', 'application/octet-stream')
    .header('cache-control', 'no-store')
    .header(h.rows, frame.rows).header(h.columns, frame.columns).header(h.samples, frame.samplesPerPixel)
    .header(h.pixelType, pixelTypeOf(frame.pixels)).header(h.photometric, frame.photometric).header(h.frames, frame.frames)
    .header(h.rescaleSlope, frame.rescaleSlope).header(h.rescaleIntercept, frame.rescaleIntercept);
  if (frame.windowCenter !== undefined && frame.windowWidth !== undefined) void reply.header(h.windowCenter, frame.windowCenter).header(h.windowWidth, frame.windowWidth);
  if (slice) {
    const { dims, pixelSpacing } = slice;
    void reply.header(h.dims, `${dims.x},${dims.y},${dims.z}`).header(h.pixelSpacing, `${pixelSpacing.row},${pixelSpacing.column}`);
  }
  return reply.send(littleEndian(frame));
}

/**
 * The web viewer's reads (DCM-3): raw pixels for window/level in the browser, NIfTI slices,
 * thumbnails and the DICOM tag panel. Each is an audited view (image.view) of a reachable instance.
 */
export function registerViewerRoutes(root: FastifyInstance, services: Services): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['images'];
  const read = { permission: 'images.read' } as const;

  app.get('/api/images/instances/:instanceId/frames/:frame/pixels', { config: { access: read }, schema: { tags, params: s.frameParams } },
    async (request, reply) => {
      const { instanceId, frame } = request.params;
      return sendPixels(reply, await services.viewer.framePixels(principalOf(request), instanceId, frame, originOf(request)));
    });

  app.get('/api/images/instances/:instanceId/nifti/:plane/:index/pixels', { config: { access: read }, schema: { tags, params: s.sliceParams } },
    async (request, reply) => {
      const { instanceId, plane, index } = request.params;
      const slice = await services.viewer.niftiSlice(principalOf(request), instanceId, plane, index, originOf(request));
      return sendPixels(reply, slice, slice);
    });

  app.get('/api/images/instances/:instanceId/thumbnail', { config: { access: read }, schema: { tags, params: s.instanceParams } },
    async (request, reply) => {
      const png = await services.viewer.thumbnail(principalOf(request), request.params.instanceId, originOf(request));
      return reply.header('content-type', 'image/png').header('cache-control', 'no-store').send(png);
    });

  app.get('/api/images/instances/:instanceId/tags', { config: { access: { permission: 'images.metadata' } }, schema: { tags, params: s.instanceParams, response: { 200: s.tagsReply } } },
    async (request, reply) => {
      const { instance, bytes } = await services.viewer.bytes(principalOf(request), request.params.instanceId, originOf(request));
      // NIfTI, PNG and JPEG objects have no DICOM data set: an empty one.
      const dataSet = instance.kind === 'dicom' ? instanceMetadata(bytes) : {};
      return reply.header('cache-control', 'no-store').send({ dataSet, keywords: keywordsOf(dataSet) });
    });
}
