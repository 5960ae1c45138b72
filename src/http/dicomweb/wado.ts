import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { Services } from '../../compose.ts';
import { ClarusError } from '../../domain/error-catalog.ts';
import type { Principal, RequestOrigin } from '../../services/context.ts';
import type { InstanceView } from '../../services/images/image-query.service.ts';
import { instanceMetadata, type DicomJson } from './dicom-json.ts';
import { storedFrames } from './frames.ts';
import { closeDelimiter, newBoundary, PART_END, partHead } from './multipart-related.ts';
import { frameRepresentation } from './negotiation.ts';

/**
 * WADO-RS (PS3.18 §10.4) over the image service: resources are resolved by UID within the caller's
 * reach (missing and out of reach are the same 404), and every instance is opened — and so audited,
 * `image.download` for instances, `image.view` for metadata, frames and rendered images — one by
 * one, just before its bytes are sent.
 */

export interface Caller {
  services: Services;
  principal: Principal;
  origin: RequestOrigin;
}

export interface MultipartBody {
  contentType: string;
  body: Readable;
}

/** The DICOM instances a URL names; NIfTI, PNG and JPEG objects are not DICOM and do not exist here. */
export async function resolveInstances(caller: Caller, uids: { study: string; series?: string; instance?: string }): Promise<InstanceView[]> {
  const found = (await caller.services.images.instancesByUid(caller.principal, uids)).filter((i) => i.kind === 'dicom');
  if (found.length === 0) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
  return found;
}

/** The stored bytes of one instance, read whole (bounded by the upload limit), audited as a view. */
export async function readInstance(caller: Caller, instance: InstanceView): Promise<Buffer> {
  const opened = await caller.services.images.open(caller.principal, instance, 'view', caller.origin);
  return buffer(opened.stream);
}

/**
 * Instances as `multipart/related; type="application/dicom"`, the stored bytes (preamble zeroed)
 * streamed. The first one is opened before the answer starts, so that its failure is still a clean
 * error; a later failure ends the stream early (the client sees a missing close delimiter).
 */
export async function instancesMultipart(caller: Caller, instances: InstanceView[]): Promise<MultipartBody> {
  const boundary = newBoundary();
  const open = (instance: InstanceView) => caller.services.images.open(caller.principal, instance, 'download', caller.origin);
  const first = await open(instances[0] as InstanceView);
  async function* parts(): AsyncGenerator<Buffer> {
    let current = first;
    try {
      for (let i = 0; i < instances.length; i += 1) {
        if (i > 0) current = await open(instances[i] as InstanceView);
        yield partHead(boundary, `application/dicom; transfer-syntax=${current.instance.transferSyntaxUid ?? '1.2.840.10008.1.2.1'}`);
        for await (const chunk of current.stream) yield chunk as Buffer;
        yield PART_END;
      }
      yield closeDelimiter(boundary);
    } finally {
      // The client may go away mid-answer: the decrypting stream of the current instance is closed too.
      current.stream.destroy();
    }
  }
  const body = Readable.from(parts(), { objectMode: false });
  // If the answer is dropped before the generator starts, its `finally` never runs: close the first stream here.
  body.once('close', () => first.stream.destroy());
  return { contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`, body };
}

/** The metadata of each instance (DICOM JSON, PS3.18 Annex F), in series and instance order. */
export async function metadataOf(caller: Caller, instances: InstanceView[]): Promise<DicomJson[]> {
  const out: DicomJson[] = [];
  for (const instance of instances) out.push(instanceMetadata(await readInstance(caller, instance)));
  return out;
}

/** Frames of one instance as multipart/related application/octet-stream (one part per frame, in the order asked). */
export async function framesMultipart(caller: Caller, instance: InstanceView, numbers: number[], accept: string | undefined): Promise<MultipartBody> {
  const frames = storedFrames(await readInstance(caller, instance));
  const syntax = frameRepresentation(accept, frames);
  const data = numbers.map((n) => frames.frame(n));
  if (data.some((d) => d === undefined)) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
  const boundary = newBoundary();
  const chunks: Buffer[] = [];
  for (const d of data) chunks.push(partHead(boundary, `application/octet-stream; transfer-syntax=${syntax}`), d as Buffer, PART_END);
  chunks.push(closeDelimiter(boundary));
  return { contentType: `multipart/related; type="application/octet-stream"; boundary=${boundary}`, body: Readable.from(chunks, { objectMode: false }) };
}
