import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Services } from '../../compose.ts';
import { originOf, principalOf } from '../route-access.ts';
import * as s from './dicomweb.schema.ts';
import { parseFrameList } from './frames.ts';
import { requireDicomMultipart, requireJson, renderedFormat } from './negotiation.ts';
import { runQido, type QidoTarget } from './qido.ts';
import { planQuery } from './qido-query.ts';
import type { QidoLevel } from './qido-attributes.ts';
import { runStow } from './stow.ts';
import { framesMultipart, instancesMultipart, metadataOf, readInstance, resolveInstances, type Caller, type MultipartBody } from './wado.ts';

export interface DicomWebOptions {
  /** The public origin (CLARUS_PUBLIC_URL), for Retrieve URLs. */
  publicUrl: string;
}

/** Structural limits of a STOW-RS body (docs/dicomweb.md). */
const MAX_PARTS = 1000;
const DICOM_JSON = 'application/dicom+json';
const THUMBNAIL_SIZE = 128;

/**
 * DICOMweb (DCM-1, PS3.18) at /dicom-web: STOW-RS, QIDO-RS and WADO-RS over the same services,
 * authentication, permissions, patient reach and audit as the rest of the API. Routes are thin:
 * parse, call, shape the answer. UIDs are in the URLs by the standard's design; the logger and the
 * request audit record route patterns only, never the URL.
 */
export function registerDicomWebRoutes(root: FastifyInstance, services: Services, options: DicomWebOptions): void {
  // STOW-RS bodies are never parsed by fastify: the multipart reader streams them (multipart-related.ts).
  root.addContentTypeParser('multipart/related', (_request, payload, done) => done(null, payload));
  const app = root.withTypeProvider<ZodTypeProvider>();
  const base = `${options.publicUrl}/dicom-web`;
  const tags = ['dicomweb'];
  const read = { permission: 'images.read' } as const;
  const upload = { permission: 'images.upload' } as const;
  const caller = (request: FastifyRequest): Caller => ({ services, principal: principalOf(request), origin: originOf(request) });
  const sendMultipart = (reply: FastifyReply, answer: MultipartBody) => reply.type(answer.contentType).send(answer.body);

  // ——— STOW-RS (§10.5) ———
  const stow = async (request: FastifyRequest, reply: FastifyReply, studyUid: string | undefined) => {
    try {
      requireJson(request.headers.accept);
      const outcome = await runStow(services, principalOf(request), originOf(request), {
        body: request.body as Readable, contentType: request.headers['content-type'], studyUid, base,
        limits: { maxParts: MAX_PARTS, maxHeaderBytes: 8 * 1024, maxFrameBytes: 64 * 1024 },
        maxInFlightParts: 4,
        onUnexpected: (error) => request.log.error({ err: error }, 'stow part failed'),
      });
      if (outcome.unread) void reply.header('connection', 'close');
      // PS3.18 states warnings in the HTTP Warning header (code 299, as for fuzzymatching): instances
      // whose Patient ID matches no MRN wait in the reconciliation list (docs/dicomweb.md).
      if (outcome.held > 0) void reply.header('warning', `299 clarus "${outcome.held} instance(s) held for patient reconciliation"`);
      return await reply.code(outcome.status).type(DICOM_JSON).send(JSON.stringify(outcome.body));
    } catch (error) {
      // The body may not have been read to its end: close instead of reading (or waiting for) the rest.
      void reply.header('connection', 'close');
      throw error;
    }
  };
  app.post('/dicom-web/studies', { config: { access: upload }, schema: { tags } }, async (request, reply) => stow(request, reply, undefined));
  app.post('/dicom-web/studies/:study', { config: { access: upload }, schema: { tags, params: s.studyParams } }, async (request, reply) => stow(request, reply, request.params.study));

  // ——— QIDO-RS (§10.6) ———
  const search = async (request: FastifyRequest, reply: FastifyReply, level: QidoLevel, target: QidoTarget) => {
    requireJson(request.headers.accept);
    const plan = planQuery(level, request.query as Record<string, unknown>);
    const answer = await runQido(services, principalOf(request), originOf(request), plan, target, base);
    if (answer.warnings.length > 0) void reply.header('warning', answer.warnings.join(', '));
    return reply.type(DICOM_JSON).send(JSON.stringify(answer.results));
  };
  app.get('/dicom-web/studies', { config: { access: read }, schema: { tags, querystring: s.searchQuery } }, async (request, reply) => search(request, reply, 'study', {}));
  app.get('/dicom-web/series', { config: { access: read }, schema: { tags, querystring: s.searchQuery } }, async (request, reply) => search(request, reply, 'series', {}));
  app.get('/dicom-web/instances', { config: { access: read }, schema: { tags, querystring: s.searchQuery } }, async (request, reply) => search(request, reply, 'instance', {}));
  app.get('/dicom-web/studies/:study/series', { config: { access: read }, schema: { tags, params: s.studyParams, querystring: s.searchQuery } },
    async (request, reply) => search(request, reply, 'series', { studyUid: request.params.study }));
  app.get('/dicom-web/studies/:study/instances', { config: { access: read }, schema: { tags, params: s.studyParams, querystring: s.searchQuery } },
    async (request, reply) => search(request, reply, 'instance', { studyUid: request.params.study }));
  app.get('/dicom-web/studies/:study/series/:series/instances', { config: { access: read }, schema: { tags, params: s.seriesParams, querystring: s.searchQuery } },
    async (request, reply) => search(request, reply, 'instance', { studyUid: request.params.study, seriesUid: request.params.series }));

  // ——— WADO-RS (§10.4): instances, metadata, frames, rendered, thumbnails ———
  const retrieve = async (request: FastifyRequest, reply: FastifyReply, uids: { study: string; series?: string; instance?: string }) => {
    requireDicomMultipart(request.headers.accept);
    const who = caller(request);
    return sendMultipart(reply, await instancesMultipart(who, await resolveInstances(who, uids)));
  };
  const metadata = async (request: FastifyRequest, reply: FastifyReply, uids: { study: string; series?: string; instance?: string }) => {
    requireJson(request.headers.accept);
    const who = caller(request);
    return reply.type(DICOM_JSON).send(JSON.stringify(await metadataOf(who, await resolveInstances(who, uids))));
  };
  app.get('/dicom-web/studies/:study', { config: { access: read }, schema: { tags, params: s.studyParams, querystring: s.retrieveQuery } },
    async (request, reply) => retrieve(request, reply, request.params));
  app.get('/dicom-web/studies/:study/series/:series', { config: { access: read }, schema: { tags, params: s.seriesParams, querystring: s.retrieveQuery } },
    async (request, reply) => retrieve(request, reply, request.params));
  app.get('/dicom-web/studies/:study/series/:series/instances/:instance', { config: { access: read }, schema: { tags, params: s.instanceParams, querystring: s.retrieveQuery } },
    async (request, reply) => retrieve(request, reply, request.params));
  app.get('/dicom-web/studies/:study/metadata', { config: { access: read }, schema: { tags, params: s.studyParams, querystring: s.retrieveQuery } },
    async (request, reply) => metadata(request, reply, request.params));
  app.get('/dicom-web/studies/:study/series/:series/metadata', { config: { access: read }, schema: { tags, params: s.seriesParams, querystring: s.retrieveQuery } },
    async (request, reply) => metadata(request, reply, request.params));
  app.get('/dicom-web/studies/:study/series/:series/instances/:instance/metadata', { config: { access: read }, schema: { tags, params: s.instanceParams, querystring: s.retrieveQuery } },
    async (request, reply) => metadata(request, reply, request.params));

  app.get('/dicom-web/studies/:study/series/:series/instances/:instance/frames/:frames', { config: { access: read }, schema: { tags, params: s.framesParams, querystring: s.retrieveQuery } },
    async (request, reply) => {
      const { frames, ...uids } = request.params;
      const numbers = parseFrameList(frames);
      const who = caller(request);
      const [instance] = await resolveInstances(who, uids);
      return sendMultipart(reply, await framesMultipart(who, instance as NonNullable<typeof instance>, numbers, request.headers.accept));
    });

  // Rendered and thumbnail (§8.3.5, §8.7.4): one frame windowed server-side by the renderer, PNG or JPEG.
  const rendered = async (request: FastifyRequest, reply: FastifyReply, uids: { study: string; series: string; instance?: string }, frame: number, query: { window?: { center: number; width: number } | undefined; viewport?: number | undefined }, thumbnail: boolean) => {
    const format = renderedFormat(request.headers.accept);
    const who = caller(request);
    const [instance] = await resolveInstances(who, uids);
    const found = instance as NonNullable<typeof instance>;
    const bytes = await readInstance(who, found);
    const maxSize = query.viewport ?? (thumbnail ? THUMBNAIL_SIZE : undefined);
    const image = await services.viewer.render(found, bytes, { frame: frame - 1, format, ...(query.window ? { window: query.window } : {}), ...(maxSize ? { maxSize } : {}) });
    return reply.type(format === 'png' ? 'image/png' : 'image/jpeg').send(image);
  };
  app.get('/dicom-web/studies/:study/series/:series/instances/:instance/rendered', { config: { access: read }, schema: { tags, params: s.instanceParams, querystring: s.renderedQuery } },
    async (request, reply) => rendered(request, reply, request.params, 1, request.query, false));
  app.get('/dicom-web/studies/:study/series/:series/instances/:instance/frames/:frames/rendered', { config: { access: read }, schema: { tags, params: s.frameParams, querystring: s.renderedQuery } },
    async (request, reply) => rendered(request, reply, request.params, Number(request.params.frames), request.query, false));
  app.get('/dicom-web/studies/:study/series/:series/instances/:instance/thumbnail', { config: { access: read }, schema: { tags, params: s.instanceParams, querystring: s.renderedQuery } },
    async (request, reply) => rendered(request, reply, request.params, 1, request.query, true));
  // A series' thumbnail is its first instance's (in instance number order).
  app.get('/dicom-web/studies/:study/series/:series/thumbnail', { config: { access: read }, schema: { tags, params: s.seriesParams, querystring: s.renderedQuery } },
    async (request, reply) => rendered(request, reply, request.params, 1, request.query, true));
}
